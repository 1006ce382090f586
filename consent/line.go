package consent

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

// LineRecords returns the records of the line n reaches: n's and, for a
// French overseas line (numbering.OverseasAlias: +596 596 12 34 56 and
// +33 596 12 34 56), those kept under its other spelling — one person's —
// together in Store.ConsentsByNumber's order (GrantedAt, then ID), the same
// whichever spelling n is; none is an empty slice. The Check judges a dial
// on these records, and `dialgate consent show` and `consent export` list
// them. They are returned as the store hands them out: a record it refuses
// as damaged (Record.ValidateStored: storage.ErrCorrupt) fails the call,
// while a revoked record, or one whose id form, evidence URI or channels
// are malformed, is returned as stored.
func LineRecords(ctx context.Context, s Store, n dialgate.Number) ([]Record, error) {
	return line(ctx, n, s.ConsentsByNumber, SortRecords, "consents by number")
}

// LineHistory returns the events of the line n reaches (see LineRecords):
// those of both spellings of a French overseas line, in Seq order; none is
// an empty slice.
func LineHistory(ctx context.Context, s Store, n dialgate.Number) ([]Event, error) {
	return line(ctx, n, s.ConsentHistory, func(evs []Event) {
		slices.SortFunc(evs, func(x, y Event) int { return cmp.Compare(x.Seq, y.Seq) })
	}, "consent history")
}

// line reads n's items with read and, when n is a French overseas line,
// those of its other spelling, and returns them together ordered by sort.
func line[T any](ctx context.Context, n dialgate.Number, read func(context.Context, dialgate.Number) ([]T, error), sort func([]T), what string) ([]T, error) {
	items, err := read(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if alt, ok := numbering.OverseasAlias(n); ok {
		more, err := read(ctx, alt)
		if err != nil {
			return nil, fmt.Errorf("%s (the line's other spelling): %w", what, err)
		}
		items = append(items, more...)
		sort(items)
	}
	if items == nil {
		items = []T{}
	}
	return items, nil
}
