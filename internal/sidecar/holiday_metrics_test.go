package sidecar

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/policy"
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
		{"fr", "2026-12-04T10:00:00+01:00", []HolidayDataLeft{{"fr", 392}}},
		{"fr", "2027-12-31T10:00:00+01:00", []HolidayDataLeft{{"fr", 0}}},
		{"fr", "2028-01-05T10:00:00+01:00", []HolidayDataLeft{{"fr", -5}}},
		{"cn", "2026-12-04T10:00:00+08:00", []HolidayDataLeft{{"cn", 27}}},
		{"cn", "2027-01-04T10:00:00+08:00", []HolidayDataLeft{{"cn", -4}}},
		{"us-al", "2026-12-04T10:00:00-06:00", []HolidayDataLeft{{"us-federal", 392}, {"us-al", 392}}},
		{"uk", "2026-12-04T10:00:00Z", nil},
	} {
		if got := left(tt.profile, tt.now); !slices.Equal(got, tt.want) {
			t.Errorf("%s at %s: %v, want %v", tt.profile, tt.now, got, tt.want)
		}
	}
	m := newMetrics(nil, func(time.Time) []HolidayDataLeft { return []HolidayDataLeft{{"cn", 27}, {"fr", -3}} })
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`dialgate_holiday_data_days_left{series="cn"} 27`, `dialgate_holiday_data_days_left{series="fr"} -3`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
