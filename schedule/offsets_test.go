package schedule

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// slimTZif returns a TZif (version 2) zone with a single transition in 1960 to
// standard time and every later offset given by the POSIX TZ string footer, as
// "slim" zoneinfo files (zic -b slim, and Go's embedded time/tzdata) describe
// zones whose rules no longer change.
func slimTZif(stdOffset int32, abbr, tz string) []byte {
	block := func(timeSize int) []byte {
		var b []byte
		hdr := make([]byte, 44)
		copy(hdr, "TZif2")
		chars := append([]byte(abbr), 0)
		for i, n := range []uint32{0, 0, 0, 1, 1, uint32(len(chars))} { // isut, isstd, leap, time, type, char
			binary.BigEndian.PutUint32(hdr[20+4*i:], n)
		}
		b = append(b, hdr...)
		when := int64(-315619200) // 1960-01-01
		if timeSize == 4 {
			b = binary.BigEndian.AppendUint32(b, uint32(int32(when)))
		} else {
			b = binary.BigEndian.AppendUint64(b, uint64(when))
		}
		b = append(b, 0)                                        // transition → type 0
		b = binary.BigEndian.AppendUint32(b, uint32(stdOffset)) // type 0: offset
		b = append(b, 0, 0)                                     // not DST, abbreviation index 0
		return append(b, chars...)
	}
	data := append(block(4), block(8)...)
	return append(data, "\n"+tz+"\n"...)
}

// TestOffsetTableSlimZone: with a zone whose offsets after its last listed
// transition come from the TZ string — every DST zone in Go's embedded
// time/tzdata, which the package imports for machines without a zoneinfo
// database — the table must still follow every DST change. time.ZoneBounds
// reports the end of the period that spans a leap year's 31 December one day
// early (31 December 00:00 UTC, before or at the instant asked), and the table
// used to stop there and keep that period's offset for ever.
func TestOffsetTableSlimZone(t *testing.T) {
	for _, z := range []struct{ name, abbr, tz string }{
		{"Slim/New_York", "EST", "EST5EDT,M3.2.0,M11.1.0"},
		{"Slim/London", "GMT", "GMT0BST,M3.5.0/1,M10.5.0"},
		{"Slim/Sydney", "AEST", "AEST-10AEDT,M10.1.0,M4.1.0/3"},
	} {
		std := map[string]int32{"EST": -5 * 3600, "GMT": 0, "AEST": 10 * 3600}[z.abbr]
		loc, err := time.LoadLocationFromTZData(z.name, slimTZif(std, z.abbr, z.tz))
		if err != nil {
			t.Fatal(err)
		}
		tab := newOffsetTable(loc)
		bad := 0
		from := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
		to := time.Date(2099, 12, 1, 0, 0, 0, 0, time.UTC).Unix()
		for s := from; s < to; s += 3*3600 + 17 {
			if _, want := time.Unix(s, 0).In(loc).Zone(); tab.offset(s) != int64(want) {
				if bad++; bad <= 3 {
					t.Errorf("%s at %s: table offset %d, zone says %d", z.name, time.Unix(s, 0).UTC().Format(time.RFC3339), tab.offset(s), want)
				}
			}
		}
		if bad > 3 {
			t.Errorf("%s: %d more wrong offsets", z.name, bad-3)
		}
	}
}

// TestDSTAfter2040: the zoneinfo files list transitions up to 2037 and give
// later ones as a TZ string, so the same ZoneBounds quirk hits every DST zone
// at the end of 2040 whatever the tz database: a New York callee at 21:30 EDT
// in July 2041 was judged at 20:30 and allowed.
func TestDSTAfter2040(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{daily("08:00-21:00")}})
	runSteps(t, w, []step{
		{nyNumber, "2041-07-01T21:30:00-04:00", dialgate.CodeOutsideWindow, "2041-07-02T08:00:00-04:00"},
		{nyNumber, "2041-07-01T08:30:00-04:00", "", ""},
		{nyNumber, "2099-07-01T21:30:00-04:00", dialgate.CodeOutsideWindow, ""},
	})
}

// TestNextAllowedAcrossLeapYearEnd: the next allowed instant was searched with
// time.ZoneBounds, whose end for the period spanning a leap year's 31 December
// is 31 December 00:00 UTC even when asked after it; from a night in London on
// 30 December 2040 the search went back to that end for ever and Check never
// returned (a hung Gate).
func TestNextAllowedAcrossLeapYearEnd(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{daily("09:00-21:00")}})
	done := make(chan []dialgate.Reason, 1)
	go func() {
		rs, _ := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+442079460000"),
			Purpose: dialgate.PurposeService, At: at(t, "2040-12-30T21:30:00Z")})
		done <- rs
	}()
	select {
	case rs := <-done:
		if len(rs) != 1 || rs[0].Code != dialgate.CodeOutsideWindow || !rs[0].NextAllowedAt.Equal(at(t, "2040-12-31T09:00:00Z")) {
			t.Fatalf("got %+v; want outside_window, next allowed 2040-12-31T09:00:00Z", rs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Check did not return within 5 s (endless search for the next allowed instant)")
	}
}
