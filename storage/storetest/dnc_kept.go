package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

// unkeptInstants are instants a JSON store cannot keep as given: years
// outside 0000–9999 fail to encode, and RFC 3339 drops the seconds of a
// zone offset (the instant read back is another).
var unkeptInstants = []struct {
	name string
	t    time.Time
}{
	{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	{"year -1", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
	{"offset +08:05:43", time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("LMT", 8*3600+5*60+43))},
}

// dncUnkeptRefused: an entry with an instant no store can keep as given is
// refused by every store alike, with an error wrapping dnc.ErrInvalidEntry
// that names the field, and nothing of its batch is written. The memstore
// kept such an entry as given, boltstore, redisstore and pgstore failed a
// year past 9999 with an encoding error and stored an offset with seconds
// as another instant: a hold until 09:00:00 +08:05:43 read back as one
// until 09:00:00 +08:05, 43 s longer — or, east of UTC the other way
// round, shorter: removable before it ended.
func dncUnkeptRefused(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	good := dncEntry("+8613800138001", "global", 0)
	for _, u := range unkeptInstants {
		for _, field := range []string{"added_at", "hold_until"} {
			e := dncEntry("+8613800138000", "global", 0)
			if field == "added_at" {
				e.AddedAt = u.t
			}
			if field == "hold_until" || e.AddedAt.After(e.HoldUntil) {
				e.HoldUntil = u.t
			}
			if field == "hold_until" && u.t.Before(e.AddedAt) {
				continue // refused as a hold before added_at
			}
			err := s.AddDNC(ctx, good, e)
			if !errors.Is(err, dnc.ErrInvalidEntry) || !strings.Contains(err.Error(), field) || errors.Is(err, storage.ErrUnavailable) {
				return fmt.Errorf("AddDNC with %s at %s (%s): %v, want dnc.ErrInvalidEntry naming %s", field, u.t, u.name, err, field)
			}
		}
	}
	var n int
	if err := s.ScanDNC(ctx, func(dnc.Entry) error { n++; return nil }); err != nil || n != 0 {
		return fmt.Errorf("after refused batches: %d entries, %v; want none", n, err)
	}
	return nil
}

// ledgerUnkeptRefused: a ledger entry valid from or until an instant no
// store can keep as given is refused by every store alike, with an error
// wrapping callerid.ErrInvalidEntry that names the field, and nothing is
// written. The memstore kept it as given; boltstore and pgstore failed a
// year past 9999 with an encoding error and stored an offset with seconds
// as another instant (a caller ID usable up to 59 s longer than its
// valid_until).
func ledgerUnkeptRefused(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	for _, u := range unkeptInstants {
		for _, field := range []string{"valid_from", "valid_until"} {
			e := ledEntry("acme", ledFixed)
			if field == "valid_from" {
				e.ValidFrom = u.t
				if !u.t.Before(e.ValidUntil) {
					e.ValidUntil = time.Time{}
				}
			} else {
				e.ValidUntil = u.t
				if !u.t.After(e.ValidFrom) {
					e.ValidFrom = time.Time{}
				}
			}
			err := s.PutLedger(ctx, ledEntry("acme", ledFixed2), e)
			if !errors.Is(err, callerid.ErrInvalidEntry) || !strings.Contains(err.Error(), field) || errors.Is(err, storage.ErrUnavailable) {
				return fmt.Errorf("PutLedger with %s at %s (%s): %v, want callerid.ErrInvalidEntry naming %s", field, u.t, u.name, err, field)
			}
		}
	}
	if all, err := s.ListLedger(ctx); err != nil || len(all) != 0 {
		return fmt.Errorf("after refused puts: %d entries, %v; want none", len(all), err)
	}
	return nil
}
