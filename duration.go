package dialgate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes the units people use in
// regulatory text: "30d" (days of 24 h), "2w" (weeks), as well as Go's own "5m",
// "24h", "1h30m". Profile and config files use it. The zero value is 0.
type Duration time.Duration

// maxDays is the longest Duration ParseDuration reads, in days: 100 years.
const maxDays = 100 * 366

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats whole days as "30d", otherwise as time.Duration does.
func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	return td.String()
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; see ParseDuration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDuration parses "30d", "2w", "1d12h", "24h", "5m" and any other
// time.ParseDuration syntax, up to 100 years (36,600 days). It rejects empty
// text, unknown units and longer durations with an error that quotes the
// text.
func ParseDuration(s string) (Duration, error) {
	if strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("duration: empty (want e.g. 30d, 24h or 5m)")
	}
	rest := s
	neg := false
	if rest[0] == '-' || rest[0] == '+' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	var total time.Duration
	days := int64(0)
	// Leading day and week components, then whatever time.ParseDuration reads.
	for {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i >= len(rest) || (rest[i] != 'd' && rest[i] != 'w') {
			break
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		// At most maxDays in all, whatever the units: a longer duration
		// could not be written back as days ("10000w" is 70000d). Weeks are
		// bounded before they are turned into days: n*7 would wrap around
		// ("2635249153387078802w" read as -2d).
		if err == nil && rest[i] == 'w' {
			if n > maxDays/7 {
				n = maxDays + 1
			} else {
				n *= 7
			}
		}
		if err != nil || n > maxDays || days+n > maxDays {
			return 0, fmt.Errorf("duration %q: too large (at most %dd)", s, maxDays)
		}
		days += n
		total += time.Duration(n) * 24 * time.Hour
		rest = rest[i+1:]
	}
	if rest != "" {
		v, err := time.ParseDuration(rest)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("duration %q: want a number with a unit (d, w, h, m, s), e.g. 30d, 24h or 5m", s)
		}
		if v > maxDays*24*time.Hour-total {
			return 0, fmt.Errorf("duration %q: too large (at most %dd)", s, maxDays)
		}
		total += v
	} else if total == 0 && !strings.ContainsAny(s, "dw") {
		return 0, fmt.Errorf("duration %q: want a number with a unit", s)
	}
	if neg {
		total = -total
	}
	return Duration(total), nil
}
