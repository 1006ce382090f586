package sidecar

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The kinds of files the server reloads: the label values "kind" of
// dialgate_reloads_total and dialgate_reload_last_success_timestamp_seconds.
const (
	reloadTokens = "tokens"
	reloadTLS    = "tls"
)

// reloadFile is one file a fileReloader reads: the config key that names
// it (in messages) and its path.
type reloadFile struct {
	key  string
	path string
}

// fileReloader keeps a value parsed from files current. Reload reads the
// files again (through any symlinks, as a Kubernetes secret volume swaps
// them) and, when their content differs from the content the value in force
// was parsed from (compared by SHA-256, not by size or modification time),
// parses it and swaps the new value in. A read or parse error keeps the
// value in force: it is logged at Error and counted, at every Reload until
// the files change to a good copy. The value in force is read with Load,
// lock-free; a stored value is never modified.
type fileReloader[T any] struct {
	kind  string
	files []reloadFile
	// parse parses the files' contents (in the order of files); reload is
	// false at start and true afterwards.
	parse func(b [][]byte, reload bool) (*T, error)
	// describe returns log attributes of a change from old to new; never
	// secrets (token values, key material).
	describe func(old, new *T) []any
	log      *slog.Logger
	m        *metrics
	// refused ends the Error line of a refused copy; empty: "the loaded
	// copy stays" (tokens, TLS). A blackouts file's copy does not stay.
	refused string

	// settle is how long a changed copy must read the same before it is
	// parsed (reloadSettle); sleep waits (time.Sleep, replaced in tests).
	settle time.Duration
	sleep  func(time.Duration)

	cur atomic.Pointer[T]
	mu  sync.Mutex        // serialises Reload
	sum [sha256.Size]byte // of the content cur was parsed from
}

// reloadSettle is how long a changed copy of the files must stay unchanged
// before Reload parses it, and reloadSettleTries how many times Reload waits
// for that before it gives up until the next look. A file written in place
// (an editor, scp, a shell redirection) can be read half written, and a
// half-written file can parse: a tokens file cut just before an entry's
// "tenants:" line is a valid file in which that token is bound to no
// tenant, so it would dial and write for every tenant until the next look.
const (
	reloadSettle      = 500 * time.Millisecond
	reloadSettleTries = 4
)

// newFileReloader loads the files once; an error (naming the key) means the
// server cannot start.
//
// A file modified within the last reloadSettle (being written as the server
// starts) is read again after reloadSettle and parsed only once two reads
// agree, as at a reload: a file cut mid-write can parse.
func newFileReloader[T any](kind string, files []reloadFile, parse func([][]byte, bool) (*T, error), describe func(old, new *T) []any, log *slog.Logger, m *metrics) (*fileReloader[T], error) {
	return newFileReloaderWith(kind, files, parse, describe, log, m, reloadSettle, time.Sleep, time.Now())
}

// newFileReloaderWith is newFileReloader with the settle time, the sleep
// function and the current instant given (tests).
func newFileReloaderWith[T any](kind string, files []reloadFile, parse func([][]byte, bool) (*T, error), describe func(old, new *T) []any, log *slog.Logger, m *metrics, settle time.Duration, sleep func(time.Duration), now time.Time) (*fileReloader[T], error) {
	r := &fileReloader[T]{kind: kind, files: files, parse: parse, describe: describe, log: log, m: m,
		settle: settle, sleep: sleep}
	b, sum, err := r.read()
	if err != nil {
		return nil, err
	}
	if recentlyWritten(files, now, settle) {
		if b, sum, _, err = r.settleFrom(b, sum); err != nil {
			return nil, fmt.Errorf("%s: %w", files[0].key, err)
		}
	}
	v, err := parse(b, false)
	if err != nil {
		return nil, err
	}
	r.cur.Store(v)
	r.sum = sum
	m.loaded(kind, time.Now())
	return r, nil
}

// recentlyWritten reports whether a file of files (through symlinks) was
// modified less than settle before now, or after it (a clock step): it may
// still be being written.
func recentlyWritten(files []reloadFile, now time.Time, settle time.Duration) bool {
	for _, f := range files {
		fi, err := os.Stat(f.path)
		if err != nil {
			return true // read already succeeded: a swap under way
		}
		if now.Sub(fi.ModTime()) < settle {
			return true
		}
	}
	return false
}

// useMetrics makes r count its reloads in m from now on, and records the
// copy in force as loaded at loadedAt: for a reloader made before the
// server's metrics (the back end's blackouts file).
func (r *fileReloader[T]) useMetrics(m *metrics, loadedAt time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m = m
	m.loaded(r.kind, loadedAt)
}

// Load returns the value in force.
func (r *fileReloader[T]) Load() *T { return r.cur.Load() }

// read reads every file and hashes their contents together.
func (r *fileReloader[T]) read() ([][]byte, [sha256.Size]byte, error) { return readFiles(r.files) }

