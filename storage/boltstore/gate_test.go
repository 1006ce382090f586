package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

var (
	cite     = dialgate.Citation{Source: "U", Ref: "test"}
	gateT0   = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	gateFrom = dialgate.MustParseNumber("+861058001234")
	gateTo   = dialgate.MustParseNumber("+8613900139000")
)

// lastDigits hashes a callee as "h:" and its last digit.
type lastDigits struct{}

func (lastDigits) HashCallee(n dialgate.Number) string { return "h:" + n.Digits()[len(n.Digits())-1:] }

// reasonMessage returns the message of d's reason with code c, or "".
func reasonMessage(d dialgate.Decision, c dialgate.Code) string {
	for _, r := range d.Reasons {
		if r.Code == c {
			return r.Message
		}
	}
	return ""
}

func plant(t *testing.T, s *boltstore.Store, r storetest.RawRecord) {
	t.Helper()
	if err := boltstore.Plant(context.Background(), s, r); err != nil {
		t.Fatal(err)
	}
}

func gateWith(t *testing.T, c dialgate.Checker) *dialgate.Gate {
	t.Helper()
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return gateT0 })))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A record of the callee (or, for the ledger, of the tenant) that decodes
// but is damaged denies the dial with "<check>.unavailable", the gate's error
// naming the record and its field; the same store with the record sound
// allows it. The checks are those of the embedded store the CLI and the
// sidecar run on.
func TestGateDeniesOnDamagedStoredRecord(t *testing.T) {
	ctx := context.Background()
	marketing := dialgate.Dial{To: gateTo, From: gateFrom, Purpose: dialgate.PurposeMarketing,
		Industry: "finance", Tenant: "acme", ConsentID: "c-1"}
	consentJS := func(n dialgate.Number) string {
		return fmt.Sprintf(`{"id":"c-1","number":%q,"scope":"industry:finance","method":"written","evidence_uri":"https://evidence.example/c-1","granted_at":%q}`,
			n, gateT0.AddDate(0, -1, 0).Format(time.RFC3339))
	}
	dncJS := func(added time.Time) string {
		return fmt.Sprintf(`{"number":%q,"scope":"industry:insurance","list":"opt_out","added_at":%q}`, gateTo, added.Format(time.RFC3339Nano))
	}
	ledgerJS := func(typ string) string {
		return fmt.Sprintf(`{"tenant":"acme","number":%q,"type":%q,"holder":"Acme Ltd","purposes":["marketing"]}`, gateFrom, typ)
	}
	tests := []struct {
		check       string
		sound, hurt storetest.RawRecord
		field       string
		newCheck    func(t *testing.T, s *boltstore.Store) dialgate.Checker
	}{
		{
			// Filed under the callee, the consent of another number.
			check: "consent", field: "number",
			sound: storetest.RawRecord{Kind: "consent", ID: "c-1", Number: gateTo, JSON: []byte(consentJS(gateTo))},
			hurt:  storetest.RawRecord{Kind: "consent", ID: "c-1", Number: gateTo, JSON: []byte(consentJS(dialgate.MustParseNumber("+8613900139001")))},
			newCheck: func(t *testing.T, s *boltstore.Store) dialgate.Checker {
				c, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, Cite: cite}}}, s)
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
		},
		{
			// An opt-out scoped to another industry: sound, it does not
			// apply; with added_at lost, the check cannot tell what it is.
			check: "dnc", field: "added_at",
			sound: storetest.RawRecord{Kind: "dnc entry", Number: gateTo, Scope: "industry:insurance", JSON: []byte(dncJS(gateT0))},
			hurt:  storetest.RawRecord{Kind: "dnc entry", Number: gateTo, Scope: "industry:insurance", JSON: []byte(dncJS(time.Time{}))},
			newCheck: func(t *testing.T, s *boltstore.Store) dialgate.Checker {
				lists, err := dnc.NewLists(ctx, s, dnc.ListsOptions{NoBloom: true})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { lists.Close() })
				c, err := dnc.New(dnc.Config{}, lists)
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
		},
		{
			// A resource type this build does not know (a foreign tool's).
			check: "callerid", field: "type",
			sound: storetest.RawRecord{Kind: "ledger entry", Tenant: "acme", Number: gateFrom, JSON: []byte(ledgerJS("fixed"))},
			hurt:  storetest.RawRecord{Kind: "ledger entry", Tenant: "acme", Number: gateFrom, JSON: []byte(ledgerJS("satellite"))},
			newCheck: func(t *testing.T, s *boltstore.Store) dialgate.Checker {
				c, err := callerid.New(callerid.Config{Cite: cite, Ledger: &callerid.Rule{Cite: cite}}, s)
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			for _, hurt := range []bool{false, true} {
				s := openTemp(t)
				r := tt.sound
				if hurt {
					r = tt.hurt
				}
				plant(t, s, r)
				d, err := gateWith(t, tt.newCheck(t, s)).Check(ctx, marketing)
				if !hurt {
					if err != nil || !d.Allowed {
						t.Fatalf("sound record: %+v, %v; want allowed (the case must show the damage alone denies)", d.Reasons, err)
					}
					continue
				}
				want := dialgate.UnavailableCode(tt.check)
				if d.Allowed || !slices.ContainsFunc(d.Reasons, func(r dialgate.Reason) bool { return r.Code == want }) {
					t.Fatalf("damaged record: allowed %v, reasons %+v; want a deny with %s", d.Allowed, d.Reasons, want)
				}
				if err != nil {
					t.Fatalf("damaged record: gate error %v; the check's failure is a reason, not the gate's", err)
				}
				if msg := reasonMessage(d, want); !strings.Contains(msg, storage.ErrCorrupt.Error()) || !strings.Contains(msg, tt.field) {
					t.Errorf("damaged record: reason %q does not say the stored record is corrupt and name %s", msg, tt.field)
				}
			}
		})
	}
}

