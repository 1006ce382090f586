package boltstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
	"github.com/dialgate/dialgate/storage/internal/feedhub"
)

// Schema identifies the file format. SchemaVersion is raised only when the
// encoding of an existing bucket changes incompatibly; adding a bucket for a
// new domain does not change it (older builds ignore buckets they do not know).
//
// Version 2 kept frequency counters in an append-only journal inside the
// file (bucket counters.log) instead of one B+tree entry per key (version
// 1). Version 3 keeps that journal in segment files beside the store file
// (path.counters.<n>; see counters.go). Open migrates version 1 and 2 files,
// and a build that reads only an older version refuses a newer file (it
// would not see the counters).
//
// Version 4 is version 3 in which consent records may name a tenant
// (consent.Record.Tenant): a version 3 build would read such a record as
// covering every tenant's dials (a wrong allow) and drop the tenant when it
// revokes it. New and migrated files are written as version 4; a version 3
// file stays version 3 until the first consent with a tenant is added, in
// the same transaction, so a version 3 build can still open it until then.
//
// Version 5 is version 4 whose counters journal writes each batch with a
// commit frame (segment format 2; see appendCommit), which a version 3 or 4
// build cannot read (it would stop its counters as damaged). New and
// migrated files are written as version 5; the first read-write Open of
// this build raises a version 3 or 4 file to 5 before it writes the first
// segment with commit frames (it keeps the older segments, which it reads
// by their own rule), so an older build then refuses the file with
// storage.ErrSchemaTooNew: rolling back is restoring a backup.
const (
	SchemaName    = "dialgate.store"
	SchemaVersion = 5
)

// schemaTenantConsents is the first schema version whose consent records may
// name a tenant.
const schemaTenantConsents = 4

// schemaCommitFrames is the first schema version whose counters journal
// may hold commit frames.
const schemaCommitFrames = 5

// DefaultFileName is the name of the store file inside a data directory
// (the CLI's --data DIR).
const DefaultFileName = "dialgate.db"

// Defaults for the zero Options.
const (
	DefaultLockTimeout  = time.Second
	DefaultMaxBatchSize = 1000
)

// Bucket names. Domain files add theirs to buckets.
var (
	bucketMeta = []byte("meta")

	buckets = [][]byte{
		bucketMeta,
		// Domain files add their bucket names here, one line per bucket.
		bucketRecordings,
		bucketRecordingTombstones,
		bucketDNC, bucketDNCReplaced,
		bucketComplaints, bucketComplaintIndex, bucketComplaintCallee, bucketComplaintsReplaced,
		bucketLedger,
		bucketConsents, bucketConsentByNumber, bucketConsentEvents, bucketConsentEventsByNumber,
	}
)

var (
	metaSchema  = []byte("schema")
	metaVersion = []byte("version")
	metaJournal = []byte("journal") // the counters journal's id (schema 3)
)

// Options configures Open. The zero value uses the defaults stated on each
// field.
type Options struct {
	// LockTimeout is how long Open waits for the file lock another process
	// holds before failing with storage.ErrLocked. Zero means
	// DefaultLockTimeout (1 s); negative is an error.
	LockTimeout time.Duration
	// MaxBatchDelay is an extra wait before each group commit, to gather more
	// writes per fsync. Zero (the default) means none: a commit starts as soon
	// as the previous one finished, with every write that arrived meanwhile,
	// which already shares one fsync among concurrent writers. Negative is an
	// error.
	MaxBatchDelay time.Duration
	// MaxBatchSize is the most writes one group commit takes. Zero means
	// DefaultMaxBatchSize (1000); negative is an error.
	MaxBatchSize int
	// Verify makes Open read and check every page of an existing file before
	// using it (slow on large files). Without it Open checks the meta pages and
	// the schema only.
	Verify bool
	// FileMode is the permission of a new file. Zero means 0600.
	FileMode fs.FileMode
	// SegmentSize is the size past which the counters journal
	// (path.counters.<n>) seals its active segment and starts the next;
	// sealed segments are merged in the background once they hold more
	// than twice the bytes of the reservations still held. Zero means
	// DefaultSegmentSize (32 MiB); negative is an error. MaxBatchDelay and
	// MaxBatchSize apply to the journal's group commit too (a write is one
	// Reserve, Release, or step of ExpireCounters).
	SegmentSize int64
}

