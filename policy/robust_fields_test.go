package policy

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/yamlx"
	"github.com/dialgate/dialgate/sweep"
)

// numericField is one float64 or dialgate.Duration field of a profile, found
// by walking it, with its path in the profile file's keys.
type numericField struct {
	path string
	v    reflect.Value // settable
}

var durationType = reflect.TypeFor[dialgate.Duration]()

// numericFields returns every dialgate.Duration and float64 field set in p
// (pointers followed, slices and maps entered), with their paths.
func numericFields(p *Profile) []numericField {
	var out []numericField
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch {
		case v.Type() == durationType || v.Kind() == reflect.Float64:
			out = append(out, numericField{path: path, v: v})
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Struct:
			if v.Type() == citationType || v.Type().PkgPath() == "time" {
				return
			}
			t := v.Type()
			for i := range t.NumField() {
				sf := t.Field(i)
				if !sf.IsExported() {
					continue
				}
				name := jsonName(sf)
				if name == "-" {
					continue
				}
				sub := name
				if path != "" {
					sub = path + "." + name
				}
				walk(v.Field(i), sub)
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i), path+"["+strconv.Itoa(i)+"]")
			}
		case reflect.Map:
			// A map value is a copy, not addressable; the profile's
			// maps (sweep.tenants) hold pointers to their rules, which
			// the copy shares: walking it reaches settable fields.
			keys := v.MapKeys()
			slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
			for _, k := range keys {
				walk(v.MapIndex(k), path+"."+k.String())
			}
		}
	}
	walk(reflect.ValueOf(p).Elem(), "")
	return out
}

// builtinWithTenant is the built-in profile name, with stricter sweep rules
// for the tenant acme (none is built in) when it has sweep rules, so that
// the rules under sweep.tenants are exercised too.
func builtinWithTenant(t *testing.T, name string) *Profile {
	p := builtin(t, name)
	if p.Sweep != nil && p.Sweep.SegmentRate != nil && p.Sweep.Sequential != nil && p.Sweep.Stride != nil {
		sr, sq, st := *p.Sweep.SegmentRate, *p.Sweep.Sequential, *p.Sweep.Stride
		sr.Window *= 2
		sq.Window *= 2
		st.Window *= 2
		p.Sweep.Tenants = map[string]sweep.TenantRules{"acme": {SegmentRate: &sr, Sequential: &sq, Stride: &st}}
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestValidateRefusesBadNumbers sets every float and duration field of every
// built-in profile (as a Go program building a profile would) to NaN, ±Inf or
// a negative value: Validate must refuse it with an error naming the field,
// and neither Clone, Version, Lint nor Validate may panic.
func TestValidateRefusesBadNumbers(t *testing.T) {
	seen := map[string]bool{}
	builtin := builtinWithTenant
	for _, name := range Builtins() {
		base := builtin(t, name)
		n := len(numericFields(base))
		for i := range n {
			var bads []func(numericField) string
			bads = append(bads, func(f numericField) string {
				if f.v.Kind() == reflect.Float64 {
					f.v.SetFloat(-f.v.Float())
				} else {
					f.v.SetInt(-f.v.Int())
				}
				return "negative"
			})
			if numericFields(base)[i].v.Kind() == reflect.Float64 {
				for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
					bads = append(bads, func(f numericField) string { f.v.SetFloat(x); return strconv.FormatFloat(x, 'g', -1, 64) })
				}
			}
			for _, bad := range bads {
				p := builtin(t, name)
				f := numericFields(p)[i]
				if f.v.IsZero() && f.v.Kind() != reflect.Float64 {
					continue // an optional zero duration; negating it changes nothing
				}
				what := bad(f)
				seen[f.path] = true
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s: %s = %s: panic: %v", name, f.path, what, r)
						}
					}()
					q := p.Clone()
					err := q.Validate()
					if err == nil {
						t.Errorf("%s: %s = %s: Validate accepted it", name, f.path, what)
					} else if !strings.Contains(err.Error(), f.path+":") {
						t.Errorf("%s: %s = %s: error does not name the field: %v", name, f.path, what, err)
					}
					if _, err := Checks(q, Deps{}); !errors.Is(err, ErrInvalidProfile) {
						t.Errorf("%s: %s = %s: Checks = %v, want ErrInvalidProfile", name, f.path, what, err)
					}
					_ = q.Version()
					_ = Lint(q, time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC))
				}()
			}
		}
	}
	for _, want := range []string{"abandonment.max_rate", "abandonment.window", "ring.min", "recording.retention",
		"dnc.registries[0].max_age", "schedule.callback.max_trigger_age", "frequency.caps[0].window",
		"frequency.pause_after_abandoned.window", "frequency.pause_after_refusal.window",
		"frequency.pause_after_conversation.window", "sweep.segment_rate.window", "sweep.sequential.window",
		"sweep.stride.window", "sweep.tenants.acme.segment_rate.window", "sweep.tenants.acme.sequential.window",
		"sweep.tenants.acme.stride.window"} {
		if !seen[want] {
			t.Errorf("no built-in profile exercised %s", want)
		}
	}
}

