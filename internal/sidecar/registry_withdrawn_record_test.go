package sidecar

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// A registry copy withdrawn because its file was written in place is
// still mapped from that file, whose bytes are now another copy's. When a
// reload of another registry wrote the record of every registry again (a
// damaged record replaced, a record without a sample or scope), the
// withdrawn copy was sampled anew — from the bytes written in place, not
// the numbers verified — and the next start compared the copy on its path
// with a sample of itself: a copy that swapped every number got in. The
// record of a withdrawn copy now keeps the sample taken when the copy went
// in.
func TestRegistryRecordOfWithdrawnCopy(t *testing.T) {
	dir := t.TempDir()
	pathA, pathB := filepath.Join(dir, "us.dnc"), filepath.Join(dir, "extra.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	// B: one synthetic 555-0100 number per area code; C: the same layout
	// (the same prefixes and count), every number another (555-0101).
	var b, c []uint64
	for a := uint64(200); a < 1000; a++ {
		b = append(b, 10000000000+a*10000000+5550100)
		c = append(c, 10000000000+a*10000000+5550101)
	}
	snap := func(nums []uint64) []byte {
		var buf bytes.Buffer
		if _, err := dnc.WriteSnapshot(&buf, dnc.Header{Name: "extra-dnc", Source: "test", AsOf: day1, CreatedAt: day1}, dnc.NewSet(nums)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	writeRegistry(t, pathA, "us-national-dnc", day1, usNums(1000)...)
	if err := os.WriteFile(pathB, snap(b), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Data: data, Profile: "us", Registries: []string{pathA, pathB}}
	be, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			be.Close(context.Background())
		}
	})
	// C written in place over B's file: B is withdrawn, C refused (it
	// lacks every number sampled from B).
	cb := snap(c)
	if len(cb) != len(snap(b)) {
		t.Fatalf("fixture: C is %d bytes, B %d", len(cb), len(snap(b)))
	}
	if err := os.WriteFile(pathB, cb, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := be.CheckRegistries(); err == nil {
		t.Fatal("a copy written in place was not withdrawn")
	}
	// The record is damaged meanwhile; a reload of the other registry
	// writes every registry's record again.
	if err := os.WriteFile(filepath.Join(data, RegistryCopiesFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeRegistry(t, pathA, "us-national-dnc", day1.Add(time.Hour), usNums(1000)...)
	_ = be.ReloadRegistries(false) // B's path (C) is refused again
	rc, err := readRegistryCopies(data)
	if err != nil {
		t.Fatal(err)
	}
	rec, ok := rc.Registries["extra-dnc"]
	if !ok {
		t.Fatalf("no record of extra-dnc: %+v", rc.Registries)
	}
	for _, v := range rec.Sample {
		if _, ok := slices.BinarySearch(b, v); !ok {
			t.Fatalf("the record of the withdrawn copy holds %d, a number of the copy written in place, not of the copy verified", v)
		}
	}
	be.Close(context.Background())
	closed = true
	// C, on B's path, is a valid copy that swapped every number: refused at start.
	if be2, err := Open(context.Background(), cfg, nil); err == nil {
		be2.Close(context.Background())
		t.Fatal("a start with a copy that swapped every number of the copy last in force succeeded")
	}
}
