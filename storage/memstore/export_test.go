package memstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/storetest"
)

// Plant files r in the store as given, bypassing every check (for
// storetest.WithPlant). The memstore keeps decoded values: JSON that does
// not decode into the record type cannot be planted.
func Plant(_ context.Context, store any, r storetest.RawRecord) error {
	s := store.(*Store)
	decode := func(v any) error {
		if err := json.Unmarshal(r.JSON, v); err != nil {
			return fmt.Errorf("%w: %v", storetest.ErrCannotPlant, err)
		}
		return nil
	}
	switch r.Kind {
	case "consent":
		var v consent.Record
		if err := decode(&v); err != nil {
			return err
		}
		c := &s.consents
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.byID == nil {
			c.byID, c.byNum = map[string]consent.Record{}, map[dialgate.Number][]string{}
		}
		c.byID[r.ID] = v
		c.byNum[r.Number] = append(c.byNum[r.Number], r.ID)
	case "consent index":
		c := &s.consents
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.byID == nil {
			c.byID, c.byNum = map[string]consent.Record{}, map[dialgate.Number][]string{}
		}
		c.byNum[r.Number] = append(c.byNum[r.Number], r.ID)
	case "consent event":
		var v consent.Event
		if err := decode(&v); err != nil {
			return err
		}
		c := &s.consents
		c.mu.Lock()
		defer c.mu.Unlock()
		if r.Seq != uint64(len(c.events))+1 || v.Number != r.Number {
			// Event seq n is at index n-1, and a number's history is the
			// events naming it: there is no other key to disagree with.
			return fmt.Errorf("%w: the memstore keys events by index and number", storetest.ErrCannotPlant)
		}
		c.events = append(c.events, v)
	case "dnc entry":
		var v dnc.Entry
		if err := decode(&v); err != nil {
			return err
		}
		if v.Scope != dnc.MustParseScope(r.Scope) {
			// The memstore files entries by number only, each carrying its
			// own scope: an entry of another scope is simply that scope's.
			return fmt.Errorf("%w: the memstore has no scope key", storetest.ErrCannotPlant)
		}
		st := &s.dnc
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.m == nil {
			st.m = map[uint64][]dnc.Entry{}
		}
		st.m[r.Number.Uint64()] = append(st.m[r.Number.Uint64()], v)
	case "ledger entry":
		var v callerid.Entry
		if err := decode(&v); err != nil {
			return err
		}
		l := &s.ledger
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.m == nil {
			l.m = map[ledgerKey]callerid.Entry{}
		}
		l.m[ledgerKey{r.Tenant, r.Number}] = v
	case "complaint":
		var v complaint.Complaint
		if err := decode(&v); err != nil {
			return err
		}
		plantTable(&s.complaints, complaintSpec, r.ID, v)
	case "recording":
		var v recording.Recording
		if err := decode(&v); err != nil {
			return err
		}
		plantTable(&s.recordings.table, recordingSpec, r.ID, v)
	default:
		return fmt.Errorf("memstore: cannot plant a %q", r.Kind)
	}
	return nil
}

func plantTable[T any](t *table[T], sp tableSpec[T], id string, v T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.set(sp, id, v)
}
