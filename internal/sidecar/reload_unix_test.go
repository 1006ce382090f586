//go:build unix

package sidecar

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// watchReload reloads changed files on its ticker and every file on
// SIGHUP.
func TestWatchReload(t *testing.T) {
	calls := make(chan bool, 16)
	stop := watchReload(context.Background(), func(force bool) error { calls <- force; return nil }, 20*time.Millisecond)
	defer stop()
	select {
	case force := <-calls:
		if force {
			t.Fatal("a tick forced a reload")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reload on the ticker")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case force := <-calls:
			if force {
				return
			}
		case <-deadline:
			t.Fatal("no forced reload on SIGHUP")
		}
	}
}

// A SIGHUP that arrives while serve is still starting (after catchHUP,
// before the watcher runs) neither ends the process nor is lost: the
// watcher answers it with a forced reload.
func TestSIGHUPWhileStarting(t *testing.T) {
	hup, stopHUP := catchHUP()
	defer stopHUP()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // serve opening its store and audit log
	calls := make(chan bool, 16)
	stop := watchReloadOn(context.Background(), hup, func(force bool) error { calls <- force; return nil }, time.Hour)
	defer stop()
	select {
	case force := <-calls:
		if !force {
			t.Fatal("an unforced reload")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the SIGHUP sent while starting was lost")
	}
}
