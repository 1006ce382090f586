package sidecar

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
)

// TestCheckpointErrorHintOnlyForUnknownKeys: serve and audit repair added
// "add that key's public key … to keys/audit-signer-retired.pub" to every
// checkpoint the log refused, also to one signed by the sidecar's own key
// that is dated ahead of a clock stepped back, or signs another tree: an
// operator was sent to list a retired key that has nothing to do with it.
// The hint is given only when no trusted key signed the checkpoint.
func TestCheckpointErrorHintOnlyForUnknownKeys(t *testing.T) {
	data := t.TempDir()
	unknown := fmt.Errorf("audit log: %w", &auditlog.CheckpointError{File: "f", Line: 4, Detail: "it is signed by old+1234abcd, not by the log's key", UnknownKeys: []string{"old+1234abcd"}})
	if h := CheckpointErrorHint(unknown, data); !strings.Contains(h, RetiredSignerPubFile) || !strings.Contains(h, "old+1234abcd") {
		t.Errorf("hint for a checkpoint of an unknown key: %q, want it to name %s and the key", h, RetiredSignerPubFile)
	}
	future := fmt.Errorf("audit log: %w", &auditlog.CheckpointError{File: "f", Line: 4, Detail: "it is dated 2026-12-06T18:00:00Z, in the future of the clock"})
	if h := CheckpointErrorHint(future, data); strings.Contains(h, RetiredSignerPubFile) {
		t.Errorf("hint for a checkpoint of the log's key dated ahead of the clock: %q, want no retired-key hint", h)
	}
}
