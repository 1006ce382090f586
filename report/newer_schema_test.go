package report_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/report"
)

// A decision record of a newer schema, or with a field this build does not
// know, fails the report, naming the file, line and the problem: it is
// never skipped (its decision would go uncounted) nor read without the
// field (which may change what it means).
func TestNewerRecordRefused(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(line []byte) []byte
		want string
	}{
		"newer schema": {func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"schema":"dialgate.audit.v1"`), []byte(`"schema":"dialgate.audit.v2"`), 1)
		}, `schema: "dialgate.audit.v2", want "dialgate.audit.v1"`},
		"unknown field": {func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"decision":{`), []byte(`"decision":{"weight":2,`), 1)
		}, `unknown field "weight"`},
		"unknown kind": {func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"kind":"decision"`), []byte(`"kind":"decision2"`), 1)
		}, `kind: unknown "decision2"`},
	} {
		t.Run(name, func(t *testing.T) {
			log, dir := openTestLog(t)
			now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
			g := clockGate(t, log, &now)
			callWith(t, g, "+8613900139000", "winter", dialgate.Outcome{Answered: true})
			callWith(t, g, "+8613900139001", "winter", dialgate.Outcome{Answered: true})
			files := closedFiles(t, log, dir)
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			lines := bytes.SplitAfter(b, []byte("\n"))
			n := -1
			for i, l := range lines {
				if bytes.Contains(l, []byte(`"kind":"decision"`)) {
					n = i // the last decision record
				}
			}
			if n < 0 {
				t.Fatal("no decision record")
			}
			edited := c.edit(lines[n])
			if bytes.Equal(edited, lines[n]) {
				t.Fatalf("the edit changed nothing in %s", lines[n])
			}
			lines[n] = edited
			if err := os.WriteFile(files[0], bytes.Join(lines, nil), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), ".jsonl:") {
				t.Fatalf("Build: %v, want an error naming the line and %q", err, c.want)
			}
		})
	}
}
