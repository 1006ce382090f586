package audittest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/scenario"
)

// RunScenarios runs the dialgate.scenario.v1 files that paths name — files, or
// directories whose *.yaml and *.yml files (at any depth, except profile
// files) are scenarios — each on fresh in-memory state, as `dialgate
// scenarios run` does.
//
// With a *testing.T each file is a subtest named after its path. A file that
// is invalid (unknown key, bad value, unsupported event type) fails with its
// file:line and the problem; a file with a step that does not come back as it
// wants fails with the file's step report, which says for every step what was
// expected and what came back. A file's warnings (a deny wanted without
// codes, which passes on any deny) are logged with t.Logf. A path that does not exist, or paths that hold
// no scenario file, fail t. With another testing.TB (a benchmark) the files
// run one after another and failures are reported on t.
func RunScenarios(t testing.TB, paths ...string) {
	t.Helper()
	files, err := scenario.Expand(paths...)
	if err != nil {
		t.Errorf("audittest.RunScenarios: %v", err)
		return
	}
	if len(files) == 0 {
		t.Errorf("audittest.RunScenarios: no scenario files in %s", strings.Join(paths, ", "))
		return
	}
	for _, f := range files {
		if tt, ok := t.(*testing.T); ok {
			tt.Run(filepath.ToSlash(f), func(t *testing.T) { runScenarioFile(t, f) })
			continue
		}
		runScenarioFile(t, f)
	}
}

func runScenarioFile(t testing.TB, path string) {
	t.Helper()
	ctx := context.Background()
	if c, ok := t.(interface{ Context() context.Context }); ok {
		ctx = c.Context()
	}
	rep, err := scenario.RunFile(ctx, path)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	if rep.OK() {
		// A deny wanted without codes passes on any deny: say so, as
		// `scenarios run` does (shown with go test -v; a failing file's
		// report below has them).
		for _, w := range rep.Warnings {
			t.Logf("warning: %s", w)
		}
		return
	}
	var b strings.Builder
	_ = rep.WriteText(&b)
	t.Errorf("%s: %d of %d steps failed:\n%s", path, rep.Failed, rep.Failed+rep.Passed, b.String())
}
