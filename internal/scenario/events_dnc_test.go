package scenario

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDNCRunErrors: dnc seeds and events against a profile that cannot take
// them make the file invalid (seeds) or fail the step (events); never a
// silent pass.
func TestDNCRunErrors(t *testing.T) {
	dir := t.TempDir()
	plain, err := filepath.Abs("testdata/profiles/plain.yaml")
	if err != nil {
		t.Fatal(err)
	}
	step := "steps:\n  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: \"+8613800138000\", purpose: service, lead_id: x}\n    want: {allowed: true}\n"
	for name, tt := range map[string]struct{ src, want string }{
		"seed without dnc section": {"profile: " + plain + "\ndnc:\n  - {number: \"+8613800138000\", scope: global, added_at: 2026-01-01T00:00:00+08:00}\n" + step,
			"dnc: profile plain has no dnc section"},
		"registry the profile lacks": {"profile: us\nregistries:\n  - {name: uk-tps, as_of: 2026-01-01T00:00:00Z}\n" + step,
			`registries: [0]: registry "uk-tps": profile us has no such registry (it requires us-national-dnc)`},
		"registry without a name, none required": {"profile: cn\nregistries:\n  - {as_of: 2026-01-01T00:00:00Z}\n" + step,
			"profile cn requires no registry"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte("schema: dialgate.scenario.v1\nname: t\n"+tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := RunFile(context.Background(), path)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RunFile = %v, want invalid containing %q", err, tt.want)
			}
		})
	}
	// An event step against a profile without a dnc section fails the step.
	path := filepath.Join(dir, "event.yaml")
	src := "schema: dialgate.scenario.v1\nname: t\nprofile: " + plain + "\nsteps:\n  - at: 2026-12-04T10:00:00+08:00\n    event: {type: opt_out, number: \"+8613800138000\", scope: global}\n" +
		"  - at: 2026-12-04T10:00:00+08:00\n    event: {type: load_registry, as_of: 2026-12-01T00:00:00Z}\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := RunFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 2 || !strings.Contains(rep.Steps[0].Got.Message, "no dnc section") || !strings.Contains(rep.Steps[1].Got.Message, "no dnc section") {
		t.Errorf("report: %+v", rep.Steps)
	}
}