// Store is a durable store in one bbolt file. Create it with Open; the zero
// Store is not usable. A Store is safe for concurrent use by many goroutines;
// only one process may open a file at a time. After Close every method returns
// an error wrapping storage.ErrClosed.
type Store struct {
	db     *bolt.DB
	path   string
	closed atomic.Bool
	group  groupCommit

	closeOnce sync.Once
	closeErr  error

	mu       sync.Mutex // guards counters.seq, .pending and .failed; orders the journal (see counterState)
	counters counterState
	// countersStopped is set, under mu, when counters.failed is: the
	// counter calls' first test of it takes no lock while it is clear.
	countersStopped atomic.Bool

	consents consentState

	runs runState // the sweep run state (storage.Runs), journaled with the counters

	feed *feedhub.Hub // the in-process do-not-call change feed (WatchDNC)
}

var (
	_ storage.Counters       = (*Store)(nil)
	_ storage.CounterExpirer = (*Store)(nil)
	_ storage.RunSyncer      = (*Store)(nil)
)

// Open opens the store file at path, creating it (and nothing else: the
// directory must exist) if it does not exist.
//
// Open never modifies a file it refuses: a damaged file or one that is not a
// dialgate store fails with an error wrapping storage.ErrCorrupt, a file of a
// newer schema with storage.ErrSchemaTooNew, a file another process holds
// (after opts.LockTimeout) with storage.ErrLocked.
func Open(path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("boltstore: open: path: empty: %w", storage.ErrInvalid)
	}
	if opts.LockTimeout < 0 || opts.MaxBatchDelay < 0 || opts.MaxBatchSize < 0 || opts.SegmentSize < 0 {
		return nil, fmt.Errorf("boltstore: open: options: negative LockTimeout, MaxBatchDelay, MaxBatchSize or SegmentSize: %w", storage.ErrInvalid)
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.MaxBatchSize == 0 {
		opts.MaxBatchSize = DefaultMaxBatchSize
	}
	if opts.FileMode == 0 {
		opts.FileMode = 0o600
	}
	if opts.SegmentSize == 0 {
		opts.SegmentSize = DefaultSegmentSize
	}

	// Inspect an existing file read-only first, so that a file we refuse is
	// never written to (a read-write open may commit a transaction).
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("boltstore: open %s: not a regular file: %w", path, storage.ErrInvalid)
		}
		if fi.Size() > 0 {
			if err := probe(path, opts); err != nil {
				return nil, err
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}

	db, err := bolt.Open(path, opts.FileMode, &bolt.Options{Timeout: opts.LockTimeout, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, openErr(path, err, opts.LockTimeout)
	}
	var version int
	var jid []byte
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := checkSchema(tx); err != nil {
			return err
		}
		for _, name := range buckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		if err := ensureComplaintIndex(tx); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		if meta.Get(metaSchema) == nil {
			return nil // new: migrateJournal records the schema with the journal's id
		}
		version, _ = strconv.Atoi(string(meta.Get(metaVersion))) // checkSchema checked it
		jid = slices.Clone(meta.Get(metaJournal))
		if version == 1 {
			if err := migrateCounters(tx); err != nil {
				return fmt.Errorf("migrate counters to schema version 2: %w", err)
			}
			version = 2
			return meta.Put(metaVersion, []byte("2"))
		}
		return nil
	}); err != nil {
		_ = db.Close()
		if errors.Is(err, storage.ErrCorrupt) || errors.Is(err, storage.ErrSchemaTooNew) {
			return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
		}
		return nil, fmt.Errorf("boltstore: open %s: initialise: %w: %w", path, storage.ErrUnavailable, err)
	}
	var corrupt error
	if version < 3 {
		var err error
		jid, corrupt, err = migrateJournal(db, path)
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("boltstore: open %s: move the counters journal to its own files (schema version 3): %w: %w", path, storage.ErrUnavailable, err)
		}
	} else if len(jid) != journalIDLen {
		corrupt = fmt.Errorf("%w: the meta bucket has no counters journal id", storage.ErrCorrupt)
	}
	counters := counterState{idx: countstate.NewTracked(), failed: corrupt}
	if corrupt == nil {
		var err error
		raise := func() error {
			return db.Update(func(tx *bolt.Tx) error { return requireSchema(tx, schemaCommitFrames) })
		}
		counters, err = loadCounters(path, jid, opts, raise)
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("boltstore: open %s: load counters: %w: %w", path, storage.ErrUnavailable, err)
		}
	}
	s := &Store{db: db, path: path, group: groupCommit{db: db, delay: opts.MaxBatchDelay, maxBatch: opts.MaxBatchSize}, counters: counters, feed: feedhub.NewLive()}
	s.countersStopped.Store(counters.failed != nil)
	if counters.failed == nil {
		loadRuns(counters.idx, &s.runs)
	}
	return s, nil
}

