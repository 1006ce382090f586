package dnc

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// A build that fails after it spilled a run (a malformed line past the first
// chunk) returns its statistics while the goroutine spilling the run may
// still be writing them: under -race this was a data race on
// BuildStats.RunBytes. The statistics of a failed build are read once the
// spill goroutine is done.
func TestBuildSetFailsAfterSpillWithoutRace(t *testing.T) {
	var sb strings.Builder
	for _, v := range cnMobiles(3*64+1, 41) {
		sb.WriteString("+" + strconv.FormatUint(v, 10) + "\n")
	}
	sb.WriteString("not a number\n")
	for range 20 {
		_, st, err := BuildSet(context.Background(), []Source{{"a.txt", strings.NewReader(sb.String())}},
			BuildOptions{ChunkNumbers: 64, TempDir: t.TempDir()})
		if err == nil {
			t.Fatal("a list with a malformed line built without Bad")
		}
		if st.Lines != 3*64+2 || st.Numbers != 3*64+1 || st.Bad != 1 {
			t.Fatalf("stats %+v", st)
		}
	}
}