// A damaged do-not-call entry stops the Bloom-filtered lists from loading
// (every number is then unchecked, so nothing may start on them), and an
// entry damaged after they loaded denies its callee dnc.unavailable.
func TestDNCListsRefuseDamagedEntry(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	hurt := storetest.RawRecord{Kind: "dnc entry", Number: gateTo, Scope: "global",
		JSON: []byte(fmt.Sprintf(`{"number":%q,"scope":"global","list":"opt_out"}`, gateTo))}
	plant(t, s, hurt)
	if _, err := dnc.NewLists(ctx, s, dnc.ListsOptions{}); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("NewLists on a damaged entry: %v, want storage.ErrCorrupt", err)
	}

	s = openTemp(t)
	lists, err := dnc.NewLists(ctx, s, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lists.Close() })
	if err := lists.Add(ctx, dnc.Entry{Number: gateTo, Scope: dnc.GlobalScope, List: "opt_out", AddedAt: gateT0}); err != nil {
		t.Fatal(err)
	}
	plant(t, s, hurt) // damaged in place: the Bloom filter still holds the number
	c, err := dnc.New(dnc.Config{}, lists)
	if err != nil {
		t.Fatal(err)
	}
	d, err := gateWith(t, c).Check(ctx, dialgate.Dial{To: gateTo, From: gateFrom, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
	if msg := reasonMessage(d, "dnc.unavailable"); err != nil || d.Allowed || !strings.Contains(msg, storage.ErrCorrupt.Error()) || !strings.Contains(msg, "added_at") {
		t.Fatalf("got allowed %v, %+v, %v; want dnc.unavailable naming the corrupt record's added_at", d.Allowed, d.Reasons, err)
	}
}

// A complaint's recording hold is kept while the complaint cannot be read
// (a damaged record: its status is unknown), and a sweep with a damaged
// recording among those due deletes nothing.
func TestDamagedComplaintAndRecordingKeepRecordings(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	plant(t, s, storetest.RawRecord{Kind: "complaint", ID: "cp-1", JSON: []byte(fmt.Sprintf(
		`{"id":"cp-1","callee":"h:1","scope":"global","channel":"phone","received_at":%q,"status":"closed"}`, gateT0.Format(time.RFC3339)))})
	err := complaint.HoldGuard(s)(ctx, complaint.HoldPrefix+"cp-1")
	if !errors.Is(err, recording.ErrHoldProtected) || !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "status") {
		t.Fatalf("HoldGuard on a damaged complaint: %v; want recording.ErrHoldProtected and storage.ErrCorrupt naming status", err)
	}

	m, err := recording.NewManager(recording.Config{}, s, nil, lastDigits{})
	if err != nil {
		t.Fatal(err)
	}
	old := gateT0.AddDate(0, -3, 0)
	sound := recording.Recording{ID: "r-sound", Callee: "h:1", StartedAt: old, RetainUntil: old.Add(recording.MinRetention), State: recording.StateActive}
	if err := s.CreateRecording(ctx, sound); err != nil {
		t.Fatal(err)
	}
	plant(t, s, storetest.RawRecord{Kind: "recording", ID: "r-hurt", JSON: []byte(fmt.Sprintf(
		`{"id":"r-hurt","callee":"h:1","started_at":%q,"retain_until":%q,"state":"purged"}`, old.Format(time.RFC3339), old.Add(recording.MinRetention).Format(time.RFC3339)))})
	if _, err := m.Sweep(ctx, gateT0); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("Sweep with a damaged recording: %v, want storage.ErrCorrupt", err)
	}
	if _, err := s.GetRecording(ctx, sound.ID); err != nil {
		t.Fatalf("the sound recording due for deletion: %v; a failed sweep must delete nothing", err)
	}
}
