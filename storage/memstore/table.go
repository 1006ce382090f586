package memstore

import (
	"fmt"
	"slices"
	"sync"

	"github.com/dialgate/dialgate/storage"
)

// table is a map of records of type T keyed by id, guarded by a mutex: the
// shape shared by the recording and complaint stores. Records are cloned on
// the way in and out, so callers never share memory with the store.
type table[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

// tableSpec says how a domain's records behave in a table.
type tableSpec[T any] struct {
	what     string
	id       func(T) string
	clone    func(T) T
	validate func(T) error
	stored   func(T, string) error // the domain's check of a record read under its key
	notFound error
	exists   error
	invalid  error
}

func (t *table[T]) create(sp tableSpec[T], v T) error {
	if err := sp.validate(v); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]T{}
	}
	if _, ok := t.m[sp.id(v)]; ok {
		return fmt.Errorf("memstore: %s %s: %w", sp.what, sp.id(v), sp.exists)
	}
	t.m[sp.id(v)] = sp.clone(v)
	return nil
}

func (t *table[T]) get(sp tableSpec[T], id string) (T, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[id]
	if !ok {
		var zero T
		return zero, fmt.Errorf("memstore: %s %s: %w", sp.what, id, sp.notFound)
	}
	if err := storage.CheckRecord(sp.what, id, sp.stored(v, id)); err != nil {
		var zero T
		return zero, err
	}
	return sp.clone(v), nil
}

// update applies fn to a copy and stores it if fn and validation succeed.
func (t *table[T]) update(sp tableSpec[T], id string, fn func(*T) error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[id]
	if !ok {
		return fmt.Errorf("memstore: %s %s: %w", sp.what, id, sp.notFound)
	}
	if err := storage.CheckRecord(sp.what, id, sp.stored(v, id)); err != nil {
		return err
	}
	v = sp.clone(v)
	if err := fn(&v); err != nil {
		return err
	}
	if sp.id(v) != id {
		return fmt.Errorf("memstore: %s %s: update changed the id to %q: %w", sp.what, id, sp.id(v), sp.invalid)
	}
	if err := sp.validate(v); err != nil {
		return err
	}
	t.m[id] = v
	return nil
}

// list returns the records keep accepts; a record that fails sp.stored
// fails the whole list (the first in id order), never skipped.
func (t *table[T]) list(sp tableSpec[T], keep func(T) bool) ([]T, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var (
		out []T
		bad []string
	)
	for id, v := range t.m {
		if sp.stored(v, id) != nil {
			bad = append(bad, id)
			continue
		}
		if keep(v) {
			out = append(out, sp.clone(v))
		}
	}
	if len(bad) > 0 {
		id := slices.Min(bad)
		return nil, storage.CheckRecord(sp.what, id, sp.stored(t.m[id], id))
	}
	return out, nil
}
