package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

func TestValidate(t *testing.T) {
	ok := cnConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("cn config: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(c *Config)
		field string // must appear in the error
	}{
		{"no windows", func(c *Config) { c.Windows = nil }, "schedule.windows: missing"},
		{"empty ranges", func(c *Config) { c.Windows[0].Ranges = nil }, "schedule.windows[0].ranges: empty"},
		{"empty days", func(c *Config) { c.Windows[0].Days = nil }, "schedule.windows[0].days: empty"},
		{"25:00", func(c *Config) { c.Windows[0].Ranges[1] = "14:00-25:00" }, `schedule.windows[0].ranges[1]: "25:00" is not a time`},
		{"24:00 start", func(c *Config) { c.Windows[0].Ranges[0] = "24:00-01:00" }, `"24:00" is not a time`},
		{"minutes", func(c *Config) { c.Windows[0].Ranges[0] = "09:60-12:00" }, `"09:60" is not a time`},
		{"no dash", func(c *Config) { c.Windows[0].Ranges[0] = "0900" }, "is not a range"},
		{"empty range", func(c *Config) { c.Windows[0].Ranges[0] = "09:00-09:00" }, "schedule.windows[0].ranges[0]: \"09:00-09:00\" is empty"},
		{"overlap same window", func(c *Config) { c.Windows[0].Ranges[1] = "11:00-13:00" }, "schedule.windows[0].ranges[1]: 11:00-13:00 on mon overlaps windows[0].ranges[0]"},
		{"overlap two windows", func(c *Config) {
			c.Windows = append(c.Windows, Window{Days: []string{"sat"}, Ranges: []string{"20:00-22:00"}, Cite: citeU})
		}, "schedule.windows[1].ranges[0]: 20:00-22:00 on sat overlaps windows[0].ranges[1]"},
		{"overlap across midnight", func(c *Config) {
			c.Windows = []Window{
				{Days: []string{"sun"}, Ranges: []string{"22:00-02:00"}, Cite: citeU},
				{Days: []string{"mon"}, Ranges: []string{"01:00-03:00"}, Cite: citeU},
			}
		}, "schedule.windows[1].ranges[0]: 01:00-03:00 on mon overlaps windows[0].ranges[0]"},
		{"bad day", func(c *Config) { c.Windows[0].Days = []string{"funday"} }, `schedule.windows[0].days[0]: "funday" is not a day`},
		{"day twice", func(c *Config) { c.Windows[0].Days = []string{"mon-fri", "fri"} }, "schedule.windows[0].days[1]: fri named twice"},
		{"missing cite", func(c *Config) { c.Windows[0].Cite = dialgate.Citation{} }, "schedule.windows[0].cite.source: missing"},
		{"unknown zone", func(c *Config) { c.DefaultZone.Name = "Mars/Olympus_Mons" }, `schedule.default_zone.name: unknown zone "Mars/Olympus_Mons"`},
		{"local zone", func(c *Config) { c.DefaultZone.Name = "Local" }, "schedule.default_zone.name"},
		{"zone without cite", func(c *Config) { c.DefaultZone.Cite = dialgate.Citation{} }, "schedule.default_zone.cite.source: missing"},
		{"unknown purpose", func(c *Config) { c.Purposes = []dialgate.Purpose{"spam"} }, `schedule.purposes[0]: unknown purpose "spam"`},
		{"unknown calendar", func(c *Config) {
			c.Holidays = &Holidays{Forbid: true, Calendars: []string{"xx-2026"}, Cite: citeU}
		}, `schedule.holidays.calendars[0]: unknown calendar "xx-2026"`},
		{"holidays without calendars", func(c *Config) { c.Holidays = &Holidays{Forbid: true, Cite: citeU} }, "schedule.holidays.calendars: missing"},
		{"holiday cite", func(c *Config) { c.Holidays = &Holidays{Forbid: true, Calendars: []string{"cn-2026"}} }, "schedule.holidays.cite.source: missing"},
		{"makeup day", func(c *Config) {
			c.Holidays = &Holidays{Calendars: []string{"cn-2026"}, MakeupWorkdaysAs: "someday", Cite: citeU}
		}, "schedule.holidays.makeup_workdays_as"},
		{"negative callback age", func(c *Config) { c.Callback.MaxTriggerAge = dialgate.Duration(-time.Minute) }, "schedule.callback.max_trigger_age: -1m0s is not positive"},
		{"zero callback age", func(c *Config) { c.Callback.MaxTriggerAge = 0 }, "schedule.callback.max_trigger_age: 0s is not positive"},
		{"day-old callback", func(c *Config) { c.Callback.MaxTriggerAge = dialgate.Duration(48 * time.Hour) }, "longer than 24h"},
		{"callback cite", func(c *Config) { c.Callback.Cite = dialgate.Citation{} }, "schedule.callback.cite.source: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cnConfig()
			c.Windows[0].Ranges = append([]string(nil), c.Windows[0].Ranges...)
			z, cb := *c.DefaultZone, *c.Callback
			c.DefaultZone, c.Callback = &z, &cb
			tt.edit(&c)
			wantInvalidConfig(t, c, tt.field)
		})
	}
}

