package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

// The stored-record cases of each domain: the sound record an older build
// could have written (base), damaged one field at a time. A record with an
// empty field in its case is sound and must load.

var storedNum = dialgate.MustParseNumber("+8613900139055")

// readPair is the usual two read paths of a domain: one that reads the
// planted record by its key, one that lists records (is picks it out).
func readPair[T any](getName string, get func(context.Context) (T, error), listName string, list func(context.Context) ([]T, error), is func(T) bool) []storedRead {
	return []storedRead{
		{getName, func(ctx context.Context) (int, error) {
			_, err := get(ctx)
			return 1, err
		}},
		{listName, func(ctx context.Context) (int, error) {
			xs, err := list(ctx)
			return countOf(xs, is), err
		}},
	}
}

// neighbour adds a sound record with add and returns how to read it back
// with get.
func neighbour[T any](ctx context.Context, add func(context.Context) error, get func(context.Context) (T, error)) (func(context.Context) error, error) {
	if err := add(ctx); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { _, err := get(ctx); return err }, nil
}

func consentStored(ctx context.Context, h harness[consent.Store]) error {
	const id = "c-stored"
	day := 24 * time.Hour
	base := map[string]any{ // no tenant: written before consents named one
		"id": id, "number": storedNum.String(), "scope": "industry:finance", "method": "written",
		"evidence_uri": "https://evidence.example/" + id, "granted_at": rfc(storedT0), "expires_at": rfc(storedT0.Add(365 * day)),
	}
	cases := []storedCase{
		{name: "OlderBuildWithoutTenant"},
		{name: "NoExpiryNeverLapses", edit: without("expires_at")},
		{name: "RevokedWithUnknownMethod", edit: func(m map[string]any) {
			m["method"], m["revoked_at"], m["revocation_channel"] = "carrier_pigeon", rfc(storedT0.Add(day)), "call"
		}},
		{name: "MissingScope", edit: without("scope"), field: "scope"},
		{name: "MissingNumber", edit: without("number"), field: "number"},
		{name: "ZeroGrantedAt", edit: set("granted_at", zeroTime), field: "granted_at"},
		{name: "MissingGrantedAt", edit: without("granted_at"), field: "granted_at"},
		{name: "UnknownMethod", edit: set("method", "carrier_pigeon"), field: "method"},
		{name: "RevokedAtLost", edit: set("revocation_channel", "sms"), field: "revocation_channel"},
		{name: "ExpiresBeforeGranted", edit: set("expires_at", rfc(storedT0.Add(-day))), field: "expires_at"},
		{name: "IDNotItsKey", edit: set("id", "c-elsewhere"), field: "id"},
		{name: "FiledUnderAnotherNumber", edit: set("number", conNum2.String()), field: "number", only: "ConsentsByNumber"},
		{name: "WrongType", edit: set("granted_at", 12), field: "granted_at"},
		{name: "NotJSON", raw: `{"id":"c-stored","number":`, field: "decode"},
	}
	return runStoredCases(ctx, h, "consent", consent.ErrInvalid, cases, base, id,
		func(js []byte) RawRecord { return RawRecord{Kind: "consent", ID: id, Number: storedNum, JSON: js} },
		func(ctx context.Context, s consent.Store) (func(context.Context) error, error) {
			r := conRecord("c-sound", storedNum, storedT0)
			return neighbour(ctx, func(ctx context.Context) error { return s.AddConsent(ctx, r) },
				func(ctx context.Context) (consent.Record, error) { return s.Consent(ctx, r.ID) })
		},
		func(s consent.Store) []storedRead {
			return readPair("Consent", func(ctx context.Context) (consent.Record, error) { return s.Consent(ctx, id) },
				"ConsentsByNumber", func(ctx context.Context) ([]consent.Record, error) { return s.ConsentsByNumber(ctx, storedNum) },
				func(r consent.Record) bool { return r.ID == id })
		})
}

