package sidecar

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestReloaderStartSettles: a file being written as the server starts (its
// modification time is recent) is read again and parsed only once two reads
// agree, so a copy cut mid-write — which can parse — is never put in force
// at start. A file left alone for a while is read once.
func TestReloaderStartSettles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("cut"), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(b [][]byte, _ bool) (*string, error) { s := string(b[0]); return &s, nil }
	describe := func(_, _ *string) []any { return nil }
	files := []reloadFile{{key: "test_file", path: path}}
	sleeps := 0
	sleep := func(time.Duration) { // the writer finishes during the first wait
		if sleeps++; sleeps == 1 {
			if err := os.WriteFile(path, []byte("whole"), 0o600); err != nil {
				t.Error(err)
			}
		}
	}
	r, err := newFileReloaderWith("test", files, parse, describe, nil, nil, time.Second, sleep, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := *r.Load(); got != "whole" {
		t.Fatalf("in force at start: %q, want the finished copy", got)
	}
	if sleeps < 2 {
		t.Fatalf("%d waits: the finished copy was not read twice", sleeps)
	}

	// Written a minute ago: read once, no wait.
	sleeps = 0
	r, err = newFileReloaderWith("test", files, parse, describe, nil, nil, time.Second, sleep, time.Now().Add(time.Minute))
	if err != nil || *r.Load() != "whole" || sleeps != 0 {
		t.Fatalf("an old file: %v, %d waits", err, sleeps)
	}

	// Still changing at every read: refused, naming the key.
	n := 0
	changing := func(time.Duration) {
		n++
		if err := os.WriteFile(path, []byte{byte('a' + n)}, 0o600); err != nil {
			t.Error(err)
		}
	}
	if _, err := newFileReloaderWith("test", files, parse, describe, nil, nil, time.Second, changing, time.Now()); err == nil {
		t.Fatal("a file changing at every read was put in force")
	} else if want := "test_file: still being written"; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Fatalf("err = %v", err)
	}
}
