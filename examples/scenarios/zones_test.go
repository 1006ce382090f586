package scenarios

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/scenario"
)

// TestScenariosZoneIndependent runs every shipped scenario with each step's
// instant written in an offset no callee has (−11:30; the same instants).
// The offset an author writes is notation; if a check read the hour or the
// date of the instant instead of the callee's local time, the scenarios
// written in the callee's offset would still pass and this test would not.
func TestScenariosZoneIndependent(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	ctx := context.Background()
	zone := time.FixedZone("-11:30", -(11*3600 + 30*60))
	for _, path := range files {
		f, err := scenario.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range f.Steps {
			s.At = s.At.In(zone)
		}
		rep, err := scenario.Run(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !rep.OK() {
			var b strings.Builder
			_ = rep.WriteText(&b)
			t.Errorf("%s with its instants in %s:\n%s", path, zone, b.String())
		}
	}
}
