package sidecar

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// formatV1File writes at path a format-1 snapshot (no header SHA-256, as
// builds before format 2 wrote) of the us-national-dnc copy listing nums.
func formatV1File(t *testing.T, path string, asOf time.Time, nums ...uint64) {
	t.Helper()
	var buf bytes.Buffer
	h, err := dnc.WriteSnapshot(&buf, dnc.Header{Name: "us-national-dnc", Source: "test", AsOf: asOf, CreatedAt: asOf}, dnc.NewSet(nums))
	if err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	hlen := binary.LittleEndian.Uint32(b[12:16])
	js := bytes.Replace(b[16:16+hlen], []byte(`"dialgate.dnc.snapshot.v2"`), []byte(`"dialgate.dnc.snapshot.v1"`), 1)
	out := []byte("DIALDNC\n")
	out = binary.LittleEndian.AppendUint32(out, 1)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(js)))
	out = append(out, js...)
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	out = append(out, b[len(b)-int(h.BodyBytes):]...)
	if err := os.WriteFile(path+".tmp", out, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// A format-1 snapshot's header (as_of, name, scope) is covered by no hash:
// serve refuses to start with one (ErrConfig, saying to rebuild it with
// dialgate dnc build), and a reload refuses one while the loaded copy stays.
func TestRegistryFormat1Refused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "us.dnc")
	day1 := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	formatV1File(t, path, day1, usNums(10)...)
	_, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, nil)
	if !errors.Is(err, ErrConfig) || !errors.Is(err, dnc.ErrSnapshotTooOld) || !strings.Contains(err.Error(), "dialgate dnc build") || !strings.Contains(err.Error(), path) {
		t.Fatalf("start with a format-1 snapshot: err = %v; want ErrConfig, ErrSnapshotTooOld, the file and dialgate dnc build", err)
	}

	writeRegistry(t, path, "us-national-dnc", day1, usNums(10)...)
	be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	formatV1File(t, path, day1.Add(time.Hour), usNums(20)...)
	if err := be.ReloadRegistries(false); !errors.Is(err, dnc.ErrSnapshotTooOld) {
		t.Fatalf("reload of a format-1 snapshot: err = %v, want ErrSnapshotTooOld", err)
	}
	if listedIn(t, be, usNums(20)[15]) || !listedIn(t, be, usNums(10)[5]) {
		t.Fatal("the loaded copy is not in force after a format-1 copy was refused")
	}
	if r := be.RegistriesRefused(); len(r) != 1 || r[0].Value != 1 {
		t.Fatalf("refusal gauge %+v, want us-national-dnc 1", r)
	}
}