// consentStoredRevoke checks the remedy for a damaged consent: a withdrawal
// is never refused for what is wrong with the record, and once withdrawn it
// loads (a revoked record only denies).
func consentStoredRevoke(ctx context.Context, h harness[consent.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	const id = "c-stored"
	js := fmt.Sprintf(`{"id":%q,"number":%q,"scope":"industry:finance","method":"carrier_pigeon","granted_at":%q}`, id, storedNum, rfc(storedT0))
	if err := h.plantOrSkip(ctx, s, RawRecord{Kind: "consent", ID: id, Number: storedNum, JSON: []byte(js)}); err != nil {
		return err
	}
	if _, err := s.ConsentsByNumber(ctx, storedNum); err == nil {
		return fmt.Errorf("ConsentsByNumber: the unknown method was not refused")
	}
	r, err := s.RevokeConsent(ctx, id, storedT0.Add(time.Hour), "call")
	if err != nil {
		return fmt.Errorf("RevokeConsent of a damaged record: %w (a withdrawal must never be refused for the record)", err)
	}
	if !r.Revoked() {
		return fmt.Errorf("RevokeConsent returned %+v, not revoked", r)
	}
	rs, err := s.ConsentsByNumber(ctx, storedNum)
	if err != nil || len(rs) != 1 || !rs[0].Revoked() {
		return fmt.Errorf("ConsentsByNumber after the withdrawal: %+v, %v; want the revoked record", rs, err)
	}
	return nil
}

// consentIndexWithoutRecord checks a number's index that names a record
// whose bytes are gone: ConsentsByNumber must fail with an error wrapping
// storage.ErrCorrupt that names the id, never list the number's other
// records without it. The lost record may be a withdrawal (a revoked
// record): left out, it withdraws nothing, and an older grant of the person
// allows the dials the person refused.
func consentIndexWithoutRecord(ctx context.Context, h harness[consent.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	const gone = "c-gone"
	old := conRecord("c-old", storedNum, storedT0)
	if err := s.AddConsent(ctx, old); err != nil {
		return err
	}
	if err := h.plantOrSkip(ctx, s, RawRecord{Kind: "consent index", ID: gone, Number: storedNum}); err != nil {
		return err
	}
	for pass := range 2 {
		rs, err := s.ConsentsByNumber(ctx, storedNum)
		switch {
		case err == nil:
			return fmt.Errorf("ConsentsByNumber (read %d) = %d records, no error: the index names %s, whose record is gone, and the listing left it out (a lost withdrawal would let %s allow again)", pass+1, len(rs), gone, old.ID)
		case !errors.Is(err, storage.ErrCorrupt):
			return fmt.Errorf("ConsentsByNumber (read %d): %w; want an error wrapping storage.ErrCorrupt", pass+1, err)
		case !strings.Contains(err.Error(), gone):
			return fmt.Errorf("ConsentsByNumber (read %d): %v; want the error to name %s", pass+1, err, gone)
		}
	}
	if _, err := s.Consent(ctx, gone); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("Consent(%s) = %v, want an error wrapping storage.ErrNotFound (no record is stored under it)", gone, err)
	}
	if _, err := s.Consent(ctx, old.ID); err != nil {
		return fmt.Errorf("Consent(%s), the sound record beside it: %w", old.ID, err)
	}
	return nil
}

func consentEventStored(ctx context.Context, h harness[consent.Store]) error {
	const seq = 2           // the neighbour's grant is 1
	base := map[string]any{ // no channel or requested_at: both optional
		"seq": seq, "type": "revoked", "consent_id": "c-stored", "number": storedNum.String(), "at": rfc(storedT0),
	}
	cases := []storedCase{
		{name: "OlderBuildWithoutRequestedAt"},
		{name: "MissingNumber", edit: without("number"), field: "number"},
		{name: "AnotherNumber", edit: set("number", conNum2.String()), field: "number", only: "ConsentHistory"},
		{name: "UnknownType", edit: set("type", "withdrawn"), field: "type"},
		{name: "MissingConsentID", edit: without("consent_id"), field: "consent_id"},
		{name: "ZeroAt", edit: set("at", zeroTime), field: "at"},
		{name: "SeqNotItsKey", edit: set("seq", 7), field: "seq", only: "ConsentEventsSince"},
		{name: "MissingSeq", edit: without("seq"), field: "seq"},
	}
	// No key to look for in the errors: a Redis history list keeps no seq,
	// and names an event by its place.
	return runStoredCases(ctx, h, "consent event", consent.ErrInvalid, cases, base, "",
		func(js []byte) RawRecord {
			return RawRecord{Kind: "consent event", Seq: seq, Number: storedNum, JSON: js}
		},
		func(ctx context.Context, s consent.Store) (func(context.Context) error, error) {
			r := conRecord("c-sound", conNum, storedT0)
			return neighbour(ctx, func(ctx context.Context) error { return s.AddConsent(ctx, r) },
				func(ctx context.Context) ([]consent.Event, error) { return s.ConsentHistory(ctx, r.Number) })
		},
		func(s consent.Store) []storedRead {
			is := func(e consent.Event) bool { return e.ConsentID == "c-stored" }
			return []storedRead{
				{"ConsentEventsSince", func(ctx context.Context) (int, error) {
					evs, err := s.ConsentEventsSince(ctx, 1, 10)
					return countOf(evs, is), err
				}},
				{"ConsentHistory", func(ctx context.Context) (int, error) {
					evs, err := s.ConsentHistory(ctx, storedNum)
					return countOf(evs, is), err
				}},
			}
		})
}

func dncStored(ctx context.Context, h harness[dnc.Store]) error {
	const scope = dncStoredScope
	base := map[string]any{ // no source, hold or evidence: all optional
		"number": storedNum.String(), "scope": scope, "list": "opt_out", "added_at": rfc(storedT0),
	}
	cases := []storedCase{
		{name: "OlderBuildOnlyRequiredFields"},
		{name: "WithHoldAndEvidence", edit: func(m map[string]any) {
			m["hold_until"], m["source"], m["evidence"] = rfc(storedT0.AddDate(1, 0, 0)), "call", "decision:dg-1"
		}},
		{name: "MissingScope", edit: without("scope"), field: "scope"},
		{name: "UnknownScopeKind", edit: set("scope", "planet:mars"), field: "scope"},
		{name: "AnotherScope", edit: set("scope", "global"), field: "scope"},
		{name: "MissingNumber", edit: without("number"), field: "number"},
		{name: "AnotherNumber", edit: set("number", conNum2.String()), field: "number"},
		{name: "MissingList", edit: without("list"), field: "list"},
		{name: "ZeroAddedAt", edit: set("added_at", zeroTime), field: "added_at"},
		{name: "HoldBeforeAdded", edit: set("hold_until", rfc(storedT0.Add(-time.Hour))), field: "hold_until"},
		{name: "NotJSON", raw: `{"number":`, field: "decode"},
	}
	key := dnc.StoredKey(storedNum, scope)
	return runStoredCases(ctx, h, "dnc entry", dnc.ErrInvalidEntry, cases, base, key,
		dncRaw, dncNeighbour,
		func(s dnc.Store) []storedRead {
			return []storedRead{
				{"DNCEntries", func(ctx context.Context) (int, error) {
					es, err := s.DNCEntries(ctx, storedNum)
					return len(es), err
				}},
				{"ScanDNC", func(ctx context.Context) (int, error) {
					n := 0
					err := s.ScanDNC(ctx, func(e dnc.Entry) error {
						if e.Number == storedNum {
							n++
						}
						return nil
					})
					return n, err
				}},
			}
		})
}

func ledgerStored(ctx context.Context, h harness[callerid.Store]) error {
	const tenant = "acme"
	base := map[string]any{ // no access, qualification or validity: all optional
		"tenant": tenant, "number": ledFixed.String(), "type": "fixed", "holder": "Acme Ltd", "purposes": []string{"marketing", "service"},
	}
	cases := []storedCase{
		{name: "OlderBuildOnlyRequiredFields"},
		{name: "MissingPurposes", edit: without("purposes"), field: "purposes"},
		{name: "UnknownPurpose", edit: set("purposes", []string{"spam"}), field: "purposes[0]"},
		{name: "UnknownType", edit: set("type", "satellite"), field: "type"},
		{name: "MissingHolder", edit: without("holder"), field: "holder"},
		{name: "AnotherTenant", edit: set("tenant", "globex"), field: "tenant"},
		{name: "AnotherNumber", edit: set("number", ledFixed2.String()), field: "number"},
		{name: "UntilBeforeFrom", edit: func(m map[string]any) {
			m["valid_from"], m["valid_until"] = rfc(storedT0), rfc(storedT0.Add(-time.Hour))
		}, field: "valid_until"},
		{name: "NotJSON", raw: `[`, field: "decode"},
	}
	key := fmt.Sprintf("%q %s", tenant, ledFixed)
	return runStoredCases(ctx, h, "ledger entry", callerid.ErrInvalidEntry, cases, base, key,
		func(js []byte) RawRecord {
			return RawRecord{Kind: "ledger entry", Tenant: tenant, Number: ledFixed, JSON: js}
		},
		func(ctx context.Context, s callerid.Store) (func(context.Context) error, error) {
			e := ledEntry("globex", ledFixed2)
			return neighbour(ctx, func(ctx context.Context) error { return s.PutLedger(ctx, e) },
				func(ctx context.Context) (callerid.Entry, error) { return s.LedgerEntry(ctx, e.Tenant, e.Number) })
		},
		func(s callerid.Store) []storedRead {
			return readPair("LedgerEntry", func(ctx context.Context) (callerid.Entry, error) { return s.LedgerEntry(ctx, tenant, ledFixed) },
				"ListLedger", s.ListLedger, func(e callerid.Entry) bool { return e.Tenant == tenant && e.Number == ledFixed })
		})
}

func complaintStored(ctx context.Context, h harness[complaint.Store]) error {
	const id = "cp-stored"
	base := map[string]any{ // no tenant, segment, decision, details or holds: all optional
		"id": id, "callee": "h:stored", "scope": "global", "channel": "phone", "received_at": rfc(storedT0),
		"forward_by": rfc(storedT0.Add(72 * time.Hour)), "handle_by": rfc(storedT0.Add(480 * time.Hour)),
		"answer_by": rfc(storedT0.Add(600 * time.Hour)), "status": "open", "dnc_listed": true,
	}
	cases := []storedCase{
		{name: "OlderBuildOnlyRequiredFields"},
		{name: "UnknownStatus", edit: set("status", "lost"), field: "status"},
		{name: "MissingStatus", edit: without("status"), field: "status"},
		{name: "ZeroReceivedAt", edit: set("received_at", zeroTime), field: "received_at"},
		{name: "MissingCallee", edit: without("callee"), field: "callee"},
		{name: "UnknownChannel", edit: set("channel", "fax"), field: "channel"},
		{name: "IDNotItsKey", edit: set("id", "cp-elsewhere"), field: "id"},
		{name: "NotJSON", raw: `"cp-stored"`, field: "decode"},
	}
	return runStoredCases(ctx, h, "complaint", complaint.ErrInvalid, cases, base, id,
		func(js []byte) RawRecord { return RawRecord{Kind: "complaint", ID: id, JSON: js} },
		func(ctx context.Context, s complaint.Store) (func(context.Context) error, error) {
			c := sampleComplaint("cp-sound", "h:sound", storedT0)
			return neighbour(ctx, func(ctx context.Context) error { return s.CreateComplaint(ctx, c) },
				func(ctx context.Context) (complaint.Complaint, error) { return s.GetComplaint(ctx, c.ID) })
		},
		func(s complaint.Store) []storedRead {
			reads := readPair("GetComplaint", func(ctx context.Context) (complaint.Complaint, error) { return s.GetComplaint(ctx, id) },
				"ListComplaints", func(ctx context.Context) ([]complaint.Complaint, error) {
					return s.ListComplaints(ctx, complaint.Filter{})
				},
				func(c complaint.Complaint) bool { return c.ID == id })
			return append(reads, storedRead{"ListComplaintsAfter", func(ctx context.Context) (int, error) {
				cs, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.Position{}, 10)
				return countOf(cs, func(c complaint.Complaint) bool { return c.ID == id }), err
			}})
		})
}

