package memstore

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// table is a map of records of type T keyed by id, guarded by a mutex: the
// shape shared by the recording and complaint stores. Records are cloned on
// the way in and out, so callers never share memory with the store.
type table[T any] struct {
	mu sync.Mutex
	m  map[string]T
	// order holds m's keys sorted by (sp.at of the record, key) when the
	// spec has at (complaints, by receipt): pages seek it instead of
	// scanning m.
	order []string
	// groups holds, when the spec has group too (complaints, by callee),
	// each group's keys in order's order: a listing of one group seeks
	// its own.
	groups map[string][]string
}

// tableSpec says how a domain's records behave in a table.
type tableSpec[T any] struct {
	what     string
	id       func(T) string
	clone    func(T) T
	validate func(T) error
	// update, when set, is the check of an update of old to v in place of
	// validate (text an earlier build stored may stay).
	update   func(old, v T) error
	stored   func(T, string) error // the domain's check of a record read under its key
	notFound error
	exists   error
	invalid  error
	// at, when set, orders the table (table.order): the record's instant.
	at func(T) time.Time
	// group, when set with at, files the records by group as well
	// (table.groups): a complaint's callee. A record of group "" (no
	// callee: damaged) is in every group's listing, which fails on it.
	group func(T) string
}

// cmpAt orders (at(a), ka) against (at(b), kb).
func (sp tableSpec[T]) cmpAt(a T, ka string, b T, kb string) int {
	if c := sp.at(a).Compare(sp.at(b)); c != 0 {
		return c
	}
	return strings.Compare(ka, kb)
}

// set stores v under id, keeping order and groups; t.mu is held.
func (t *table[T]) set(sp tableSpec[T], id string, v T) {
	if t.m == nil {
		t.m = map[string]T{}
	}
	old, had := t.m[id]
	if sp.at == nil {
		t.m[id] = v
		return
	}
	if had {
		if sp.at(old).Equal(sp.at(v)) && (sp.group == nil || sp.group(old) == sp.group(v)) {
			t.m[id] = v
			return
		}
		// t.m[id] is old while it is found and removed.
		t.order = t.remove(sp, t.order, old, id)
		if sp.group != nil {
			g := sp.group(old)
			if t.groups[g] = t.remove(sp, t.groups[g], old, id); len(t.groups[g]) == 0 {
				delete(t.groups, g)
			}
		}
	}
	t.m[id] = v
	t.order = t.insert(sp, t.order, v, id)
	if sp.group != nil {
		if t.groups == nil {
			t.groups = map[string][]string{}
		}
		g := sp.group(v)
		t.groups[g] = t.insert(sp, t.groups[g], v, id)
	}
}

// remove removes id, stored as v, from keys (in order's order).
func (t *table[T]) remove(sp tableSpec[T], keys []string, v T, id string) []string {
	if i, ok := t.find(sp, keys, v, id); ok {
		return slices.Delete(keys, i, i+1)
	}
	return keys
}

// insert inserts id, stored as v, into keys (in order's order).
func (t *table[T]) insert(sp tableSpec[T], keys []string, v T, id string) []string {
	i, _ := t.find(sp, keys, v, id)
	return slices.Insert(keys, i, id)
}

// find returns where (at(v), id) is or would be in keys.
func (t *table[T]) find(sp tableSpec[T], keys []string, v T, id string) (int, bool) {
	return slices.BinarySearchFunc(keys, id, func(k, _ string) int { return sp.cmpAt(t.m[k], k, v, id) })
}

// from hands the records to each in order from the first for which start
// is true, until each returns false; a record that fails sp.stored stops it
// with its error. The table must have sp.at. A group other than "" hands
// that group's records only (the spec must have sp.group), after checking
// those of group "", which may be any group's.
func (t *table[T]) from(sp tableSpec[T], group string, start func(v T, id string) bool, each func(v T) bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := t.order
	if group != "" {
		for _, k := range t.groups[""] {
			if err := storage.CheckRecord(sp.what, k, sp.stored(t.m[k], k)); err != nil {
				return err
			}
		}
		keys = t.groups[group]
	}
	i, _ := slices.BinarySearchFunc(keys, true, func(k string, _ bool) int {
		if start(t.m[k], k) {
			return 1
		}
		return -1
	})
	for _, k := range keys[i:] {
		v := t.m[k]
		if err := storage.CheckRecord(sp.what, k, sp.stored(v, k)); err != nil {
			return err
		}
		if !each(sp.clone(v)) {
			return nil
		}
	}
	return nil
}

func (t *table[T]) create(sp tableSpec[T], v T) error {
	if err := sp.validate(v); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[sp.id(v)]; ok {
		return fmt.Errorf("memstore: %s %s: %w", sp.what, sp.id(v), sp.exists)
	}
	t.set(sp, sp.id(v), sp.clone(v))
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
	old := v
	v = sp.clone(v)
	if err := fn(&v); err != nil {
		return err
	}
	if sp.id(v) != id {
		return fmt.Errorf("memstore: %s %s: update changed the id to %q: %w", sp.what, id, sp.id(v), sp.invalid)
	}
	check := sp.validate
	if sp.update != nil {
		check = func(v T) error { return sp.update(old, v) }
	}
	if err := check(v); err != nil {
		return err
	}
	t.set(sp, id, v)
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