// TestCloneIsDeep: a clone shares nothing with its original; changing every
// number of the clone leaves the original's version as it was.
func TestCloneIsDeep(t *testing.T) {
	for _, name := range Builtins() {
		p := builtinWithTenant(t, name)
		v := p.Version()
		c := p.Clone()
		if !reflect.DeepEqual(p, c) {
			t.Fatalf("%s: clone differs from the original", name)
		}
		for _, f := range numericFields(c) {
			if f.v.Kind() == reflect.Float64 {
				f.v.SetFloat(math.NaN())
			} else {
				f.v.SetInt(f.v.Int() + 1)
			}
		}
		if c.Schedule != nil && len(c.Schedule.Windows) > 0 {
			c.Schedule.Windows[0].Ranges = append(c.Schedule.Windows[0].Ranges[:0], c.Schedule.Windows[0].Ranges[0])
			c.Schedule.Windows[0].Cite.Ref = "changed"
		}
		if got := p.Version(); got != v {
			t.Errorf("%s: changing the clone changed the original (%s → %s)", name, v, got)
		}
	}
	if (*Profile)(nil).Clone() != nil {
		t.Errorf("nil.Clone() != nil")
	}
}

// TestParseRefusesBadNumbers: a profile file with NaN, ±Inf or a negative
// number in a float or duration field is refused with an error naming the
// field, never a panic.
func TestParseRefusesBadNumbers(t *testing.T) {
	for _, tc := range []struct{ src, field string }{
		{"abandonment: {max_rate: .nan}", "abandonment.max_rate"},
		{"abandonment: {max_rate: .inf}", "abandonment.max_rate"},
		{"abandonment: {max_rate: -.inf}", "abandonment.max_rate"},
		{"abandonment: {max_rate: -0.03}", "abandonment.max_rate"},
		{"abandonment: {max_rate: 1e400}", "abandonment.max_rate"},
		{`{"abandonment": {"max_rate": -1e-400}}`, "abandonment.max_rate"},
		{"abandonment: {window: -30d}", "abandonment.window"},
		{"ring: {min: -15s}", "ring.min"},
		{"ring: {min: .nan}", "ring.min"},
		{"recording: {retention: -1827d}", "recording.retention"},
		{"dnc: {registries: [{name: us-national-dnc, max_age: -31d, cite: {source: L, ref: x}}]}", "dnc.registries[0].max_age"},
		{"frequency: {caps: [{count: 1, window: -5m, cite: {source: U, ref: x}}]}", "frequency.caps[0].window"},
		{"frequency: {pause_after_abandoned: {window: -72h, cite: {source: R, ref: x}}}", "frequency.pause_after_abandoned.window"},
	} {
		src := "schema: dialgate.profile.v1\nname: x\nextends: us\n" + tc.src + "\n"
		if strings.HasPrefix(tc.src, "{") {
			src = `{"schema": "dialgate.profile.v1", "name": "x", "extends": "us", ` + tc.src[1:]
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic: %v", tc.src, r)
				}
			}()
			_, err := Parse("x.yaml", []byte(src))
			if !errors.Is(err, ErrInvalidProfile) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("%s: Parse = %v, want ErrInvalidProfile naming %s", tc.src, err, tc.field)
			}
		}()
	}
}

// TestMergeRefusesInvalidBase: Merge onto a Go-built base with a NaN rate
// (which has no JSON form) or onto nil is an error naming the problem, not
// "json: unsupported value".
func TestMergeRefusesInvalidBase(t *testing.T) {
	base := builtin(t, "us")
	base.Abandonment.MaxRate = math.NaN()
	_, err := Merge(base, []byte("description: x\n"))
	if !errors.Is(err, ErrInvalidProfile) || !strings.Contains(err.Error(), "abandonment.max_rate") {
		t.Errorf("Merge onto a NaN base = %v, want ErrInvalidProfile naming abandonment.max_rate", err)
	}
	_, err = Merge(nil, []byte("description: x\n"))
	if !errors.Is(err, ErrInvalidProfile) || !strings.Contains(err.Error(), "base") {
		t.Errorf("Merge onto nil = %v, want ErrInvalidProfile naming the base", err)
	}
}

// TestLoadFileReadsAtMostMaxSize: a profile path naming a huge file (or a
// device that never ends, /dev/zero) is refused after reading at most
// yamlx.MaxSize+1 bytes; reading it whole ran the process out of memory.
func TestLoadFileReadsAtMostMaxSize(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(256 << 20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	over := filepath.Join(dir, "over.yaml")
	if err := os.WriteFile(over, []byte("schema: dialgate.profile.v1\nname: x\nextends: big.yaml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{big, over} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := LoadFile(path)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrInvalidProfile) || !strings.Contains(err.Error(), "big.yaml") || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("LoadFile(%s) = %v, want ErrInvalidProfile saying big.yaml is too large", filepath.Base(path), err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 4*yamlx.MaxSize {
			t.Errorf("LoadFile(%s) allocated %d MiB for a file it refuses", filepath.Base(path), n>>20)
		}
	}
}
