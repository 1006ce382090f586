// Package storage holds the sentinel errors shared by every store.
//
// PLACEHOLDER written by the consent helper so that package consent compiles
// before the storage base lands on main; on merge, take the storage helper's
// version of this file.
package storage

import "errors"

// Sentinel errors of every store. Check them with errors.Is.
var (
	// ErrNotFound: the record asked for does not exist.
	ErrNotFound = errors.New("storage: not found")
	// ErrConflict: a record with that key already exists.
	ErrConflict = errors.New("storage: conflict")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("storage: closed")
)
