package schedule

import (
	"context"
	"slices"
	"testing"

	"github.com/dialgate/dialgate"
)

// evidenceOf returns the values of key in ev, in order.
func evidenceOf(ev []dialgate.Evidence, key string) []string {
	var out []string
	for _, e := range ev {
		if e.Key == key {
			out = append(out, e.Value)
		}
	}
	return out
}

// TestCalleeZoneNarrows: a dial naming where the callee is known to be is
// judged there as well as in the number's zones; it never widens the window.
func TestCalleeZoneNarrows(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{daily("08:00-21:00")}})
	ctx := context.Background()
	for _, tt := range []struct {
		name, to, zone, at string
		want               dialgate.Code
		zones              []string
	}{
		// A New York number whose holder lives in Los Angeles: 09:00 in New
		// York is 06:00 there.
		{"number alone", nyNumber, "", "2026-06-10T09:00:00-04:00", "", []string{"America/New_York"}},
		{"known in Los Angeles, early", nyNumber, "America/Los_Angeles", "2026-06-10T09:00:00-04:00", dialgate.CodeOutsideWindow, []string{"America/New_York", "America/Los_Angeles"}},
		{"known in Los Angeles, 08:00 there", nyNumber, "America/Los_Angeles", "2026-06-10T11:00:00-04:00", "", []string{"America/New_York", "America/Los_Angeles"}},
		// 21:00 in New York is 18:00 in Los Angeles: New York has closed.
		{"known in Los Angeles, late", nyNumber, "America/Los_Angeles", "2026-06-10T21:00:00-04:00", dialgate.CodeOutsideWindow, []string{"America/New_York", "America/Los_Angeles"}},
		// Never widens: a zone the number already has changes nothing, and
		// South Dakota's other zones still count.
		{"a zone of the number", nyNumber, "America/New_York", "2026-06-10T07:59:00-04:00", dialgate.CodeOutsideWindow, []string{"America/New_York"}},
		{"one of several zones", sdNumber, "America/Chicago", "2026-06-10T08:30:00-05:00", dialgate.CodeOutsideWindow, []string{"America/Chicago", "America/Denver", "America/North_Dakota/Center"}},
	} {
		d := dialgate.Dial{To: dialgate.MustParseNumber(tt.to), Purpose: dialgate.PurposeService, At: at(t, tt.at), CalleeZone: tt.zone}
		rs, ev, err := w.Attest(ctx, d)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.want == "" {
			if len(rs) != 0 {
				t.Errorf("%s: denied %s (%s)", tt.name, rs[0].Code, rs[0].Message)
				continue
			}
		} else {
			if len(rs) == 0 || rs[0].Code != tt.want {
				t.Errorf("%s: %v, want %s", tt.name, rs, tt.want)
				continue
			}
			ev = rs[0].Evidence
		}
		if got := evidenceOf(ev, EvidenceZone); !slices.Equal(got, tt.zones) {
			t.Errorf("%s: zones %v, want %v", tt.name, got, tt.zones)
		}
		var wantCallee []string
		if tt.zone != "" {
			wantCallee = []string{tt.zone}
		}
		if got := evidenceOf(ev, EvidenceCalleeZone); !slices.Equal(got, wantCallee) {
			t.Errorf("%s: callee zone evidence %v, want %v", tt.name, got, wantCallee)
		}
	}
}

