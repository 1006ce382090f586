//go:build unix

package dnc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// snapshotBytes returns a snapshot file of registry "reg" listing nums.
func snapshotBytes(t testing.TB, asOf time.Time, nums ...uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := dnc.WriteSnapshot(&buf, dnc.Header{Name: "reg", Source: "test", AsOf: asOf, CreatedAt: asOf}, dnc.NewSet(nums)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// manyNumbers returns n synthetic numbers of the +86 138 0013 test range and
// beyond, spread over many prefixes so the file spans several pages.
func manyNumbers(n int, first uint64) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = first + uint64(i)*7919
	}
	return out
}

func mappedRegistry(t *testing.T, path string) (*dnc.Registry, *dnc.Check) {
	t.Helper()
	regs, err := dnc.LoadRegistries(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := dnc.New(dnc.Config{Registries: []dnc.RegistryConfig{{Name: "reg"}}}, nil, regs[0])
	if err != nil {
		t.Fatal(err)
	}
	return regs[0], c
}

func dialTo(v uint64) dialgate.Dial {
	n, err := dialgate.NumberFromUint64(v)
	if err != nil {
		panic(err) // the tests' numbers are valid
	}
	return dialgate.Dial{To: n, Purpose: dialgate.PurposeMarketing, At: time.Now()}
}

// A snapshot file written in place with other numbers while it is loaded:
// the registry's copy reads the new bytes under the old version. CheckFile
// sees the change and withdraws the copy: from then on every dial is an
// error (the check denies, dnc.unavailable), listed or not, naming the file,
// instead of the changed bytes' answer, until another copy is swapped in.
func TestMappedSnapshotWrittenInPlace(t *testing.T) {
	t.Run("mtime changed", func(t *testing.T) { testWrittenInPlace(t, false) })
	// A write within the file system's timestamp granularity, or a copy
	// that keeps the time (cp -p, rsync -t): the header tells.
	t.Run("mtime kept", func(t *testing.T) { testWrittenInPlace(t, true) })
}

func testWrittenInPlace(t *testing.T, keepTime bool) {
	dir := t.TempDir()
	path := filepath.Join(dir, "reg.dnc")
	asOf := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	old := manyNumbers(20000, 8613800138000)
	if err := os.WriteFile(path, snapshotBytes(t, asOf, old...), 0o600); err != nil {
		t.Fatal(err)
	}
	reg, c := mappedRegistry(t, path)
	ctx := context.Background()
	if rs, err := c.Check(ctx, dialTo(old[100])); err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeDNCListed {
		t.Fatalf("listed number before the write: %v, %v", rs, err)
	}
	if err := reg.CheckFile(); err != nil {
		t.Fatalf("CheckFile of an unchanged file: %v", err)
	}
	// The same file, rewritten (truncated and written) with other numbers
	// of the same count: what `cp new.dnc reg.dnc` does.
	st0, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	other := manyNumbers(20000, 8613800138001)
	if err := os.WriteFile(path, snapshotBytes(t, asOf.Add(time.Minute), other...), 0o600); err != nil {
		t.Fatal(err)
	}
	if keepTime {
		if err := os.Chtimes(path, st0.ModTime(), st0.ModTime()); err != nil {
			t.Fatal(err)
		}
		if st1, err := os.Stat(path); err != nil || st1.Size() != st0.Size() || !st1.ModTime().Equal(st0.ModTime()) {
			t.Fatalf("the rewritten file is not of the same size and time: %v", err)
		}
	}
	err = reg.CheckFile()
	if !errors.Is(err, dnc.ErrSnapshotChanged) || !strings.Contains(err.Error(), path) {
		t.Fatalf("CheckFile after a write in place = %v, want ErrSnapshotChanged naming %s", err, path)
	}
	t.Log(err)
	// A withdrawn copy is in force for no dial: its status is "no copy", so
	// that no age is reported for it (the sidecar's snapshot-age gauge), and
	// no decision carries its version and age as evidence.
	if st, ok := reg.Status(); ok {
		t.Errorf("Status after the withdrawal = %+v, true; want no copy in force", st)
	}
	if rs, ev, err := c.Attest(ctx, dialTo(other[100])); !errors.Is(err, dnc.ErrSnapshotChanged) || len(ev) != 0 {
		t.Errorf("Attest after the withdrawal: %v, %v, %v; want an error and no evidence", rs, ev, err)
	}
	for _, v := range []uint64{old[100], other[100], 8613800138000 + 3} {
		rs, err := c.Check(ctx, dialTo(v))
		if !errors.Is(err, dnc.ErrSnapshotChanged) {
			t.Errorf("dial to %d after the write in place: %v, %v; want an error wrapping ErrSnapshotChanged (a deny)", v, rs, err)
		}
	}
	// A dial the lists do not apply to is denied too, as with a missing copy.
	cm, err := dnc.New(dnc.Config{Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, PurposesCite: dialgate.Citation{Source: "S", Ref: "test", Note: "test"},
		Registries: []dnc.RegistryConfig{{Name: "reg"}}}, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	d := dialTo(other[1])
	d.Purpose = dialgate.PurposeService
	if _, err := cm.Check(ctx, d); !errors.Is(err, dnc.ErrSnapshotChanged) {
		t.Errorf("dial of another purpose after the write in place: %v, want ErrSnapshotChanged", err)
	}
	if _, _, err := reg.Lookup(ctx, dialTo(old[100])); !errors.Is(err, dnc.ErrSnapshotChanged) {
		t.Errorf("Lookup after the withdrawal: %v", err)
	}
	// A copy that loads cleanly is swapped in and answered from.
	s, err := dnc.OpenSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Swap(s); err != nil {
		t.Fatal(err)
	}
	if err := reg.CheckFile(); err != nil {
		t.Fatalf("CheckFile after a clean copy was swapped in: %v", err)
	}
	if st, ok := reg.Status(); !ok || !st.AsOf.Equal(asOf.Add(time.Minute)) {
		t.Errorf("Status after a clean copy was swapped in = %+v, %v; want the new copy", st, ok)
	}
	if rs, err := c.Check(ctx, dialTo(other[100])); err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeDNCListed {
		t.Fatalf("listed number of the new copy: %v, %v", rs, err)
	}
}

// A file renamed over the path is not a change of the loaded copy's file: it
// keeps answering from its own file until the new one is swapped in.
func TestMappedSnapshotRenamedOver(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "reg.dnc")
	asOf := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	old := manyNumbers(1000, 8613800138000)
	if err := os.WriteFile(path, snapshotBytes(t, asOf, old...), 0o600); err != nil {
		t.Fatal(err)
	}
	reg, c := mappedRegistry(t, path)
	if err := os.WriteFile(path+".new", snapshotBytes(t, asOf.Add(time.Minute), 8613800138001), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	if err := reg.CheckFile(); err != nil {
		t.Fatalf("CheckFile after a rename over the path: %v", err)
	}
	if rs, err := c.Check(context.Background(), dialTo(old[5])); err != nil || len(rs) != 1 {
		t.Fatalf("the loaded copy after a rename over its path: %v, %v", rs, err)
	}
}

// envTruncateChild makes the test binary the child of
// TestMappedSnapshotTruncated: it loads the file, truncates it and looks up.
const envTruncateChild = "DIALGATE_TEST_DNC_TRUNCATE"

// A snapshot file truncated in place while it is loaded: a lookup that reads
// the mapping touches pages past the file's end. Without the fault guard that
// is a SIGBUS that ends the process, so the lookups run in a child process
// (this test binary again); the child must return an error wrapping
// ErrSnapshotFault, deny the dial, and live.
func TestMappedSnapshotTruncated(t *testing.T) {
	if path := os.Getenv(envTruncateChild); path != "" {
		truncateChild(path)
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "reg.dnc")
	asOf := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	if err := os.WriteFile(path, snapshotBytes(t, asOf, manyNumbers(20000, 8613800138000)...), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMappedSnapshotTruncated$", "-test.v")
	cmd.Env = append(os.Environ(), envTruncateChild+"="+path)
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Fatalf("child process failed (a fault crashed it?): %v", err)
	}
	if !strings.Contains(string(out), "child: ok") {
		t.Fatal("child did not finish")
	}
}

func truncateChild(path string) {
	fail := func(format string, args ...any) {
		fmt.Printf("child: "+format+"\n", args...)
		os.Exit(3)
	}
	regs, err := dnc.LoadRegistries(path)
	if err != nil {
		fail("load: %v", err)
	}
	reg := regs[0]
	c, err := dnc.New(dnc.Config{Registries: []dnc.RegistryConfig{{Name: "reg"}}}, nil, reg)
	if err != nil {
		fail("new: %v", err)
	}
	listed := manyNumbers(20000, 8613800138000)[19999] // near the end of the suffixes
	ctx := context.Background()
	if _, ok, err := reg.Lookup(ctx, dialTo(listed)); !ok || err != nil {
		fail("before the truncation: listed %v, %v", ok, err)
	}
	if err := os.Truncate(path, 0); err != nil {
		fail("truncate: %v", err)
	}
	_, ok, err := reg.Lookup(ctx, dialTo(listed))
	if !errors.Is(err, dnc.ErrSnapshotFault) || ok {
		fail("lookup after the truncation: listed %v, err %v; want ErrSnapshotFault", ok, err)
	}
	fmt.Printf("child: lookup: %v\n", err)
	// The copy is withdrawn: the check denies every dial, without faulting
	// again, and the snapshot's own CheckFile reports the change.
	for _, v := range []uint64{listed, 8613800138000 + 1} {
		if _, err := c.Check(ctx, dialTo(v)); !errors.Is(err, dnc.ErrSnapshotFault) {
			fail("check of %d after the truncation: %v; want an error (deny)", v, err)
		}
	}
	if err := reg.Snapshot().CheckFile(); !errors.Is(err, dnc.ErrSnapshotChanged) {
		fail("CheckFile after the truncation: %v", err)
	}
	fmt.Println("child: ok")
}
