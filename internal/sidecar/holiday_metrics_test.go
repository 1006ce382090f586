package sidecar

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestHolidayDataLeft(t *testing.T) {
	left := func(profile, now string) []HolidayDataLeft {
		t.Helper()
		p, err := policy.Builtin(profile)
		if err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse(time.RFC3339, now)
		if err != nil {
			t.Fatal(err)
		}
		f := holidayDataLeft(p)
		if f == nil {
			return nil
		}
		return f(at)
	}
	for _, tt := range []struct {
		profile, now string
		want         []HolidayDataLeft
	}{
		{"fr", "2026-12-04T10:00:00+01:00", []HolidayDataLeft{{"fr", 392}, {"fr-alsace-moselle", 392}, {"fr-590", 392}, {"fr-594", 392}, {"fr-596", 392}, {"fr-262", 392}}},
		{"fr", "2027-12-31T10:00:00+01:00", []HolidayDataLeft{{"fr", 0}, {"fr-alsace-moselle", 0}, {"fr-590", 0}, {"fr-594", 0}, {"fr-596", 0}, {"fr-262", 0}}},
		{"fr", "2028-01-05T10:00:00+01:00", []HolidayDataLeft{{"fr", -5}, {"fr-alsace-moselle", -5}, {"fr-590", -5}, {"fr-594", -5}, {"fr-596", -5}, {"fr-262", -5}}},
		{"cn", "2026-12-04T10:00:00+08:00", []HolidayDataLeft{{"cn", 27}}},
		{"cn", "2027-01-04T10:00:00+08:00", []HolidayDataLeft{{"cn", -4}}},
		{"us-al", "2026-12-04T10:00:00-06:00", []HolidayDataLeft{{"us-federal", 392}, {"us-al", 392}}},
		{"uk", "2026-12-04T10:00:00Z", nil},
	} {
		if got := left(tt.profile, tt.now); !slices.Equal(got, tt.want) {
			t.Errorf("%s at %s: %v, want %v", tt.profile, tt.now, got, tt.want)
		}
	}
	m := newMetrics(nil, func(time.Time) []HolidayDataLeft { return []HolidayDataLeft{{"cn", 27}, {"fr", -3}} }, nil, nil, nil)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`dialgate_holiday_data_days_left{series="cn"} 27`, `dialgate_holiday_data_days_left{series="fr"} -3`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// The embedded store's counter index size is wired from the Backend Open
// builds, and the gauges follow reservations.
func TestCounterSizeMetrics(t *testing.T) {
	be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "cn"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(context.Background())
	if be.CounterSize == nil {
		t.Fatal("no CounterSize on the embedded store")
	}
	st := memstore.New()
	m := newMetrics(nil, nil, st.CounterSize, nil, nil)
	scrape := func() string {
		rec := httptest.NewRecorder()
		promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	for i := range 3 {
		l := []storage.Limit{{Key: fmt.Sprint("callee", i%2), Window: time.Hour, Max: 5}}
		if ok, _, err := st.Reserve(context.Background(), fmt.Sprint("id", i), time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC), l); err != nil || !ok {
			t.Fatalf("Reserve = %v, %v", ok, err)
		}
	}
	body := scrape()
	for _, want := range []string{"dialgate_counter_keys 2", "dialgate_counter_reservations 3"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// The embedded store's journal: its size, and whether compaction fails.
	if be.CounterJournal == nil {
		t.Fatal("no CounterJournal on the embedded store")
	}
	m = newMetrics(nil, nil, nil, be.CounterJournal, nil)
	body = scrape()
	if !strings.Contains(body, "dialgate_counter_journal_compaction_failing 0") || !strings.Contains(body, "dialgate_counter_journal_bytes ") || strings.Contains(body, "dialgate_counter_journal_bytes 0\n") {
		t.Errorf("journal metrics:\n%s", body)
	}
}