func recordingStored(ctx context.Context, h harness[recording.Store]) error {
	const id = "r-stored"
	base := map[string]any{ // no delete_token: written before it existed
		"id": id, "tenant": "acme", "callee": "h:stored", "started_at": rfc(storedT0),
		"retain_until": rfc(storedT0.Add(recording.MinRetention)), "media_uri": "file:r-stored.wav", "state": "active",
	}
	cases := []storedCase{
		{name: "OlderBuildWithoutDeleteToken"},
		{name: "Held", edit: set("holds", []map[string]any{{"id": "complaint:cp-1", "placed_at": rfc(storedT0)}})},
		{name: "UnknownState", edit: set("state", "archived"), field: "state"},
		{name: "MissingState", edit: without("state"), field: "state"},
		{name: "ZeroStartedAt", edit: set("started_at", zeroTime), field: "started_at"},
		{name: "RetentionUnderFloor", edit: set("retain_until", rfc(storedT0.Add(recording.MinRetention-time.Hour))), field: "retain_until"},
		{name: "HoldWithoutID", edit: set("holds", []map[string]any{{"placed_at": rfc(storedT0)}}), field: "holds[0].id"},
		{name: "MissingCallee", edit: without("callee"), field: "callee"},
		{name: "IDNotItsKey", edit: set("id", "r-elsewhere"), field: "id"},
		{name: "NotJSON", raw: `{{`, field: "decode"},
	}
	return runStoredCases(ctx, h, "recording", recording.ErrInvalid, cases, base, id,
		func(js []byte) RawRecord { return RawRecord{Kind: "recording", ID: id, JSON: js} },
		func(ctx context.Context, s recording.Store) (func(context.Context) error, error) {
			r := sampleRecording("r-sound", "h:sound", storedT0)
			return neighbour(ctx, func(ctx context.Context) error { return s.CreateRecording(ctx, r) },
				func(ctx context.Context) (recording.Recording, error) { return s.GetRecording(ctx, r.ID) })
		},
		func(s recording.Store) []storedRead {
			return readPair("GetRecording", func(ctx context.Context) (recording.Recording, error) { return s.GetRecording(ctx, id) },
				"ListRecordings", func(ctx context.Context) ([]recording.Recording, error) {
					return s.ListRecordings(ctx, recording.Filter{})
				},
				func(r recording.Recording) bool { return r.ID == id })
		})
}
