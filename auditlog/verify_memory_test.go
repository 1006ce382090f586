package auditlog

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// writeChain writes n chained outcome records, seq from 0, to path.
func writeChain(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	body := appendOutcomeBody(nil, &OutcomeRecord{DecisionID: "d", At: t0, Answered: true})
	var prev tlog.Hash
	var line []byte
	for i := range n {
		line = appendRecordLine(line[:0], int64(i), prev, body)
		prev = tlog.RecordHash(line)
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// heapProbe is a context whose Err, which Verify calls before it reads each
// file, measures the live heap before the file numbered at (from 1).
type heapProbe struct {
	context.Context
	calls, at int
	live      uint64
}

func (p *heapProbe) Err() error {
	p.calls++
	if p.calls == p.at {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		p.live = ms.HeapAlloc
	}
	return p.Context.Err()
}

// Verify streams a log: what it keeps per record is the Merkle tree's
// stored hashes (about two per record, 64 bytes, which its Report's proofs
// need), not every line's position, prev and hash besides. A year of a busy
// sidecar's decisions is hundreds of millions of records: an auditor's
// machine must be able to verify it.
func TestVerifyMemoryPerRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 100000-record log")
	}
	const n = 100_000
	dir := t.TempDir()
	writeChain(t, filepath.Join(dir, fileName(1)), n)
	if err := os.WriteFile(filepath.Join(dir, fileName(2)), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	k := newTestKeys(t, "test-log")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	probe := &heapProbe{Context: context.Background(), at: 2}
	rep, err := Verify(probe, []string{filepath.Join(dir, fileName(1)), filepath.Join(dir, fileName(2))}, VerifyOptions{Verifiers: k.verifiers})
	if err != nil || rep.Records != n {
		t.Fatalf("Verify: %+v, %v", rep, err)
	}
	perRecord := (float64(probe.live) - float64(before)) / n
	t.Logf("%.0f bytes held per record after reading %d records", perRecord, n)
	// 2 stored hashes (64 bytes) per record, in a slice with room to grow:
	// at most 128.
	if perRecord > 128 {
		t.Errorf("Verify holds %.0f bytes per record read: want the tree's stored hashes only (at most 128)", perRecord)
	}
}