// readFiles reads every file of files and hashes their contents together;
// an error names the file's key.
func readFiles(files []reloadFile) ([][]byte, [sha256.Size]byte, error) {
	h := sha256.New()
	bs := make([][]byte, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, [sha256.Size]byte{}, fmt.Errorf("%s: %w", f.key, err)
		}
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
		bs[i] = b
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return bs, sum, nil
}

// paths returns the files' paths, for log lines.
func (r *fileReloader[T]) paths() []string {
	ps := make([]string, len(r.files))
	for i, f := range r.files {
		ps[i] = f.path
	}
	return ps
}

// Reload reads the files and swaps in the value parsed from them when their
// content changed. force (SIGHUP) only adds a log line when nothing changed,
// so that a signal always gets an answer in the log. A changed copy is read
// again after r.settle and parsed only once two reads agree (a file caught
// while being written in place must not be put in force); one still
// changing after reloadSettleTries reads is refused until the next look. A
// copy that fails to parse is read once more before it is refused, in case
// it was caught in the middle of a swap of several files; a changed copy
// read then must settle too. The error names the files and the problem; the
// value in force then stays.
func (r *fileReloader[T]) Reload(force bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, sum, err := r.read()
	if err == nil && sum == r.sum {
		if force {
			r.log.Info("sidecar: "+r.kind+" files unchanged", "kind", r.kind, "files", r.paths())
		}
		return nil
	}
	if err == nil {
		var back bool
		if b, sum, back, err = r.settleFrom(b, sum); back {
			return nil // back to the copy in force
		}
	}
	var v *T
	if err == nil {
		if v, err = r.parse(b, true); err != nil {
			// Caught in the middle of a swap of several files? Read once
			// more — and let that copy settle as well: it may be a file
			// being written in place, cut where it still parses.
			if b2, sum2, err2 := r.read(); err2 == nil && sum2 != sum {
				if sum2 == r.sum {
					return nil // back to the copy in force
				}
				b2, sum2, back, err2 := r.settleFrom(b2, sum2)
				switch {
				case back:
					return nil
				case err2 != nil:
					err = err2
				default:
					sum = sum2
					v, err = r.parse(b2, true)
				}
			}
		}
	}
	if err != nil {
		r.m.reloaded(r.kind, false)
		refused := r.refused
		if refused == "" {
			refused = "the loaded copy stays"
		}
		r.log.Error("sidecar: "+r.kind+" reload refused; "+refused, "kind", r.kind, "files", r.paths(), "err", err)
		return fmt.Errorf("reload %s: %w", r.kind, err)
	}
	old := r.cur.Swap(v)
	r.sum = sum
	r.m.reloaded(r.kind, true)
	r.m.loaded(r.kind, time.Now())
	r.log.Info("sidecar: "+r.kind+" reloaded", append([]any{"kind", r.kind, "files", r.paths()}, r.describe(old, v)...)...)
	return nil
}

// settleFrom waits for the changed copy b (whose hash is sum) to settle:
// it reads the files again every r.settle until two reads agree and returns
// that content. back is true when the files went back to the copy in force
// meanwhile; a copy still changing after reloadSettleTries reads, or a read
// error, is an error.
func (r *fileReloader[T]) settleFrom(b [][]byte, sum [sha256.Size]byte) (_ [][]byte, _ [sha256.Size]byte, back bool, _ error) {
	for i := 0; ; i++ {
		if i == reloadSettleTries {
			return nil, sum, false, fmt.Errorf("still being written: the content changed at each of %d reads %v apart", reloadSettleTries+1, r.settle)
		}
		r.sleep(r.settle)
		b2, sum2, err := r.read()
		switch {
		case err != nil:
			return nil, sum, false, err
		case sum2 == sum:
			return b, sum, false, nil // settled
		case sum2 == r.sum:
			return nil, sum2, true, nil
		}
		b, sum = b2, sum2
	}
}

// watchReload calls reload(false) every interval and reload(true) on
// SIGHUP, until ctx ends or stop is called.
func watchReload(ctx context.Context, reload func(force bool) error, interval time.Duration) (stop func()) {
	hup, stopHUP := catchHUP()
	stopWatch := watchReloadOn(ctx, hup, reload, interval)
	return func() {
		stopHUP()
		stopWatch()
	}
}

// catchHUP starts catching SIGHUP into the channel it returns (one pending
// signal is kept), until stop. Its default action ends the process: `dialgate
// serve` catches it before it opens anything, so that a SIGHUP sent while it
// starts (a certificate renewal hook, say; opening a large audit log takes a
// while) does not kill it; the signal is answered once watchReloadOn runs.
func catchHUP() (<-chan os.Signal, func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return hup, func() { signal.Stop(hup) }
}

// watchReloadOn calls reload(false) every interval and reload(true) for
// every signal on hup, until ctx ends or stop is called. `dialgate serve`
// reloads with it the registry snapshot files, the tokens file and the TLS
// files.
func watchReloadOn(ctx context.Context, hup <-chan os.Signal, reload func(force bool) error, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = reload(false) // refusals are logged
			case <-hup:
				_ = reload(true)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
