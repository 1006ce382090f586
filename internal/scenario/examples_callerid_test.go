package scenario

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCallerIDAndSweepExamples runs the caller-ID and sweep scenario files of
// examples/scenarios: every step must pass.
func TestCallerIDAndSweepExamples(t *testing.T) {
	var files []string
	for _, pat := range []string{"callerid-*.yaml", "sweep-*.yaml"} {
		m, err := filepath.Glob(filepath.Join("..", "..", "examples", "scenarios", pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 7 {
		t.Fatalf("found %d callerid/sweep scenario files, want at least 7", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			rep, err := RunFile(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				var b bytes.Buffer
				_ = rep.WriteText(&b)
				t.Fatalf("scenario failed:\n%s", b.String())
			}
		})
	}
}

func TestLedgerSeedErrors(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"bad number":  {`[{number: "+86abc", holder: A, purposes: [service]}]`, "number"},
		"no holder":   {`[{number: "+861058001234", purposes: [service]}]`, "holder"},
		"mobile type": {`[{number: "+8613800138000", holder: A, purposes: [service]}]`, "type"},
		"unknown key": {`[{number: "+861058001234", holder: A, purposes: [service], colour: red}]`, "colour"},
		"duplicate":   {`[{number: "+861058001234", holder: A, purposes: [service]}, {number: "+861058001234", holder: B, purposes: [service]}]`, "already listed"},
	} {
		t.Run(name, func(t *testing.T) {
			src := "schema: dialgate.scenario.v1\nname: x\nprofile: cn\ntenant: acme\nledger: " + tc.body + "\nsteps:\n  - at: 2026-12-05T10:00:00+08:00\n    dial: {to: \"+8613900139000\", purpose: service, lead_id: l}\n    want: {allowed: false}\n"
			_, err := Parse("ledger.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ledger.yaml:5") {
				t.Fatalf("ledger %s: err = %v, want one naming line 5 and %q", tc.body, err, tc.want)
			}
		})
	}
}
