package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/yamlx"
)

// TestParseFileReadsAtMostMaxSize: a scenario path naming a huge file is
// refused after reading at most yamlx.MaxSize+1 bytes; ParseFile read it
// whole first (a device that never ends ran the process out of memory).
func TestParseFileReadsAtMostMaxSize(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(256 << 20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = ParseFile(big)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ParseFile = %v, want ErrInvalid saying the file is too large", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4*yamlx.MaxSize {
		t.Errorf("ParseFile allocated %d MiB for a file it refuses", n>>20)
	}
}
