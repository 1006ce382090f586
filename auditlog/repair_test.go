package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A crash during Repair, after the torn bytes were saved and cut but before
// the repair record was durable, leaves a new torn tail at the same offset.
// Repairing that must not overwrite the bytes the first repair saved.
func TestRepairInterruptedKeepsSavedBytes(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	files := writeLog(t, dir, opts, 5)
	appendBytes := func(b []byte) {
		f, err := os.OpenFile(files[0], os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(b); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	first := []byte(`{"schema":"dialgate.audit.v1","seq":6,"prev":"first-crash`)
	appendBytes(first)
	_, err := Open(context.Background(), dir, opts)
	var torn *TornError
	if !errors.As(err, &torn) {
		t.Fatalf("Open: %v, want *TornError", err)
	}
	// Repair's first step, then the crash in the middle of its repair record.
	if _, err := cutTail(torn); err != nil {
		t.Fatal(err)
	}
	appendBytes([]byte(`{"schema":"dialgate.audit.v1","seq":6,"prev":"second-crash`))

	rec, err := Repair(context.Background(), dir, opts)
	if err != nil || rec == nil {
		t.Fatalf("Repair: %+v, %v", rec, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if e.Name() != fileName(1) && bytes.Equal(b, first) {
			found = true
		}
	}
	if !found {
		t.Fatalf("the bytes the first repair cut and saved are gone (files %v)", ents)
	}
	if _, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers}); err != nil {
		t.Fatal(err)
	}
}
