package memstore

import (
	"fmt"
	"sync"
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

func (t *table[T]) list(sp tableSpec[T], keep func(T) bool) []T {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []T
	for _, v := range t.m {
		if keep(v) {
			out = append(out, sp.clone(v))
		}
	}
	return out
}