func TestConfigJSON(t *testing.T) {
	in := `{"windows":[{"days":["mon-fri"],"ranges":["10:00-13:00","14:00-20:00"],"cite":{"source":"L","ref":"Code de la consommation, D. 223-8"}}],
	  "default_zone":{"name":"Europe/Paris","cite":{"source":"U","ref":"x"}},
	  "holidays":{"forbid":true,"calendars":["fr-2026"],"cite":{"source":"L","ref":"D. 223-8"}},
	  "callback":{"max_trigger_age":"30m","cite":{"source":"U","ref":"y"}}}`
	var c Config
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Callback.MaxTriggerAge) != 30*time.Minute {
		t.Errorf("max_trigger_age = %v", time.Duration(c.Callback.MaxTriggerAge))
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"max_trigger_age":"30m0s"`) && !strings.Contains(string(out), `"max_trigger_age":"30m"`) {
		t.Errorf("marshalled %s", out)
	}
	for _, bad := range []string{`"soon"`, `""`} {
		var d dialgate.Duration
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("Duration accepted %s", bad)
		}
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in         string
		start, end int
		ok         bool
	}{
		{"09:00-12:00", 540, 720, true},
		{"00:00-24:00", 0, 1440, true},
		{"21:00-02:00", 1260, 1560, true},
		{"21:00-00:00", 1260, 1440, true},
		{" 09:00 - 12:00 ", 540, 720, true},
		{"9:00-12:00", 0, 0, false},
		{"09:00-12:00-13:00", 0, 0, false},
		{"25:00-26:00", 0, 0, false},
		{"12:00-12:00", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		s, e, err := ParseRange(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (s != tt.start || e != tt.end)) {
			t.Errorf("ParseRange(%q) = %d, %d, %v", tt.in, s, e, err)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"09:00-12:00", "21:00-02:00", "00:00-24:00", "24:00-24:00", "9:0-1", "12:00-12:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, err := ParseRange(s)
		if err != nil {
			return
		}
		if start < 0 || start >= 1440 || end <= start || end > start+1440 || end > 2880 {
			t.Fatalf("ParseRange(%q) = %d, %d", s, start, end)
		}
		// Written back in canonical form, the range reads the same.
		e := end
		if e > 1440 {
			e -= 1440
		}
		canon := fmt.Sprintf("%02d:%02d-%02d:%02d", start/60, start%60, e/60, e%60)
		if s2, e2, err := ParseRange(canon); err != nil || s2 != start || e2 != end {
			t.Fatalf("ParseRange(%q) = %d, %d; its canonical form %q reads %d, %d, %v", s, start, end, canon, s2, e2, err)
		}
	})
}

// FuzzParseDays checks the days of a window ("mon", "mon-fri", "sat-mon"):
// an accepted value is 1 to 7 distinct days, consecutive (wrapping after
// Sunday) from the first named day to the last.
func FuzzParseDays(f *testing.F) {
	for _, s := range []string{"mon", "mon-fri", "sat-mon", "Sun-Sun", " tue - thu ", "mon-", "-fri", "mon-fri-sat", "monday", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		days, err := parseDays(s)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("parseDays(%q): %v does not quote the value", s, err)
			}
			return
		}
		if len(days) < 1 || len(days) > 7 {
			t.Fatalf("parseDays(%q) = %v", s, days)
		}
		from, to, _ := strings.Cut(s, "-")
		if a, ok := parseDay(from); !ok || days[0] != a {
			t.Fatalf("parseDays(%q) = %v does not start at %q", s, days, from)
		}
		if b, ok := parseDay(to); ok && days[len(days)-1] != b {
			t.Fatalf("parseDays(%q) = %v does not end at %q", s, days, to)
		}
		for i := 1; i < len(days); i++ {
			if days[i] != (days[i-1]+1)%7 {
				t.Fatalf("parseDays(%q) = %v is not consecutive", s, days)
			}
		}
	})
}

// wantInvalidConfig asserts that c fails Validate with an error wrapping
// ErrInvalidConfig that names field, and that NewWindowCheck refuses it.
func wantInvalidConfig(t *testing.T, c Config, field string) {
	t.Helper()
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("error does not wrap ErrInvalidConfig: %v", err)
	}
	if !strings.Contains(err.Error(), field) {
		t.Errorf("error %q does not contain %q", err, field)
	}
	if _, err := NewWindowCheck(c); err == nil {
		t.Error("NewWindowCheck accepted it")
	}
}

// TestZoneNamesThatAreNoPlace: a profile names the callee's zone, never the
// host's: besides "Local", the files a host's zoneinfo directory holds that
// are no place — "localtime" (the host's own zone), "posixrules" (its
// default rules), "Factory" (the database's placeholder, UTC "-00"), and
// the posix/ and right/ copies some hosts install (absent from the
// embedded database: the profile would load on one host and not another)
// — are refused as the default zone and as the standard-time zone.
func TestZoneNamesThatAreNoPlace(t *testing.T) {
	for _, name := range []string{"Local", "localtime", "posixrules", "Factory", "posix/Asia/Shanghai", "right/America/Chicago",
		// The same files spelt as paths: time.LoadLocation opens the name
		// under the zoneinfo directory.
		"./localtime", "./posixrules", "./posix/Asia/Shanghai", "./Asia/Shanghai", "Asia//Shanghai"} {
		c := Config{Windows: []Window{daily("09:00-21:00")}, DefaultZone: &Zone{Name: name, Cite: citeU}}
		wantInvalidConfig(t, c, "schedule.default_zone.name")
		c = Config{Windows: []Window{daily("09:00-21:00")}, AlsoInStandardTime: &StandardTime{Zone: name, Cite: citeU}}
		wantInvalidConfig(t, c, "schedule.also_in_standard_time.zone")
	}
}
