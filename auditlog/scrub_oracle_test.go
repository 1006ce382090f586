package auditlog

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/dialgate/dialgate"
)

// cleanOracle is scrubber.clean as it was before its ASCII fast path
// (every string read rune by rune), kept as the test oracle of what a
// record redacts.
func (s *scrubber) cleanOracle(p fieldPath, v string) string {
	if s.anyNumber {
		if !phoneLike(v) {
			return v
		}
		why := s.anyWhy
		if why == "" {
			why = "the outcome came without its dial"
		}
		s.redacted = append(s.redacted, p.String()+": may contain a phone number ("+why+")")
		return redactedMark
	}
	if s.national == nil || len(v) < len(s.national) {
		return v
	}
	var buf [64]byte
	d := buf[:0]
	for _, r := range v {
		if c, ok := asciiDigit(r); ok {
			d = append(d, c)
		}
	}
	if len(d) < len(s.national) || !bytes.Contains(d, s.national) {
		return v
	}
	s.redacted = append(s.redacted, p.String()+": contained the callee number")
	return redactedMark
}

// checkClean compares clean with the oracle for the callee n (nil: none)
// and the string v, in both modes (the callee's digits and any number).
func checkClean(t *testing.T, n dialgate.Number, v string) {
	t.Helper()
	for _, anyNumber := range []bool{false, true} {
		var a, b scrubber
		a.init(n, nil)
		b.init(n, nil)
		a.anyNumber, b.anyNumber = anyNumber, anyNumber
		p := fieldPath{"reasons", 1, ".evidence", 2, ".value"}
		got, want := a.clean(p, v), b.cleanOracle(p, v)
		if got != want || !slices.Equal(a.redacted, b.redacted) {
			t.Fatalf("callee %v, anyNumber %v, clean(%q) = %q %q, the oracle says %q %q", n, anyNumber, v, got, a.redacted, want, b.redacted)
		}
	}
}

// FuzzCleanOracle: the scrubber with its ASCII fast path redacts exactly
// what the rune-by-rune oracle redacts, with the same notes, for any callee
// and any string (invalid UTF-8, full-width and other-script digits too).
func FuzzCleanOracle(f *testing.F) {
	f.Add(uint64(8613800138000), "call 138-0013-8000 back")
	f.Add(uint64(8613800138000), "１３８００１３８０００")
	f.Add(uint64(8613800138000), "13800138000\xff")
	f.Add(uint64(12125550100), "(212) 555-0100")
	f.Add(uint64(12125550100), "2026-12-05T09:00:00Z")
	f.Add(uint64(0), "212555010")
	f.Fuzz(func(t *testing.T, digits uint64, v string) {
		n, _ := dialgate.ParseNumber("+" + strconv.FormatUint(digits, 10))
		checkClean(t, n, v)
	})
}

// TestCleanOracleRandom runs the oracle comparison on random strings in
// every test run: the callee's digits embedded (in ASCII, full-width or
// Arabic-Indic digits, with separators), near misses, long strings past the
// 64-byte stack buffer, and stray non-ASCII bytes.
func TestCleanOracleRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	nums := []dialgate.Number{{}, dialgate.MustParseNumber("+8613800138000"), dialgate.MustParseNumber("+12125550100"),
		dialgate.MustParseNumber("+441632960000"), dialgate.MustParseNumber("+861058001234")}
	zeros := []rune{'0', '０', '٠', '०'}
	for range 50000 {
		n := nums[r.IntN(len(nums))]
		var b []rune
		for range r.IntN(8) {
			switch r.IntN(6) {
			case 0: // the callee's national digits, maybe cut short, in some script
				nat := n.String()
				if len(nat) > 4 {
					nat = nat[1+r.IntN(3):]
				}
				if r.IntN(3) == 0 && len(nat) > 1 {
					nat = nat[:len(nat)-1]
				}
				z := zeros[r.IntN(len(zeros))]
				for _, c := range nat {
					if c >= '0' && c <= '9' {
						b = append(b, z+(c-'0'))
					}
					if r.IntN(4) == 0 {
						b = append(b, []rune(" -.(/")[r.IntN(5)])
					}
				}
			case 1:
				for range r.IntN(80) {
					b = append(b, rune('0'+r.IntN(10)))
				}
			case 2:
				for range r.IntN(20) {
					b = append(b, rune(0x20+r.IntN(0x5f)))
				}
			case 3:
				b = append(b, rune(0x80+r.IntN(0x3000)))
			case 4:
				b = append(b, []rune("2026-12-05T09:00:00+08:00")...)
			case 5:
				b = append(b, zeros[r.IntN(len(zeros))]+rune(r.IntN(10)))
			}
		}
		v := string(b)
		if r.IntN(20) == 0 && len(v) > 0 {
			v = v[:r.IntN(len(v))] + "\xff" // invalid UTF-8
		}
		checkClean(t, n, v)
	}
}

// BenchmarkScrubClean compares clean with the oracle over the strings of a
// cn allow's record (ids, names, instants, evidence keys and values), for
// the callee +8613800138000: run both with -count and compare.
func BenchmarkScrubClean(b *testing.B) {
	vs := []string{"dg-kndg5n4a35y3z7mdo2k5p5gfiu", "acme", "winter", "service", "finance", "cn@cff66e9780b3",
		"+861058001234", "frequency.seen", "0 of 1 call per 5m per callee", "0 of 2 calls per 24h per callee",
		"0 of 10 calls per 30d per callee", "callerid.number", "callerid.holder", "Acme Ltd", "callerid.type",
		"callerid.purposes", "callback,service,marketing", "callerid.valid_from", "2026-12-05T19:55:04.160065149Z",
		"callerid.ledger_version", "ring.min_seconds", "15", "schedule.zone", "Asia/Shanghai",
		"schedule.callback_exempt", "sweep.segment", "1380013", "dnc.lists", "consulted"}
	n := dialgate.MustParseNumber("+8613800138000")
	p := field("x")
	for _, impl := range []string{"oracle", "fast"} {
		b.Run(impl, func(b *testing.B) {
			var s scrubber
			for b.Loop() {
				s.init(n, s.redacted[:0])
				for _, v := range vs {
					if impl == "fast" {
						s.clean(p, v)
					} else {
						s.cleanOracle(p, v)
					}
				}
			}
		})
	}
}
