package scenario

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

// TestScheduleFrExamples runs fr's schedule scenario files of
// examples/scenarios (overseas lines written with +33 among them): every
// step must pass.
func TestScheduleFrExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "scenarios", "schedule-fr-*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no schedule-fr-*.yaml scenario file")
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
