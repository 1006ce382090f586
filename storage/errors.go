package storage

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by every store. Check them with errors.Is.
var (
	// ErrNotFound: the record asked for does not exist.
	ErrNotFound = errors.New("storage: not found")
	// ErrConflict: the write conflicts with what is stored (a different record
	// under the same id, a concurrent change).
	ErrConflict = errors.New("storage: conflict")
	// ErrClosed: the store was closed; no call succeeds after Close.
	ErrClosed = errors.New("storage: closed")
	// ErrCorrupt: the store's file or data is damaged or is not a dialgate
	// store. The store refuses to open it and leaves it untouched. A single
	// record that does not decode, or decodes but fails its domain's
	// validation, is refused on every read with a *RecordError wrapping
	// ErrCorrupt (see DecodeRecord), and left untouched too.
	ErrCorrupt = errors.New("storage: corrupt or foreign data")
	// ErrSchemaTooNew: the data was written by a newer dialgate with a schema
	// version this build does not know. The store refuses to open it and
	// leaves it untouched; upgrade dialgate.
	ErrSchemaTooNew = errors.New("storage: schema too new")
	// ErrLocked: another process holds the store (a file lock that could not
	// be taken before the timeout).
	ErrLocked = errors.New("storage: locked by another process")
	// ErrInvalid: an argument is malformed (empty id or key, non-positive
	// window…). The error names the argument.
	ErrInvalid = errors.New("storage: invalid argument")
	// ErrUnavailable: the back-end could not be reached or did not answer in
	// time. Checks turn it into "<check>.unavailable" (fail closed).
	ErrUnavailable = errors.New("storage: unavailable")

	// ErrMaybeApplied: a write was sent but its answer was lost (the
	// connection dropped, or the call's context ended, on the way back),
	// and the store could not tell whether it was applied: it may be in
	// force. It wraps ErrUnavailable (checks deny); the write is not
	// reported as "not applied".
	ErrMaybeApplied = fmt.Errorf("storage: the write may have been applied (its answer was lost): %w", ErrUnavailable)
)
