package sidecar

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestListenAndUnixRefused: a Go caller setting both Config.Listen and
// Config.Unix got the Unix socket alone, the TCP address dropped without a
// word, because WithDefaults filled Listen before Validate could tell the
// caller's value from the default. `dialgate serve` refuses both; so do
// Validate, NewServer and Serve, naming both fields, whether the config
// comes from Go or from a config file. Unix alone (Listen left to its
// default) still serves on the socket alone.
func TestListenAndUnixRefused(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "dg.sock")
	both := Config{Listen: "127.0.0.1:0", Unix: sock, MetricsListen: "off"}
	fromFile, err := ParseConfig([]byte("listen: 127.0.0.1:0\nunix: " + sock + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	wantBoth := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "listen") || !strings.Contains(err.Error(), "unix") {
			t.Errorf("%s: err %v; want ErrConfig naming listen and unix", what, err)
		}
	}
	wantBoth("Validate", both.Validate())
	wantBoth("Validate of a config file", fromFile.Validate())
	wantBoth("WithDefaults().Validate", both.WithDefaults().Validate())
	_, err = NewServer(both, &Backend{}, nil)
	wantBoth("NewServer", err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	both.Data = filepath.Join(t.TempDir(), "data")
	wantBoth("Serve", Serve(ctx, both, io.Discard, nil))

	alone := Config{Unix: sock, MetricsListen: "off"}
	if err := alone.Validate(); err != nil {
		t.Errorf("Unix alone: %v", err)
	}
	if d := alone.WithDefaults(); d.Listen != "" || d.Unix != sock {
		t.Errorf("Unix alone with defaults: Listen %q, Unix %q; want no TCP address, the socket", d.Listen, d.Unix)
	}
	if err := alone.WithDefaults().Validate(); err != nil {
		t.Errorf("Unix alone, defaults applied: %v", err)
	}
	if d := (Config{}).WithDefaults(); d.Listen != DefaultListen {
		t.Errorf("zero Config: Listen %q; want %q", d.Listen, DefaultListen)
	}
}