// TestCalleeZoneUnknownNumber: a callee zone never stands in for a number
// whose zones are unknown; with a default zone, both are judged.
func TestCalleeZoneUnknownNumber(t *testing.T) {
	ctx := context.Background()
	unknown := dialgate.MustParseNumber("+8821234567") // international networks: no zone
	w := mustCheck(t, Config{Windows: []Window{daily("08:00-21:00")}})
	d := dialgate.Dial{To: unknown, Purpose: dialgate.PurposeService, At: at(t, "2026-06-10T12:00:00Z"), CalleeZone: "Europe/London"}
	if rs, _ := w.Check(ctx, d); len(rs) == 0 || rs[0].Code != dialgate.CodeZoneUnknown {
		t.Fatalf("unknown number with a callee zone: %v, want %s", rs, dialgate.CodeZoneUnknown)
	}

	cfg := Config{Windows: []Window{daily("08:00-21:00")}, DefaultZone: &Zone{Name: "Europe/Paris", Cite: citeU}}
	w = mustCheck(t, cfg)
	// 21:30 in Paris is 20:30 in London: the default zone has closed.
	d.At = at(t, "2026-06-10T21:30:00+02:00")
	rs, err := w.Check(ctx, d)
	if err != nil || len(rs) == 0 || rs[0].Code != dialgate.CodeOutsideWindow {
		t.Fatalf("default zone and a callee zone: %v %v, want outside_window", rs, err)
	}
	ev := rs[0].Evidence
	if got := evidenceOf(ev, EvidenceZone); !slices.Equal(got, []string{"Europe/Paris", "Europe/London"}) {
		t.Errorf("zones %v", got)
	}
	if got := evidenceOf(ev, EvidenceZoneSource); !slices.Equal(got, []string{"default_zone"}) {
		t.Errorf("zone source %v", got)
	}
	// 07:30 in London is 08:30 in Paris.
	d.At = at(t, "2026-06-10T08:30:00+02:00")
	if rs, _ := w.Check(ctx, d); len(rs) == 0 {
		t.Errorf("07:30 in London allowed")
	}
	d.At = at(t, "2026-06-10T09:00:00+02:00")
	rs, ev, _ = w.Attest(ctx, d)
	if len(rs) != 0 {
		t.Fatalf("08:00 in London denied: %v", rs)
	}
	if got := evidenceOf(ev, EvidenceCalleeZone); !slices.Equal(got, []string{"Europe/London"}) {
		t.Errorf("callee zone evidence %v", got)
	}
}

// TestCalleeZoneCallback: an exempt callback names the callee zone too.
func TestCalleeZoneCallback(t *testing.T) {
	w := mustCheck(t, cnConfig())
	d := dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeCallback,
		At: at(t, "2026-06-10T22:00:00+08:00"), TriggerAt: at(t, "2026-06-10T21:55:00+08:00"), CalleeZone: "Asia/Urumqi"}
	rs, ev, err := w.Attest(context.Background(), d)
	if err != nil || len(rs) != 0 {
		t.Fatalf("callback: %v %v", rs, err)
	}
	if got := evidenceOf(ev, EvidenceCalleeZone); !slices.Equal(got, []string{"Asia/Urumqi"}) {
		t.Errorf("callee zone evidence %v", got)
	}
	if got := evidenceOf(ev, EvidenceCallbackExempt); !slices.Equal(got, []string{"true"}) {
		t.Errorf("callback evidence %v", got)
	}
}

func BenchmarkWindowCheckCalleeZone(b *testing.B) {
	w := mustCheck(b, Config{Windows: []Window{daily("08:00-21:00")}})
	d := dialgate.Dial{To: dialgate.MustParseNumber(nyNumber), Purpose: dialgate.PurposeService,
		At: at(b, "2026-06-10T12:00:00-04:00"), CalleeZone: "America/Los_Angeles"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if rs, _ := w.Check(ctx, d); len(rs) != 0 {
			b.Fatal(rs)
		}
	}
}

// TestOverlayAreaCodeJudgedInEveryZone: +1 364 overlays western Kentucky's
// 270 (Paducah: Central time); at 08:30 Eastern it is 07:30 there, before
// the federal 08:00.
func TestOverlayAreaCodeJudgedInEveryZone(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{daily("08:00-21:00")}})
	d := dialgate.Dial{To: dialgate.MustParseNumber("+13645550123"), Purpose: dialgate.PurposeMarketing}
	if passes(t, w, d, at(t, "2026-12-07T08:30:00-05:00")) {
		t.Error("+1 364 at 08:30 Eastern (07:30 Central) allowed")
	}
	if !passes(t, w, d, at(t, "2026-12-07T09:00:00-05:00")) {
		t.Error("+1 364 at 09:00 Eastern (08:00 Central) denied")
	}
}

// TestLabradorOverlayJudgedInAtlanticTime: +1 879 overlays Newfoundland and
// Labrador's 709; Labrador keeps Atlantic time (America/Halifax), which the
// data gives 709 but not 879 (Puerto Rico and St. John's only). Between
// those two clocks an hour and a half apart, a lunch break of half an hour
// in Labrador fell through: at 12:10 Atlantic daylight time it is 11:10 in
// Puerto Rico and 12:40 in St. John's, both inside the windows.
func TestLabradorOverlayJudgedInAtlanticTime(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{{Days: []string{"mon-fri"}, Ranges: []string{"09:00-12:00", "12:30-21:00"}, Cite: citeU}}})
	d := dialgate.Dial{To: dialgate.MustParseNumber("+18795550123"), Purpose: dialgate.PurposeMarketing}
	if passes(t, w, d, at(t, "2026-07-06T12:10:00-03:00")) {
		t.Error("+1 879 at 12:10 Atlantic time, in the lunch break, allowed")
	}
	if !passes(t, w, d, at(t, "2026-07-06T12:40:00-03:00")) {
		t.Error("+1 879 at 12:40 Atlantic time (13:10 in St. John's, 11:40 in Puerto Rico) denied")
	}
}

