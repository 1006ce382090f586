package boltstore

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// groupCommit runs write functions in shared transactions: while one
// transaction commits (and fsyncs), the writes that arrive queue up, and the
// next transaction takes all of them. A lone write therefore waits for one
// commit; many concurrent writes share one fsync, and no timer delays a
// commit unless Options.MaxBatchDelay asks for it. This is the group commit of
// databases' write-ahead logs; bbolt's own DB.Batch instead waits a fixed
// delay (or a fixed size) before every batch, which caps throughput at
// (callers / delay) when callers are fewer than its size.
type groupCommit struct {
	db       *bolt.DB
	delay    time.Duration
	maxBatch int

	// update replaces db.Update in tests (a commit that fails after bbolt
	// made it visible); nil means db.Update.
	update func(func(*bolt.Tx) error) error

	mu      sync.Mutex
	queue   []*groupReq
	running bool
	// failed is the first commit that failed (see fail): every later
	// write and read fails with it.
	failed error
	// stopped is set, under mu, with failed: a read that answers from
	// memory (ConsentRevision, once per dial) tests it without the lock.
	stopped atomic.Bool
}

type groupReq struct {
	fn   func(*bolt.Tx) error
	done chan struct{} // closed when err is set
	err  error
}

// finish sets r's result and wakes every waiter.
func (r *groupReq) finish(err error) {
	r.err = err
	close(r.done)
}

// wait returns r's result once its transaction is committed and fsynced (or
// failed). Any number of goroutines may wait.
func (r *groupReq) wait() error {
	<-r.done
	return r.err
}

// do runs fn in a write transaction shared with other concurrent calls and
// returns once that transaction is committed and fsynced (or failed). fn may
// be called more than once and must reset its results on each call.
func (g *groupCommit) do(fn func(*bolt.Tx) error) error {
	return g.enqueue(fn).wait()
}

// enqueue queues fn and returns without waiting. Writes commit in the order
// they were queued: a write queued after another is never committed before
// it (the same transaction, or a later one).
func (g *groupCommit) enqueue(fn func(*bolt.Tx) error) *groupReq {
	r := &groupReq{fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	if g.failed != nil {
		g.mu.Unlock()
		r.finish(g.failed)
		return r
	}
	g.queue = append(g.queue, r)
	if !g.running {
		g.running = true
		go g.loop()
	}
	g.mu.Unlock()
	return r
}

func (g *groupCommit) loop() {
	for {
		if g.delay > 0 {
			time.Sleep(g.delay)
		}
		// Yield before taking the batch: callers that are runnable now
		// (under load, those the last commit woke, deciding their next
		// dial) join this batch, so more writes share its fsyncs. With
		// no caller runnable this returns at once.
		runtime.Gosched()
		g.mu.Lock()
		q := g.queue
		if len(q) > g.maxBatch {
			q = q[:g.maxBatch:g.maxBatch]
			g.queue = append([]*groupReq(nil), g.queue[g.maxBatch:]...)
		} else {
			g.queue = nil
		}
		if len(q) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.run(q)
	}
}

// run commits q in one transaction. If one function fails, the transaction
// is rolled back, that function gets its error, and the others are retried
// each in a transaction of its own. A commit that fails when no function did
// stops the store (fail): every request not yet committed — those queued
// meanwhile too — gets its error.
func (g *groupCommit) run(q []*groupReq) {
	// Writes queued while the failing commit ran: committing them now
	// would build on the pages that commit left unsynced.
	if err := g.err(); err != nil {
		for _, r := range q {
			r.finish(err)
		}
		return
	}
	update := g.db.Update
	if g.update != nil {
		update = g.update
	}
	failed := -1
	var ferr error
	err := update(func(tx *bolt.Tx) error {
		for i, r := range q {
			if err := safeCall(r.fn, tx); err != nil {
				failed, ferr = i, err
				return err
			}
		}
		return nil
	})
	if failed < 0 {
		if err != nil {
			err = g.fail(err)
		}
		for _, r := range q {
			r.finish(err)
		}
		return
	}
	q[failed].finish(ferr)
	for i, r := range q {
		if i == failed {
			continue
		}
		if err := g.err(); err != nil {
			r.finish(err)
			continue
		}
		var fnErr error
		err := update(func(tx *bolt.Tx) error { fnErr = safeCall(r.fn, tx); return fnErr })
		if err != nil && fnErr == nil {
			err = g.fail(err)
		}
		r.finish(err)
	}
}

// fail records err, the error of a commit no write function caused, as the
// store's failure and returns the failure (the first one's, if an earlier
// commit failed already). bbolt makes a transaction visible in the memory
// map once its meta page is written, before the fdatasync that makes it
// durable: after that fdatasync fails, every later transaction would read
// and build on pages the disk may never get (after a failed fsync the kernel
// may drop the dirty pages, and a second fsync reports success). Only a
// reopened store reads the file as it is. A closed database is not a
// failure of the file.
func (g *groupCommit) fail(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed == nil {
		g.failed = fmt.Errorf("a commit of the store file failed, so the store's state on disk is unknown; reopen the store (restart the sidecar) to read the file as it is: %w", err)
		g.stopped.Store(true)
	}
	return g.failed
}

// err returns the store's failure (see fail), or nil.
func (g *groupCommit) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failed
}

func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write: %v", p)
		}
	}()
	return fn(tx)
}
