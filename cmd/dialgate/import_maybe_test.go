package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/storage"
)

// An import whose store lost its answer (storage.ErrMaybeApplied: the
// script or transaction may have run) is not "nothing imported": the
// opt-outs may be in force, unrecorded in the audit log until the command
// runs again.
func TestImportFailedMaybeApplied(t *testing.T) {
	err := importFailed(fmt.Errorf("redisstore: AddDNC: %w: EOF", storage.ErrMaybeApplied))
	if msg := err.Error(); strings.Contains(msg, "nothing imported") || !strings.Contains(msg, "may have been imported") || !strings.Contains(msg, "run the command again") {
		t.Fatalf("import whose answer was lost: %q, want it to say the entries may have been imported and to run it again", msg)
	}
	if err := importFailed(fmt.Errorf("redisstore: AddDNC: %w", storage.ErrUnavailable)); !strings.Contains(err.Error(), "nothing imported") {
		t.Fatalf("import the store refused: %q, want nothing imported", err)
	}
	if !errors.Is(importFailed(storage.ErrMaybeApplied), storage.ErrMaybeApplied) {
		t.Fatal("the cause is not wrapped")
	}
}
