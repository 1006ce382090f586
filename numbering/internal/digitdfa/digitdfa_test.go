package digitdfa

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// randomDigits returns a digit string of length n, biased toward the digits
// a pattern mentions so that long matches are not too rare.
func randomDigits(r *rand.Rand, n int, prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()[:n]
}

// check compares d with package regexp on s.
func check(t *testing.T, pattern string, d *DFA, full, prefix *regexp.Regexp, s string) {
	t.Helper()
	if got, want := d.Match([]byte(s)), full.MatchString(s); got != want {
		t.Fatalf("pattern %q, %q: Match %v, regexp %v", pattern, s, got, want)
	}
	if got, want := d.MatchPrefix([]byte(s)), prefix.MatchString(s); got != want {
		t.Fatalf("pattern %q, %q: MatchPrefix %v, regexp %v", pattern, s, got, want)
	}
}

func TestCompileSmall(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		yes, no []string
	}{
		{`1`, []string{"1"}, []string{"", "2", "11"}},
		{`[2-9]\d{2}`, []string{"200", "999"}, []string{"100", "20", "2000"}},
		{`(?:1\d|2)\d{1,2}`, []string{"100", "1000", "20", "200"}, []string{"2000", "1", "2"}},
		{``, []string{""}, []string{"0"}},
		{`0?`, []string{"", "0"}, []string{"00"}},
		{`\d*`, []string{"", "0123456789"}, nil},
		{`(5\d{6})`, []string{"5123456"}, []string{"512345"}},
		{`.`, []string{"7"}, []string{"77"}},
	} {
		d, err := Compile(tt.pattern, 1000)
		if err != nil {
			t.Fatalf("%q: %v", tt.pattern, err)
		}
		for _, s := range tt.yes {
			if !d.Match([]byte(s)) {
				t.Errorf("%q does not match %q", tt.pattern, s)
			}
		}
		for _, s := range tt.no {
			if d.Match([]byte(s)) {
				t.Errorf("%q matches %q", tt.pattern, s)
			}
		}
	}
	var zero DFA
	if zero.Match(nil) || zero.MatchPrefix([]byte("1")) {
		t.Error("the zero DFA matches")
	}
	d, _ := Compile(`\d+`, 10)
	if d.Match([]byte("12a")) || d.Match([]byte("a")) || !d.MatchPrefix([]byte("1a")) || d.MatchPrefix([]byte("a1")) {
		t.Error("non-digits: Match must report false, MatchPrefix stop")
	}
}

func TestCompileRefuses(t *testing.T) {
	for _, p := range []string{`^1`, `1$`, `([457]\d{6})$|1`, `\b1`, `(?m)^1`} {
		if _, err := Compile(p, 1000); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Compile(%q) = %v, want ErrUnsupported", p, err)
		}
	}
	if _, err := Compile(`(`, 1000); err == nil || errors.Is(err, ErrUnsupported) {
		t.Errorf("Compile of a bad pattern: %v", err)
	}
	// (0|1)*1(0|1){6} has 2^7 states: refused under 100.
	if _, err := Compile(`[01]*1[01]{6}`, 100); !errors.Is(err, ErrUnsupported) {
		t.Errorf("state limit: %v", err)
	}
	if d, err := Compile(`[01]*1[01]{6}`, 1000); err != nil || d.States() < 128 {
		t.Errorf("state limit 1000: %v", err)
	}
}

// TestLibraryPatterns compiles every number pattern of libphonenumber's
// metadata and compares each DFA with package regexp on random digit
// strings of every length up to 17, some of them built from the pattern's
// own example numbers.
func TestLibraryPatterns(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	perPattern := 60
	if testing.Short() || raceEnabled {
		perPattern = 15
	}
	patterns, refused := 0, 0
	for _, md := range coll.GetMetadata() {
		descs := []*phonenumbers.PhoneNumberDesc{md.GeneralDesc, md.FixedLine, md.Mobile, md.TollFree, md.PremiumRate, md.SharedCost, md.PersonalNumber, md.Voip, md.Pager, md.Uan, md.Voicemail, md.NoInternationalDialling}
		var pats []string
		var examples []string
		for _, desc := range descs {
			if desc != nil {
				pats = append(pats, desc.GetNationalNumberPattern())
				examples = append(examples, desc.GetExampleNumber())
			}
		}
		pats = append(pats, md.GetLeadingDigits(), md.GetNationalPrefixForParsing())
		for _, p := range pats {
			d, err := Compile(p, 1<<14)
			if errors.Is(err, ErrUnsupported) {
				refused++
				continue
			}
			if err != nil {
				t.Fatalf("%s: %q: %v", md.GetId(), p, err)
			}
			patterns++
			full := regexp.MustCompile("^(?:" + p + ")$")
			prefix := regexp.MustCompile("^(?:" + p + ")")
			for _, ex := range examples {
				check(t, p, d, full, prefix, ex)
			}
			for i := range perPattern {
				ex := examples[r.IntN(len(examples))]
				n := r.IntN(18)
				head := ""
				if i%2 == 0 && len(ex) > 0 {
					head = ex[:r.IntN(len(ex)+1)]
				}
				check(t, p, d, full, prefix, randomDigits(r, n, head))
			}
		}
	}
	t.Logf("%d patterns compiled, %d refused", patterns, refused)
}

// FuzzCompile compares Compile with package regexp on any pattern and digit
// string: no panic, and the same answer whenever Compile accepts the pattern.
func FuzzCompile(f *testing.F) {
	f.Add(`[2-9]\d{2}`, "212")
	f.Add(`(?:1\d|2)\d{1,2}`, "1000")
	f.Add(`0?(?:(11|2(?:2(?:02?|[13])))15)?`, "0111512")
	f.Add(`a|\d`, "5")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		full, err := regexp.Compile("^(?:" + pattern + ")$")
		if err != nil {
			return
		}
		prefix := regexp.MustCompile("^(?:" + pattern + ")")
		if len(pattern) > 200 {
			return // keep each run short: a long pattern's automaton takes long to build
		}
		d, err := Compile(pattern, 1<<12)
		if err != nil {
			return
		}
		// Only digit strings are defined.
		var b strings.Builder
		for i := 0; i < len(s) && i < 20; i++ {
			b.WriteByte('0' + s[i]%10)
		}
		check(t, pattern, d, full, prefix, b.String())
	})
}