// TestDarwinJudgedInItsZone: the Northern Territory (+61 8 89) keeps
// UTC+09:30 all year (Australia/Darwin); the data gives Adelaide and Perth,
// which bracket it but do not stand for it when the windows have a break
// shorter than their spread. In January Adelaide is an hour ahead of
// Darwin and Perth an hour and a half behind: at 13:10 in Darwin, in cn's
// rest hours, it is 14:10 in Adelaide and 11:40 in Perth, both inside.
func TestDarwinJudgedInItsZone(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{daily("09:00-12:00", "14:00-21:00")}})
	d := dialgate.Dial{To: dialgate.MustParseNumber("+61889411234"), Purpose: dialgate.PurposeMarketing}
	if passes(t, w, d, at(t, "2027-01-11T13:10:00+09:30")) {
		t.Error("Darwin at 13:10 local, in the rest hours, allowed")
	}
	if !passes(t, w, d, at(t, "2027-01-11T10:40:00+09:30")) {
		t.Error("Darwin at 10:40 local (11:40 Adelaide, 09:10 Perth) denied")
	}
}

// TestAustralianMobileJudgedInDarwinTime: an Australian mobile (+61 4) has
// no place; the data's country-wide answer has every Australian zone but
// Darwin's (UTC+09:30 all year), which Eucla (UTC+08:45) and Brisbane
// (UTC+10:00) bracket. Under fr's windows (10:00–13:00, 14:00–20:00), at
// 13:35 in Darwin on a January Monday it is 12:50 in Eucla and 14:05 in
// Brisbane, and every other zone is inside too.
func TestAustralianMobileJudgedInDarwinTime(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{{Days: []string{"mon-fri"}, Ranges: []string{"10:00-13:00", "14:00-20:00"}, Cite: citeU}}})
	d := dialgate.Dial{To: dialgate.MustParseNumber("+61412345678"), Purpose: dialgate.PurposeMarketing}
	if passes(t, w, d, at(t, "2027-01-11T13:35:00+09:30")) {
		t.Error("an Australian mobile at 13:35 in Darwin, in the break, allowed")
	}
}

// TestMisplacedAreaCodeJudgedInItsZone: +1 689 is Orlando (Eastern time),
// which the data places in Chicago; at 20:30 Central it is 21:30 there,
// after the federal 21:00.
func TestMisplacedAreaCodeJudgedInItsZone(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{daily("08:00-21:00")}})
	d := dialgate.Dial{To: dialgate.MustParseNumber("+16895550123"), Purpose: dialgate.PurposeMarketing}
	if passes(t, w, d, at(t, "2026-12-07T20:30:00-06:00")) {
		t.Error("+1 689 at 20:30 Central (21:30 Eastern) allowed")
	}
	if !passes(t, w, d, at(t, "2026-12-07T19:30:00-06:00")) {
		t.Error("+1 689 at 19:30 Central (20:30 Eastern) denied")
	}
}

// TestMisplacedExchangeJudgedInItsZone: Dawson Creek (+1 250 782) keeps
// Mountain Standard Time all year; the data lists the exchange in
// Edmonton, an hour ahead in summer. At 09:30 in Edmonton on a July
// Monday it is 08:30 there, before ca's 09:00.
func TestMisplacedExchangeJudgedInItsZone(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{{Days: []string{"mon-fri"}, Ranges: []string{"09:00-21:30"}, Cite: citeU}}})
	d := dialgate.Dial{To: dialgate.MustParseNumber("+12507821234"), Purpose: dialgate.PurposeMarketing}
	if passes(t, w, d, at(t, "2026-07-06T09:30:00-06:00")) {
		t.Error("Dawson Creek at 09:30 Edmonton time (08:30 local) allowed")
	}
	if !passes(t, w, d, at(t, "2026-07-06T10:00:00-06:00")) {
		t.Error("Dawson Creek at 10:00 Edmonton time (09:00 local) denied")
	}
}
