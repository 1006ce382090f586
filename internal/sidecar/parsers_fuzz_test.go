package sidecar

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/policy"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/schedule"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// writeDataFile writes b as name in a new directory and returns the directory.
func writeDataFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// FuzzReadDataProfile checks the reader of serve-profile.json: a damaged
// file is an error naming it, and a file it accepts is one well-formed JSON
// document with every required field, which reads back the same once
// written again.
func FuzzReadDataProfile(f *testing.F) {
	f.Add([]byte(`{"format":1,"profile":"cn-miit-2018","name":"cn-miit-2018","policy_version":"cn-miit-2018@0123abcd","since":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte("{\n  \"format\": 1,\n  \"profile\": \"/srv/profiles/acme.yaml\",\n  \"name\": \"acme\",\n  \"policy_version\": \"acme@ff00\",\n  \"since\": \"2026-03-01T00:00:00+08:00\"\n}\n"))
	f.Add([]byte(`{"format":2,"profile":"us-tcpa","name":"us-tcpa","policy_version":"v","since":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"format":1,"profile":"us-tcpa","name":"us-tcpa","policy_version":"v","since":"2026-01-02T03:04:05Z"}{"format":1}`))
	f.Add([]byte(`{"format":1,"profile":"us-tcpa"`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := writeDataFile(t, DataProfileFile, b)
		dp, found, err := ReadDataProfile(dir)
		if err != nil {
			if found || !strings.Contains(err.Error(), filepath.Join(dir, DataProfileFile)) {
				t.Fatalf("error %v (found %v) does not name the file", err, found)
			}
			return
		}
		if !found || dp.Format != dataProfileFormat || dp.Profile == "" || dp.Name == "" || dp.PolicyVersion == "" {
			t.Fatalf("accepted an incomplete record: found %v, %+v", found, dp)
		}
		if !json.Valid(b) {
			t.Fatalf("accepted %q, which is not one JSON document", b)
		}
		out, err := json.Marshal(dp)
		if err != nil {
			t.Fatal(err)
		}
		back, found, err := ReadDataProfile(writeDataFile(t, DataProfileFile, out))
		if err != nil || !found || back.Profile != dp.Profile || back.Name != dp.Name ||
			back.PolicyVersion != dp.PolicyVersion || !back.Since.Equal(dp.Since) {
			t.Fatalf("%+v written as %s reads back as %+v, %v", dp, out, back, err)
		}
	})
}

// fuzzCapsProfile has caps of two groups and a pause, so that a counter
// history has keys of each kind to match.
const fuzzCapsProfile = `schema: dialgate.profile.v1
name: fuzz-caps
frequency:
  caps:
    - {count: 1, window: 24h, cite: {source: U, ref: "test: one a day"}}
    - {count: 3, window: 30d, cite: {source: U, ref: "test: three a month"}}
  pause_after_abandoned: {window: 72h, cite: {source: U, ref: "test: abandoned"}}
`

// FuzzLoadCounterHistory checks the reader of counter-history.json: a
// damaged file is an error naming it, and what it returns has the profile's
// keys, only transitions not yet ended, and is a fixed point: writing it back and loading it again at the same instant
// gives the same history.
func FuzzLoadCounterHistory(f *testing.F) {
	prof, err := policy.Parse("fuzz-caps.yaml", []byte(fuzzCapsProfile))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	cur, err := schedule.NextCounterHistory(schedule.CounterHistory{}, frequencyOf(prof), now)
	if err != nil {
		f.Fatal(err)
	}
	seed, err := json.Marshal(counterHistoryDoc{Version: counterHistoryVersion, CounterHistory: cur})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"version":1,"keys":[{"suffix":"|cap|callee||7d","window":"7d"}],"transitions":[{"from":{"suffix":"|cap|callee||14d","window":"14d"},"since":"2026-04-20T00:00:00Z"}]}`))
	f.Add([]byte(`{"version":1,"keys":[]}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":2,"keys":[]}`))
	f.Add([]byte(`{"version":1,"keys":[{"suffix":"|cap|callee||7d","window":"6d"}]}`))
	f.Add([]byte(`{"version":1,"keys":[]} trailing`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := writeDataFile(t, CounterHistoryFile, b)
		h, found, err := LoadCounterHistory(dir, prof, now, false)
		if err != nil {
			if found || !strings.Contains(err.Error(), filepath.Join(dir, CounterHistoryFile)) {
				t.Fatalf("error %v (found %v) does not name the file", err, found)
			}
			return
		}
		if !found {
			t.Fatal("file present but not found")
		}
		if !json.Valid(b) {
			t.Fatalf("accepted %q, which is not one JSON document", b)
		}
		want, err := json.Marshal(cur.Keys)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(h.Keys); string(got) != string(want) {
			t.Fatalf("keys %s, want the profile's %s", got, want)
		}
		for i, tr := range h.Transitions {
			if !now.Before(tr.Until(frequencyOf(prof))) {
				t.Fatalf("transition %d %+v ended before %v", i, tr, now)
			}
		}
		out, err := json.Marshal(counterHistoryDoc{Version: counterHistoryVersion, CounterHistory: h})
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := LoadCounterHistory(writeDataFile(t, CounterHistoryFile, out), prof, now, false)
		if err != nil {
			t.Fatalf("history %s written back does not load: %v", out, err)
		}
		if back, _ := json.Marshal(again); string(back) != string(mustJSON(t, h)) {
			t.Fatalf("not a fixed point: %s then %s", mustJSON(t, h), back)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzReadHMACKey checks the reader of the HMAC key file (keys/ in the data
// directory, or Config.HMACKeyFile): a key it accepts is long enough and is
// exactly the hex in the file; an error names the file.
func FuzzReadHMACKey(f *testing.F) {
	f.Add([]byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"))
	f.Add([]byte("  00112233445566778899AABBCCDDEEFF\r\n"))
	f.Add([]byte("0011223344556677\n"))
	f.Add([]byte("not hex at all"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(writeDataFile(t, HMACKeyFile, b), HMACKeyFile)
		k, err := readHMACKey(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v does not name the file", err)
			}
			return
		}
		if len(k) < auditlog.MinKeyBytes {
			t.Fatalf("accepted a key of %d bytes", len(k))
		}
		if got, want := hex.EncodeToString(k), strings.ToLower(strings.TrimSpace(string(b))); got != want {
			t.Fatalf("key %s, file holds %q", got, want)
		}
	})
}

// FuzzDialFromProto checks the conversion of a wire Dial: a rejection is an
// InvalidArgument naming a field of "dial" that never echoes the callee's
// digits, and an accepted dial validates and its numbers round-trip.
func FuzzDialFromProto(f *testing.F) {
	f.Add("+8613800138000", "", int32(pb.Purpose_PURPOSE_SERVICE), int32(0), "acme", "", "crm-1", int64(0))
	f.Add("+15555550123", "+15555550100", int32(pb.Purpose_PURPOSE_MARKETING), int32(pb.Route_ROUTE_DOMESTIC), "acme", "c-1", "", int64(1767225600))
	f.Add("+447700900123", "", int32(pb.Purpose_PURPOSE_CALLBACK), int32(pb.Route_ROUTE_INTERNATIONAL), "", "", "", int64(1))
	f.Add("13800138000", "", int32(9), int32(7), "acme\x00", "", "", int64(-62135596801))
	f.Add("", "+1 555 0100", int32(0), int32(0), "", "", "", int64(0))
	f.Fuzz(func(t *testing.T, to, from string, purpose, route int32, tenant, consentID, leadID string, trigger int64) {
		p := &pb.Dial{To: to, From: from, Purpose: pb.Purpose(purpose), Route: pb.Route(route),
			Tenant: tenant, ConsentId: consentID, LeadId: leadID}
		if trigger != 0 {
			p.TriggerAt = &timestamppb.Timestamp{Seconds: trigger}
		}
		d, err := dialFromProto("dial", p)
		if err != nil {
			st, ok := status.FromError(err)
			if !ok || st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "dial") {
				t.Fatalf("rejection %v is not an InvalidArgument naming a dial field", err)
			}
			if digits := strings.Map(keepDigit, to); len(digits) >= 8 && strings.Contains(st.Message(), digits) &&
				!strings.Contains(from+tenant+consentID+leadID, digits) {
				t.Fatalf("rejection %q echoes the callee's digits", st.Message())
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("accepted a dial that does not validate: %v", err)
		}
		for _, n := range []dialgate.Number{d.To, d.From} {
			if n == (dialgate.Number{}) {
				continue
			}
			if back, err := dialgate.ParseNumber(n.String()); err != nil || back != n {
				t.Fatalf("number %v does not round-trip: %v, %v", n, back, err)
			}
		}
		if d.To == (dialgate.Number{}) || d.Tenant != tenant || d.ConsentID != consentID || d.LeadID != leadID {
			t.Fatalf("fields lost: %+v from %+v", d, p)
		}
		if !trigger0(p) && d.TriggerAt.Unix() != trigger {
			t.Fatalf("trigger_at %v, sent %d", d.TriggerAt, trigger)
		}
	})
}

func keepDigit(r rune) rune {
	if r >= '0' && r <= '9' {
		return r
	}
	return -1
}

func trigger0(p *pb.Dial) bool { return p.GetTriggerAt() == nil }

// FuzzLedgerFieldError checks the split of a domain error message into the
// field and the problem: the field is an identifier and the two rebuild the
// message.
func FuzzLedgerFieldError(f *testing.F) {
	f.Add("holder: missing: callerid: invalid ledger entry")
	f.Add("entries[3].number: invalid number: too short")
	f.Add("callerid: invalid ledger entry")
	f.Add("Holder: missing")
	f.Add(": x")
	f.Fuzz(func(t *testing.T, msg string) {
		field, problem, ok := cutField(msg)
		if ok {
			if field == "" || field+": "+problem != msg || strings.ContainsFunc(field, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("_[].", r))
			}) {
				t.Fatalf("cutField(%q) = %q, %q", msg, field, problem)
			}
		}
		err := ledgerFieldError(errors.New(msg))
		var fe *dialgate.FieldError
		if !errors.As(err, &fe) || fe.Field == "" {
			t.Fatalf("ledgerFieldError(%q) = %v: no field", msg, err)
		}
	})
}

// FuzzParseLevel checks the log level of the config: accepted names
// round-trip through slog's own names.
func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"debug", "INFO", "", "warning", "error", "trace"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseLevel(s)
		if err != nil {
			if !strings.Contains(err.Error(), "unknown level") {
				t.Fatalf("parseLevel(%q): %v", s, err)
			}
			return
		}
		if back, err := parseLevel(l.String()); err != nil || back != l {
			t.Fatalf("parseLevel(%q) = %v, which reads back as %v, %v", s, l, back, err)
		}
	})
}

// FuzzConfigDuration checks the duration fields of the config file: an
// accepted duration round-trips through MarshalJSON.
func FuzzConfigDuration(f *testing.F) {
	for _, s := range []string{`"10s"`, `"500ms"`, `"1h30m"`, `10`, `"10"`, `null`, `"-5s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Duration
		if err := d.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Duration
		if err := back.UnmarshalJSON(out); err != nil || back != d {
			t.Fatalf("%s → %v → %s → %v, %v", b, time.Duration(d), out, time.Duration(back), err)
		}
	})
}

// FuzzCheckScope checks the scope field of the admin requests: an accepted
// scope is one the do-not-call domain reads as the same scope (so the
// request adds or removes the entry the caller named), and a rejection is
// an InvalidArgument naming the field.
func FuzzCheckScope(f *testing.F) {
	for _, s := range []string{"global", "tenant:acme", "industry:finance", "business:loans", "campaign:winter-2026",
		"Global", "tenant:", "tenant: acme", "tenant:acme ", "tenant:a\x7f", "kind:x", "campaign:a:b", "industry:金融", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := checkScope("scope", s, true)
		if err != nil {
			if st, ok := status.FromError(err); !ok || st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "scope: ") {
				t.Fatalf("checkScope(%q): %v is not an InvalidArgument naming scope", s, err)
			}
			return
		}
		if got != s {
			t.Fatalf("checkScope(%q) = %q", s, got)
		}
		sc, err := dncScope(got)
		if err != nil || sc.String() != got {
			t.Fatalf("checkScope accepted %q, which the do-not-call domain reads as %q, %v", s, sc.String(), err)
		}
	})
}

// FuzzClip checks the shortening of values echoed in error messages: a
// prefix of the value, at most 32 bytes and "…", cut at a character
// boundary so that valid UTF-8 stays valid.
func FuzzClip(f *testing.F) {
	for _, s := range []string{"short", strings.Repeat("a", 40), strings.Repeat("金", 20), "a" + strings.Repeat("é", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := clip(s)
		if len(s) <= 32 {
			if c != s {
				t.Fatalf("clip(%q) = %q", s, c)
			}
			return
		}
		p, ok := strings.CutSuffix(c, "…")
		if !ok || len(p) > 32 || !strings.HasPrefix(s, p) {
			t.Fatalf("clip(%q) = %q", s, c)
		}
		if utf8.ValidString(s) && !utf8.ValidString(c) {
			t.Fatalf("clip(%q) = %q, not valid UTF-8", s, c)
		}
	})
}

// FuzzOutcomeFromProto checks the conversion of a wire outcome report: a
// rejection is an InvalidArgument naming a field, and an accepted outcome
// keeps what was sent and is consistent (a non-negative ring time, a
// recorded message only on an abandoned call).
func FuzzOutcomeFromProto(f *testing.F) {
	f.Add("dg-01J", "+8613800138000", true, true, false, false, false, int64(12), int32(0), "answered", "rec-1")
	f.Add("dg-02", "", false, false, true, true, false, int64(0), int32(500), "", "")
	f.Add("", "", false, false, false, true, false, int64(-1), int32(0), "", "")
	f.Add("dg\x01", "13800138000", false, false, false, false, true, int64(315576000001), int32(-1), strings.Repeat("x", 257), "r\x7f")
	f.Fuzz(func(t *testing.T, id, to string, answered, conversation, abandoned, message, refused bool, secs int64, nanos int32, disposition, recording string) {
		p := &pb.ReportOutcomeRequest{DecisionId: id, Answered: answered, Conversation: conversation, Abandoned: abandoned,
			AbandonMessage: message, Refused: refused, Disposition: disposition, RecordingId: recording}
		if to != "" {
			p.Dial = &pb.Dial{To: to, Purpose: pb.Purpose_PURPOSE_SERVICE}
		}
		if secs != 0 || nanos != 0 {
			p.RingDuration = &durationpb.Duration{Seconds: secs, Nanos: nanos}
		}
		o, err := outcomeFromProto(p)
		if err != nil {
			st, ok := status.FromError(err)
			if !ok || st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), ": ") {
				t.Fatalf("rejection %v is not an InvalidArgument naming a field", err)
			}
			return
		}
		if o.DecisionID != id || checkID("decision_id", id, true) != nil || checkID("recording_id", recording, false) != nil {
			t.Fatalf("accepted decision_id %q, recording_id %q", id, recording)
		}
		if o.RingDuration < 0 || o.AbandonMessage && !o.Abandoned || len(o.Disposition) > 256 {
			t.Fatalf("accepted an inconsistent outcome %+v", o)
		}
		if o.Answered != answered || o.Conversation != conversation || o.Abandoned != abandoned || o.Refused != refused ||
			o.Disposition != disposition || o.RecordingID != recording {
			t.Fatalf("fields lost: %+v from %+v", o, p)
		}
		if to != "" && o.Dial.To == (dialgate.Number{}) {
			t.Fatalf("dial lost: %+v", o)
		}
	})
}

// FuzzReadRegistryCopies checks the reader of registry-copies.json: a
// damaged file is an error naming it (a start then refuses), and a record it
// accepts keeps the guards' invariants — every registry with a version, a
// high-water mark at least its count, a sample strictly ascending, no larger
// than the copy and registrySampleSize — and reads back the same once
// written again in the current format.
func FuzzReadRegistryCopies(f *testing.F) {
	f.Add([]byte(`{"format":3,"registries":{"cn-platform":{"version":"sha256:ab","count":3,"as_of":"2026-06-01T00:00:00Z","file":"reg.dnc","loaded_at":"2026-06-02T00:00:00Z","high_water_count":5,"high_water_version":"sha256:cd","sample":[8613800000001,8613800000002]}}}`))
	f.Add([]byte(`{"format":2,"registries":{"r":{"version":"v","count":3,"as_of":"2026-06-01T00:00:00Z","file":"f","loaded_at":"2026-06-02T00:00:00Z","high_water_count":3,"high_water_version":"v"}}}`))
	f.Add([]byte(`{"format":1,"registries":{"r":{"version":"v","count":3,"as_of":"2026-06-01T00:00:00Z","file":"f","loaded_at":"2026-06-02T00:00:00Z"}}}`))
	f.Add([]byte(`{"format":3,"registries":{"r":{"version":"v","count":1,"high_water_count":1,"high_water_version":"v","sample":[2,1]}}}`))
	f.Add([]byte(`{"format":4,"registries":{}}`))
	f.Add([]byte(`{"format":3,"registries":{}}{"format":3}`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := writeDataFile(t, RegistryCopiesFile, b)
		rc, err := readRegistryCopies(dir)
		if err != nil {
			if !strings.Contains(err.Error(), filepath.Join(dir, RegistryCopiesFile)) {
				t.Fatalf("error %v does not name the file", err)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted %q, which is not one JSON document", b)
		}
		for name, c := range rc.Registries {
			if c.Version == "" || c.Count < 0 || c.HighWaterCount < c.Count || c.HighWaterVersion == "" || len(c.Sample) > max(c.Count, 0) || len(c.Sample) > registrySampleSize {
				t.Fatalf("accepted registry %q: %+v", name, c)
			}
			for i := 1; i < len(c.Sample); i++ {
				if c.Sample[i] <= c.Sample[i-1] {
					t.Fatalf("accepted registry %q with a sample not ascending: %v", name, c.Sample)
				}
			}
		}
		rc.Format = registryCopiesFormat
		out, err := json.Marshal(rc)
		if err != nil {
			t.Fatal(err)
		}
		back, err := readRegistryCopies(writeDataFile(t, RegistryCopiesFile, out))
		if err != nil || len(back.Registries) != len(rc.Registries) {
			t.Fatalf("%+v written as %s reads back as %+v, %v", rc, out, back, err)
		}
		for name, c := range rc.Registries {
			g := back.Registries[name]
			if g.Version != c.Version || g.Count != c.Count || g.HighWaterCount != c.HighWaterCount || g.HighWaterVersion != c.HighWaterVersion || !slices.Equal(g.Sample, c.Sample) {
				t.Fatalf("registry %q: %+v reads back as %+v", name, c, g)
			}
		}
	})
}

// FuzzDecodeComplaintPage checks the reader of ListComplaints page tokens:
// any string is either refused as an InvalidArgument naming page_token or
// gives a position, made for the request's listing, that a token encoded
// from it gives back unchanged.
func FuzzDecodeComplaintPage(f *testing.F) {
	enc := func(p complaint.Position, l complaintListing) string {
		tok, err := encodeComplaintPage(p, l)
		if err != nil {
			f.Fatal(err)
		}
		return tok
	}
	f.Add(enc(complaint.Position{ReceivedAt: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC), ID: "c-1"}, complaintListing{Status: "open", Tenant: "acme"}), "open", false, "acme")
	f.Add(enc(complaint.Position{ReceivedAt: time.Date(2026, 12, 5, 9, 0, 0, 1, time.UTC), ID: "c-2"}, complaintListing{Overdue: true}), "", true, "")
	// received_at 0000-01-01T00:30:00+01:00: year -1 in UTC, which no token holds.
	f.Add("eyJ2IjoxLCJyZWNlaXZlZF9hdCI6IjAwMDAtMDEtMDFUMDA6MzA6MDArMDE6MDAiLCJpZCI6ImMtMSJ9", "", false, "")
	f.Add("", "", false, "")
	f.Add("eyJ2IjoxfQ", "", false, "")
	f.Add("!!!", "open", false, "acme")
	f.Fuzz(func(t *testing.T, token, status_ string, overdue bool, tenant string) {
		want := complaintListing{Status: status_, Overdue: overdue, Tenant: tenant}
		p, err := decodeComplaintPage(token, want)
		if err != nil {
			st, ok := status.FromError(err)
			if !ok || st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "page_token: ") {
				t.Fatalf("rejection %v is not an InvalidArgument naming page_token", err)
			}
			return
		}
		if token == "" {
			if p != (complaint.Position{}) {
				t.Fatalf("empty token gave position %+v", p)
			}
			return
		}
		if p.ID == "" || p.ReceivedAt.IsZero() {
			t.Fatalf("token %q accepted with an incomplete position %+v", token, p)
		}
		tok, err := encodeComplaintPage(p, want)
		if err != nil {
			t.Fatalf("token %q accepted with a position %+v no token can hold: %v", token, p, err)
		}
		again, err := decodeComplaintPage(tok, want)
		if err != nil || again.ID != p.ID || !again.ReceivedAt.Equal(p.ReceivedAt) {
			t.Fatalf("position %+v does not survive a round trip: %+v, %v", p, again, err)
		}
		if _, err := decodeComplaintPage(token, complaintListing{Status: status_ + "x", Overdue: overdue, Tenant: tenant}); err == nil {
			t.Fatalf("token %q made for %+v accepted for another status", token, want)
		}
	})
}
