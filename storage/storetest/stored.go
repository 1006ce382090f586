package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
)

// RawRecord is one record exactly as a store keeps it, for the cases that
// check what a store does with a damaged or foreign record it reads (see
// WithPlant). Kind is the storage.RecordError kind; the key fields say where
// the store files it, which need not agree with what JSON says.
type RawRecord struct {
	// Kind is "consent", "consent event", "dnc entry", "ledger entry",
	// "complaint" or "recording"; or "consent index": ID filed under Number
	// in the index of a number's consents, with no record stored under ID
	// (its bytes lost: a key deleted or evicted, a partial restore; JSON is
	// not used). A store without an index apart from its records returns
	// ErrCannotPlant for it.
	Kind string
	// ID is the key of a consent, complaint or recording.
	ID string
	// Number is the number a consent is indexed under, or the number of a
	// dnc or ledger entry's key.
	Number dialgate.Number
	// Scope is the scope of a dnc entry's key ("industry:finance").
	Scope string
	// Tenant is the tenant of a ledger entry's key.
	Tenant string
	// Seq is the key of a consent event; Number is then the number whose
	// history it is in.
	Seq uint64
	// JSON is the stored value, as is (possibly not even valid JSON).
	JSON []byte
}

// ErrCannotPlant is returned by a WithPlant function for a record its store
// cannot hold at all (memstore keeps decoded values, so no undecodable
// JSON); the case is skipped.
var ErrCannotPlant = errors.New("storetest: the store cannot hold this record")

// WithPlant gives the suites a way to store a record exactly as given,
// bypassing every check of the store's API (the store's own test reaches
// into its internals), for the cases that check that every read path
// refuses a damaged record with an error wrapping storage.ErrCorrupt that
// names its key and bad field, never skips it in a listing, never alters it,
// and still loads the records older builds wrote. Without WithPlant those
// cases are skipped.
func WithPlant(plant func(ctx context.Context, store any, r RawRecord) error) Option {
	return func(c *config) { c.plant = plant }
}

// storedT0 is the instant the stored-record cases' records are dated from.
var storedT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// storedCase is one record planted as stored: the sound base record of its
// domain changed by edit, or the raw bytes raw. field is what a read must
// name (the bad field, or "decode"); empty, the record is sound (what an
// older build wrote) and every read must return it.
type storedCase struct {
	name  string
	edit  func(m map[string]any)
	raw   string
	field string
	// only names the one read path that can see the damage (a number other
	// than the index's shows only where the record is found through that
	// index); empty: every read path.
	only string
}

// storedRead is one read path of a store: it reads, and reports how many
// of the records it returned are the planted one.
type storedRead struct {
	name string
	read func(ctx context.Context) (int, error)
}

// rfc renders t as a stored time.
func rfc(t time.Time) string { return t.Format(time.RFC3339Nano) }

// without returns an edit that deletes keys.
func without(keys ...string) func(map[string]any) {
	return func(m map[string]any) {
		for _, k := range keys {
			delete(m, k)
		}
	}
}

// set returns an edit that sets key to v.
func set(key string, v any) func(map[string]any) {
	return func(m map[string]any) { m[key] = v }
}

// zeroTime is how a zero time.Time is written ("0001-01-01T00:00:00Z").
var zeroTime = rfc(time.Time{})

// bytes returns the bytes to plant for c over base.
func (c storedCase) bytes(base map[string]any) []byte {
	if c.raw != "" {
		return []byte(c.raw)
	}
	m := maps.Clone(base)
	if c.edit != nil {
		c.edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // the cases' own maps: a bug in this file
	}
	return b
}

// checkStoredReads reads the planted record of kind under key through every
// read path, twice (a read must neither repair nor delete it): for a
// damaged one (field set) each read must fail with a *storage.RecordError
// wrapping storage.ErrCorrupt, naming key and field, and not wrapping
// invalid (the domain's bad-argument sentinel: the caller gave nothing
// wrong); for a sound one each read must return it.
func checkStoredReads(ctx context.Context, kind, key, field string, invalid error, reads []storedRead) error {
	for pass := range 2 {
		for _, r := range reads {
			n, err := r.read(ctx)
			if field == "" {
				if err != nil {
					return fmt.Errorf("%s (read %d): a record an older build wrote does not load: %w", r.name, pass+1, err)
				}
				if n != 1 {
					return fmt.Errorf("%s (read %d): returned the record %d times, want once", r.name, pass+1, n)
				}
				continue
			}
			var re *storage.RecordError
			switch {
			case err == nil:
				return fmt.Errorf("%s (read %d): the damaged record (%s) was returned (%d times) with no error: a check would judge it as sound", r.name, pass+1, field, n)
			case !errors.Is(err, storage.ErrCorrupt) || !errors.As(err, &re):
				return fmt.Errorf("%s (read %d): %v is not a *storage.RecordError wrapping storage.ErrCorrupt", r.name, pass+1, err)
			case errors.Is(err, invalid):
				return fmt.Errorf("%s (read %d): %v wraps %v: a damaged stored record would be reported as bad input", r.name, pass+1, err, invalid)
			case re.Kind != kind || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), field):
				return fmt.Errorf("%s (read %d): %q does not name the %s %s and its field %s", r.name, pass+1, err, kind, key, field)
			}
		}
	}
	return nil
}

// runStoredCases plants each case's record in a new store that also holds
// a sound record added through its API (neighbour, which must still read
// by its own key, unaffected) and checks every read path with
// checkStoredReads. A case whose record the store cannot hold is skipped
// (the rest still run); none run without WithPlant.
func runStoredCases[S any](ctx context.Context, h harness[S], kind string, invalid error, cases []storedCase,
	base map[string]any, key string, raw func(js []byte) RawRecord,
	neighbour func(ctx context.Context, s S) (check func(ctx context.Context) error, err error),
	reads func(s S) []storedRead) error {
	planted := 0
	for _, c := range cases {
		s, err := h.open()
		if err != nil {
			return err
		}
		check, err := neighbour(ctx, s)
		if err != nil {
			return fmt.Errorf("%s: add the sound neighbour: %w", c.name, err)
		}
		err = h.plantOrSkip(ctx, s, raw(c.bytes(base)))
		if errors.Is(err, errNoPlant) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		planted++
		rs := reads(s)
		if c.only != "" {
			rs = slices.DeleteFunc(rs, func(r storedRead) bool { return r.name != c.only })
		}
		if err := checkStoredReads(ctx, kind, key, c.field, invalid, rs); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if err := check(ctx); err != nil {
			return fmt.Errorf("%s: the sound record beside it: %w", c.name, err)
		}
	}
	if planted == 0 {
		return errNoPlant
	}
	return nil
}

// countOf counts the elements of xs that is accepts.
func countOf[T any](xs []T, is func(T) bool) int {
	n := 0
	for _, x := range xs {
		if is(x) {
			n++
		}
	}
	return n
}
