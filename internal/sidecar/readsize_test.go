package sidecar

import (
	"runtime"
	"strings"
	"testing"
)

// TestConfigAndTokensReadAtMostMaxSize: a config or tokens path naming a
// device that never ends (/dev/zero, a mistyped --config) is refused as too
// large, naming the file, instead of being read into memory until the
// process dies.
func TestConfigAndTokensReadAtMostMaxSize(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /dev/zero")
	}
	if _, err := LoadConfig("/dev/zero"); err == nil || !strings.Contains(err.Error(), "/dev/zero") || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadConfig(/dev/zero) = %v, want an error naming the file as too large", err)
	}
	if _, err := LoadTokens("/dev/zero"); err == nil || !strings.Contains(err.Error(), "/dev/zero") || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadTokens(/dev/zero) = %v, want an error naming the file as too large", err)
	}
}
