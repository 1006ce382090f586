package sidecar

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// An empty config file (zero bytes, or white space only: a write cut short,
// a mounted key that is missing) was taken as the zero Config — every
// default: profile cn, the embedded store instead of the fleet's Redis or
// PostgreSQL, no tokens — while a file of comments only was refused as an
// empty document. A sidecar meant for a fleet then decided on a store
// holding none of the fleet's opt-outs. Both are refused, naming the file;
// "{}" asks for every default.
func TestConfigEmptyFileRefused(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []string{"", "\n", "  \n\t\n"} {
		path := filepath.Join(dir, "c.yaml")
		writeFile(t, path, s)
		_, err := LoadConfig(path)
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "empty") {
			t.Errorf("LoadConfig of %q: %v, want an ErrConfig naming the file and saying it is empty", s, err)
		}
		if _, err := ParseConfig([]byte(s)); err == nil || !errors.Is(err, ErrConfig) {
			t.Errorf("ParseConfig(%q): %v, want an ErrConfig", s, err)
		}
	}
	c, err := ParseConfig([]byte("{}\n"))
	if err != nil || !c.WithDefaults().equalDefaults() {
		t.Errorf(`ParseConfig("{}"): %+v, %v; want the zero Config`, c, err)
	}
}

// equalDefaults reports whether c is the zero Config with its defaults.
func (c Config) equalDefaults() bool {
	return c.Profile == DefaultProfile && c.Listen == DefaultListen && c.Redis == "" && c.Postgres == "" && c.TokensFile == ""
}
