package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWriteCommandsNoteANewStore: a write command run without --data from
// a directory other than the sidecar's (the default ./dialgate-data is
// relative to the working directory) created a new store, put the opt-outs
// there and exited 0: no sidecar reads that store, so the numbers stayed
// callable. The command still creates the store (a first import before the
// first serve is legitimate), but says on stderr that it did, naming the
// absolute path, and that a sidecar reads only its own --data.
func TestWriteCommandsNoteANewStore(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	list := filepath.Join(dir, "optouts.txt")
	if err := os.WriteFile(list, []byte("+8613900139020\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "dialgate-data")
	for _, c := range []struct {
		name string
		args []string
	}{
		{"dnc import", []string{"dnc", "import", list, "--scope", "global", "--list", "opt_out"}},
		{"complaint add", []string{"complaint", "add", "--number", "+8613900139021"}},
		{"ledger add", []string{"ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_ = os.RemoveAll(data)
			code, out, errs := runCLI(t, "", append([]string{"--data", "dialgate-data"}, c.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s %s", code, out, errs)
			}
			if !strings.Contains(errs, "created a new store") || !strings.Contains(errs, data) {
				t.Errorf("stderr %q does not say that a new store was created at %s", errs, data)
			}
			// Not every write is an opt-out: a ledger entry or a consent
			// in the wrong store lets no dial through either.
			if !strings.Contains(errs, "reaches no sidecar running on another --data") {
				t.Errorf("stderr %q does not say that the write reaches no sidecar on another --data", errs)
			}
			code, out, errs = runCLI(t, "", append([]string{"--data", "dialgate-data"}, c.args...)...)
			if code != 0 || strings.Contains(errs, "created a new store") {
				t.Errorf("second run on the existing store: exit %d, stderr %q; want 0 and no note", code, errs)
			}
			_ = out
		})
	}
}

// TestSingleHostConfigNamesItsData: `dnc|consent|ledger --config` with the
// config of a single sidecar (no redis or postgres) is refused with "drop
// --config to use the store in --data" — and --data's default is
// ./dialgate-data of the working directory, not the config's data: the
// advice led to a write into a new store no sidecar reads. The refusal names
// the config's data directory as the --data to give.
func TestSingleHostConfigNamesItsData(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "sidecar-data")
	cfg := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(cfg, []byte("data: "+data+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "", "consent", "--config", cfg, "show", "+8613900139000")
	if code != 2 || !strings.Contains(errs, "--data "+data) {
		t.Errorf("exit %d, stderr %q; want 2 and the advice to give --data %s", code, errs, data)
	}
}

// TestServeListenAndUnixRefused: serve with both a TCP listen address and a
// Unix socket served the socket alone and dropped the address without a
// word; a dialer configured for the address then found nothing there. As
// dialgate admin refuses --unix with --addr, serve refuses both (exit 2,
// naming them), from flags or the config file. The socket alone still serves.
func TestServeListenAndUnixRefused(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "dg.sock")
	cfg := filepath.Join(dir, "both.yaml")
	if err := os.WriteFile(cfg, []byte("listen: 127.0.0.1:0\nunix: "+sock+"\nmetrics_listen: \"off\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"serve", "--listen", "127.0.0.1:0", "--unix", sock, "--metrics-listen", "off"},
		{"serve", "--config", cfg},
	} {
		type result struct {
			code int
			errs string
		}
		done := make(chan result, 1)
		go func() {
			code, _, errs := runCLI(t, "", args...)
			done <- result{code, errs}
		}()
		select {
		case r := <-done:
			if r.code != 2 || !strings.Contains(r.errs, "unix") || !strings.Contains(r.errs, "listen") {
				t.Errorf("%v: exit %d, stderr %q; want 2 naming unix and listen", args, r.code, r.errs)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%v: serve started (on the socket alone) instead of refusing listen and unix together", args)
		}
	}
}

// TestFleetWriteCommandsNoNewStoreNote: with --config naming the fleet's
// PostgreSQL the write commands write to the fleet's shared stores, which
// every sidecar reads; the complaint and recordings commands still make
// the host's --data store, and said that what they wrote there reached no
// sidecar on another --data — false, and advice (give its --data) that
// would have led away from the store the fleet reads. With --config no such
// note is printed.
func TestFleetWriteCommandsNoNewStoreNote(t *testing.T) {
	dir, cfg, _ := pgFleet(t, "")
	list := filepath.Join(dir, "optouts.txt")
	if err := os.WriteFile(list, []byte("+8613900139030\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, args := range [][]string{
		{"dnc", "import", list, "--scope", "global", "--list", "opt_out"},
		{"complaint", "add", "--number", "+8613900139031"},
		{"consent", "add", "--id", "c-fleet-note", "--number", "+8613900139032", "--scope", "industry:finance", "--method", "written", "--evidence-uri", "s3://evidence/c.pdf", "--granted-at", "2026-01-01T00:00:00Z"},
		{"ledger", "add", "--tenant", "acme", "--number", "+861058001235", "--holder", "Acme Ltd", "--purposes", "service"},
		{"recordings", "register", "--id", "r-fleet-note", "--number", "+8613900139033", "--started-at", "2026-01-01T00:00:00Z"},
	} {
		t.Run(args[0]+" "+args[1], func(t *testing.T) {
			data := filepath.Join(dir, fmt.Sprintf("host-%d", i))
			full := append([]string{"--data", data, args[0], "--config", cfg}, args[1:]...)
			code, out, errs := runCLI(t, "", full...)
			if code != 0 {
				t.Fatalf("exit %d: %s %s", code, out, errs)
			}
			if strings.Contains(errs, "created a new store") || strings.Contains(errs, "no sidecar") || strings.Contains(errs, "stops no dial") {
				t.Errorf("stderr %q: a note that the write reaches no sidecar, but it went to the fleet's PostgreSQL", errs)
			}
		})
	}
}
