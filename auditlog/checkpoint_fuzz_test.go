package auditlog

import (
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// FuzzParseCheckpointText: the signed text of a checkpoint either fails to
// parse or parses to a checkpoint that formats back to a text parsing to the
// same tree, log identity and time; it never panics.
func FuzzParseCheckpointText(f *testing.F) {
	tree := tlog.Tree{N: 3, Hash: tlog.Hash{1, 2, 3}}
	f.Add(string(formatCheckpoint(tree, "", time.Time{})))
	f.Add(string(formatCheckpoint(tree, "dlg-abc", time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC))))
	f.Add("go.sum database tree\n3\nAQID\nlog-id x\nlog-id y\n")
	f.Add("go.sum database tree\n3\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2026-13-01T00:00:00Z\n")
	f.Fuzz(func(t *testing.T, text string) {
		cp, err := parseCheckpointText(text)
		if err != nil {
			return
		}
		back, err := parseCheckpointText(string(formatCheckpoint(cp.Tree, cp.LogID, cp.Time)))
		if err != nil {
			t.Fatalf("%q parsed to %+v, whose text does not parse: %v", text, cp, err)
		}
		if back.Tree != cp.Tree || back.LogID != cp.LogID || !back.Time.Equal(cp.Time) {
			t.Fatalf("%q: %+v formats and parses back to %+v", text, cp, back)
		}
	})
}
