package audittest_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/audittest"
)

// logRecorder is a recorder that also keeps what is logged.
type logRecorder struct {
	recorder
	logs []string
}

func (r *logRecorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

// TestRunScenariosLogsWarnings: a step that wants a deny without codes
// passes on any deny (an outage, an invalid dial, another rule);
// `scenarios run` prints a warning for it, but RunScenarios, the same
// files under go test, said nothing, even with -v: the passing file looked
// as strong as one that names its codes. The warning is logged (t.Logf),
// and the file still passes.
func TestRunScenariosLogsWarnings(t *testing.T) {
	dir := t.TempDir()
	weak := write(t, dir, "weak.yaml", strings.Replace(passing, "T10:00:00", "T22:30:00", 1)) // denied at 22:30
	if err := replaceWant(weak); err != nil {
		t.Fatal(err)
	}
	r := &logRecorder{recorder: recorder{TB: t}}
	audittest.RunScenarios(r, weak)
	if len(r.msgs) != 0 {
		t.Fatalf("the file failed: %v", r.msgs)
	}
	all := strings.Join(r.logs, "\n")
	if !strings.Contains(all, "weak.yaml:6: step 1 wants a deny without codes") {
		t.Errorf("logged:\n%s\nwant the warning about step 1", all)
	}
}

// replaceWant makes the scenario at path want a deny without codes.
func replaceWant(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strings.Replace(string(b), "want: {allowed: true}", "want: {allowed: false}", 1)), 0o644)
}