// probe opens an existing file read-only and checks its meta pages, its
// schema and, with opts.Verify, every page.
func probe(path string, opts Options) (err error) {
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: opts.LockTimeout})
	if err != nil {
		return openErr(path, err, opts.LockTimeout)
	}
	defer db.Close()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("boltstore: open %s: %w: %v", path, storage.ErrCorrupt, p)
		}
	}()
	err = db.View(func(tx *bolt.Tx) error {
		if err := checkSchema(tx); err != nil {
			return err
		}
		if opts.Verify {
			var errs []error
			for e := range tx.Check() {
				errs = append(errs, e)
			}
			if len(errs) > 0 {
				return fmt.Errorf("%w: %w", storage.ErrCorrupt, errors.Join(errs...))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return nil
}

// checkSchema accepts an empty file (no buckets yet) or one whose meta bucket
// names this schema at a version no newer than ours.
func checkSchema(tx *bolt.Tx) error { return checkSchemaUpTo(tx, SchemaVersion) }

// checkSchemaUpTo is checkSchema for a build that reads versions up to max.
func checkSchemaUpTo(tx *bolt.Tx, max int) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		var other []byte
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			other = name
			return errStop
		})
		if other != nil {
			return fmt.Errorf("%w: not a dialgate store (no meta bucket, found bucket %q)", storage.ErrCorrupt, other)
		}
		return nil // a new, empty file
	}
	name := meta.Get(metaSchema)
	if name == nil {
		return nil // a file whose first initialisation was interrupted
	}
	if string(name) != SchemaName {
		return fmt.Errorf("%w: schema %q is not %q", storage.ErrCorrupt, name, SchemaName)
	}
	v, err := strconv.Atoi(string(meta.Get(metaVersion)))
	if err != nil || v < 1 {
		return fmt.Errorf("%w: schema version %q is not a positive integer", storage.ErrCorrupt, meta.Get(metaVersion))
	}
	if v > max {
		return fmt.Errorf("%w: file has schema %s version %d, this build reads up to version %d; upgrade dialgate", storage.ErrSchemaTooNew, SchemaName, v, max)
	}
	return nil
}

// requireSchema raises the file's schema version to v, within tx, when it
// is older: a write that older builds would misread makes them refuse the
// file (storage.ErrSchemaTooNew) instead.
func requireSchema(tx *bolt.Tx, v int) error {
	meta := tx.Bucket(bucketMeta)
	cur, err := strconv.Atoi(string(meta.Get(metaVersion)))
	if err == nil && cur >= v {
		return nil
	}
	return meta.Put(metaVersion, []byte(strconv.Itoa(v)))
}

var errStop = errors.New("stop")

func openErr(path string, err error, lockTimeout time.Duration) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("boltstore: open %s: %w (gave up after %v; only one process may open the store)", path, storage.ErrLocked, lockTimeout)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return fmt.Errorf("boltstore: open %s: %w: %w", path, storage.ErrCorrupt, err)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	// Any other failure to read an existing file's structure is damage.
	return fmt.Errorf("boltstore: open %s: %w: %w", path, storage.ErrCorrupt, err)
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Close closes the file and releases its lock. It is idempotent; calls in
// flight complete first.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.counters.j != nil {
			s.counters.j.close()
		}
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("boltstore: close %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// Ping reads the store file in a read transaction: it fails with
// storage.ErrUnavailable once a commit failed (the store then answers no
// read or write until reopened), with storage.ErrClosed after Close. It is
// cheap (a health probe).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.domainArgs(ctx, "ping"); err != nil {
		return err
	}
	return s.view("ping", func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return fmt.Errorf("%w: no meta bucket", storage.ErrCorrupt)
		}
		return nil
	})
}

func (s *Store) check(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("boltstore: %s: %w", op, storage.ErrClosed)
	}
	return nil
}

// txErr wraps an error from a bbolt transaction.
func txErr(op string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("boltstore: %s: %w", op, storage.ErrClosed)
	case errors.Is(err, storage.ErrCorrupt), errors.Is(err, storage.ErrInvalid):
		return fmt.Errorf("boltstore: %s: %w", op, err)
	}
	return fmt.Errorf("boltstore: %s: %w: %w", op, storage.ErrUnavailable, err)
}

// view runs fn in a read transaction, turning a panic caused by a damaged
// page into an error wrapping storage.ErrCorrupt.
func (s *Store) view(op string, fn func(tx *bolt.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("boltstore: %s: %w: %v", op, storage.ErrCorrupt, p)
		}
	}()
	if err := s.group.err(); err != nil {
		return txErr(op, err)
	}
	if err := s.db.View(fn); err != nil {
		return txErr(op, err)
	}
	return nil
}

// batch runs fn in a group-committed write transaction (fsynced before it
// returns). fn may run more than once and must reset its results each time.
func (s *Store) batch(op string, fn func(tx *bolt.Tx) error) error {
	if err := s.group.do(fn); err != nil {
		return txErr(op, err)
	}
	return nil
}
