package numbering

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/proto"
)

// lookupZonesLibrary is LookupZones as it was before geographicFast and
// prefixZonesOf, without the cache: the type from the library's Parse and
// GetNumberType, the zones from the library for the number's first
// tzPrefixLen digits. It is the oracle the fast path is held to.
func lookupZonesLibrary(n dialgate.Number) ZoneSet {
	if !n.IsValid() {
		return ZoneSet{}
	}
	if n.CountryCode() == 86 {
		return ZoneSet{shanghai}
	}
	if z, ok := frOverseas(n); ok {
		return z
	}
	prefix := n.Digits()[:min(n.Len(), tzPrefixLen)]
	geo := geographicLibrary(n)
	if !geo {
		prefix = strconv.Itoa(n.CountryCode())
	}
	set := splitZones(prefix, lookupZonesUncached(prefix))
	if geo {
		set = fixZones(prefix, set)
	} else {
		for _, z := range countryZoneFixes[prefix] {
			set = withZone(set, z) // no place: every zone of the country (see countryZoneFixes)
		}
	}
	return set
}

// zonesOfNumber is zonesOf for any valid number LookupZones passes it.
func zonesOfNumber(n dialgate.Number) ZoneSet {
	key, klen := n.Uint64(), n.Len()
	if klen > tzPrefixLen {
		key /= pow10(klen - tzPrefixLen)
		klen = tzPrefixLen
	}
	return zonesOf(n, key, klen)
}

func pow10(k int) uint64 {
	v := uint64(1)
	for range k {
		v *= 10
	}
	return v
}

// checkOracle compares the fast path with the oracle on n: the type
// decision, the uncached zones and LookupZones.
func checkOracle(t *testing.T, n dialgate.Number) {
	t.Helper()
	want := lookupZonesLibrary(n)
	if got := LookupZones(n); !slices.Equal(got.Zones(), want.Zones()) {
		t.Fatalf("LookupZones(%v) = %v, the library path says %v", n, got, want)
	}
	if n.CountryCode() == 86 {
		return
	}
	if _, ok := frOverseas(n); ok {
		return
	}
	if got := zonesOfNumber(n); !slices.Equal(got.Zones(), want.Zones()) {
		t.Fatalf("zonesOf(%v) = %v, the library path says %v", n, got, want)
	}
	var buf [20]byte
	e164 := strconv.AppendUint(buf[:0], n.Uint64(), 10)
	geo, ok := geographicFast(e164)
	if !ok {
		t.Fatalf("geographicFast(%v) leaves the number to the library", n)
	}
	if lib := geographicLibrary(n); geo != lib {
		t.Fatalf("geographicFast(%v) = %v, the library says %v", n, geo, lib)
	}
	// The steps, against the library's: the parse, the type.
	p, nsn, parsed, _ := parseFast(e164)
	pn, err := phonenumbers.Parse("+"+n.Digits(), "")
	if parsed != (err == nil) {
		t.Fatalf("%v: parseFast parsed %v, Parse error %v", n, parsed, err)
	}
	if err != nil {
		return
	}
	if p.cc != pn.GetCountryCode() || string(nsn) != phonenumbers.GetNationalSignificantNumber(pn) {
		t.Fatalf("%v: parseFast +%d %s, Parse +%d %s", n, p.cc, nsn, pn.GetCountryCode(), phonenumbers.GetNationalSignificantNumber(pn))
	}
	if got, want := p.typeOf(nsn), phonenumbers.GetNumberType(pn); got != want {
		t.Fatalf("%v: type %v, the library says %v", n, got, want)
	}
}

// checkParseFast compares parseFast and the type decision with the
// library's Parse and GetNumberType on any digit string: not only a
// Number's (up to 20 digits, leading zeros, unknown codes).
func checkParseFast(t *testing.T, digits string) {
	t.Helper()
	p, nsn, parsed, ok := parseFast([]byte(digits))
	if !ok {
		t.Fatalf("%s: parseFast leaves the number to the library", digits)
	}
	pn, err := phonenumbers.Parse("+"+digits, "")
	if parsed != (err == nil) {
		t.Fatalf("+%s: parseFast parsed %v, Parse error %v", digits, parsed, err)
	}
	if err != nil {
		return
	}
	if p.cc != pn.GetCountryCode() || string(nsn) != phonenumbers.GetNationalSignificantNumber(pn) {
		t.Fatalf("+%s: parseFast +%d %s, Parse +%d %s", digits, p.cc, nsn, pn.GetCountryCode(), phonenumbers.GetNationalSignificantNumber(pn))
	}
	if got, want := p.typeOf(nsn), phonenumbers.GetNumberType(pn); got != want {
		t.Fatalf("+%s: type %v, the library says %v", digits, got, want)
	}
}

// TestParseFastMatchesLibrary compares parseFast and the type decision
// with the library on digit strings of 1 to 20 digits: a known calling
// code, or none, then random digits (zeros more often).
func TestParseFastMatchesLibrary(t *testing.T) {
	count := 50_000
	if testing.Short() {
		count = 5_000
	}
	if raceEnabled {
		count /= 20
	}
	var ccs []int
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		ccs = append(ccs, cc)
	}
	slices.Sort(ccs)
	r := rand.New(rand.NewPCG(13, 14))
	for range count {
		var b []byte
		if r.IntN(8) > 0 {
			b = strconv.AppendInt(b, int64(ccs[r.IntN(len(ccs))]), 10)
		}
		length := 1 + r.IntN(20)
		for len(b) < length {
			if r.IntN(4) == 0 {
				b = append(b, '0')
			} else {
				b = append(b, byte('0'+r.IntN(10)))
			}
		}
		checkParseFast(t, string(b))
	}
}

// TestPossibleLength checks possibleLength, for the metadata Parse strips
// the national prefix with, against the library's testNumberLength (through
// IsPossibleNumberWithReason, which reads the same metadata) for every
// calling code and every national number length.
func TestPossibleLength(t *testing.T) {
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		p := planFor(cc)
		if p.parse == nil {
			continue
		}
		for l := 1; l <= 19; l++ {
			nat, _ := strconv.ParseUint(strings.Repeat("1", l), 10, 64)
			pn := &phonenumbers.PhoneNumber{CountryCode: proto.Int32(int32(cc)), NationalNumber: proto.Uint64(nat)}
			r := phonenumbers.IsPossibleNumberWithReason(pn)
			want := r != phonenumbers.TOO_SHORT && r != phonenumbers.IS_POSSIBLE_LOCAL_ONLY && r != phonenumbers.INVALID_LENGTH
			if got := p.parse.possibleLength(l); got != want {
				t.Errorf("+%d, %d national digits: possibleLength %v, the library says %v", cc, l, got, r)
			}
		}
	}
}

// oracleNumbers returns count valid Numbers of every country calling code
// the library knows, of every length dialgate accepts for it (4 to 15 −
// the code's length national digits), their national digits drawn three
// ways: at random; from the library's example numbers, with the region's
// national prefix or not, cut or extended, a digit or two changed (near the
// patterns' edges); and from the time-zone data's prefixes with random
// digits after them.
func oracleNumbers(r *rand.Rand, count int) []dialgate.Number {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		panic(err)
	}
	var ccs []int
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		ccs = append(ccs, cc)
	}
	slices.Sort(ccs)
	seeds := map[int][]string{} // national digits to start from, by calling code
	for _, md := range coll.GetMetadata() {
		cc := int(md.GetCountryCode())
		for _, d := range []*phonenumbers.PhoneNumberDesc{md.GeneralDesc, md.FixedLine, md.Mobile, md.TollFree, md.PremiumRate, md.SharedCost, md.PersonalNumber, md.Voip, md.Pager, md.Uan, md.Voicemail} {
			if ex := d.GetExampleNumber(); ex != "" {
				// As is, and behind a national prefix (a national number
				// written with +cc), or the prefixes some plans' parsing
				// strips or transforms (0, 8, 1, 90 and a carrier code,
				// Argentina's 15 after the area code).
				seeds[cc] = append(seeds[cc], ex, md.GetNationalPrefix()+ex, "0"+ex, "8"+ex, "1"+ex, "9"+ex, "9012"+ex, ex[:min(len(ex), 3)]+"15"+ex[min(len(ex), 3):])
			}
		}
	}
	for _, p := range tzPrefixes {
		s := strconv.FormatUint(uint64(p), 10)
		for _, cc := range []int{int(p / 100), int(p / 10), int(p)} {
			if l := len(strconv.Itoa(cc)); phonenumbers.GetSupportedCallingCodes()[cc] && l < len(s) && s[:l] == strconv.Itoa(cc) {
				seeds[cc] = append(seeds[cc], s[l:])
			}
		}
	}
	var out []dialgate.Number
	for len(out) < count {
		cc := ccs[r.IntN(len(ccs))]
		ccs := strconv.Itoa(cc)
		length := 4 + r.IntN(15-len(ccs)-4+1) // national digits
		var nat []byte
		switch k := r.IntN(4); {
		case k == 0 || len(seeds[cc]) == 0:
			for range length {
				nat = append(nat, byte('0'+r.IntN(10)))
			}
		default:
			nat = []byte(seeds[cc][r.IntN(len(seeds[cc]))])
			if k >= 2 {
				length = len(nat) + r.IntN(3) - 1 // the example's length, ± 1
			}
			for len(nat) < length {
				nat = append(nat, byte('0'+r.IntN(10)))
			}
			if length > 0 && length < len(nat) {
				nat = nat[:length]
			}
			for range r.IntN(3) {
				if len(nat) > 0 {
					nat[r.IntN(len(nat))] = byte('0' + r.IntN(10))
				}
			}
		}
		v, err := strconv.ParseUint(ccs+string(nat), 10, 64)
		if err != nil {
			continue
		}
		n, err := dialgate.NumberFromUint64(v)
		if err != nil {
			continue // a code dialgate does not assign, a trunk prefix, too long …
		}
		out = append(out, n)
	}
	return out
}

// TestLookupZonesMatchesLibraryPath compares LookupZones, its uncached
// path and the type decision with the library path (lookupZonesLibrary) on
// numbers of every calling code the library knows (oracleNumbers): 200,000
// of them (≈ 17 s), 20,000 with -short, a fortieth under the race detector,
// where a library parse costs about a millisecond.
func TestLookupZonesMatchesLibraryPath(t *testing.T) {
	count := 200_000
	if testing.Short() {
		count = 20_000
	}
	if raceEnabled {
		count /= 40
	}
	r := rand.New(rand.NewPCG(11, 12))
	nums := oracleNumbers(r, count)
	ccs := map[int]bool{}
	for _, n := range nums {
		checkOracle(t, n)
		ccs[n.CountryCode()] = true
	}
	t.Logf("%d numbers of %d calling codes", len(nums), len(ccs))
}

// TestCCPlansCompile checks that the metadata of every calling code the
// library knows compiles exactly, so that no number of it is left to the
// library (a slow miss, not a wrong answer).
func TestCCPlansCompile(t *testing.T) {
	dfa, re := 0, 0
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		p := planFor(cc)
		if !p.ok {
			t.Errorf("calling code %d: metadata not compiled: the library decides its numbers", cc)
		}
		for _, rp := range append(slices.Clone(p.regions), p.parse) {
			if rp == nil {
				continue
			}
			for _, d := range rp.descs {
				if d.pattern.dfa != nil {
					dfa++
				} else {
					re++
				}
			}
		}
	}
	if re != 0 {
		t.Errorf("%d number patterns matched with package regexp, %d with a DFA", re, dfa)
	}
}

// FuzzLookupZonesMatchesLibraryPath compares the fast path with the
// library path on any number.
func FuzzLookupZonesMatchesLibraryPath(f *testing.F) {
	for _, v := range []uint64{12125550100, 16055550100, 442071234567, 447912345678, 61412345678, 61755500180, 18675550100, 8821234567, 80012345678, 79991234567, 390612345678, 5491123456789, 552123456789, 81312345678, 2682345678, 12682345678, 4401481123456, 33596000180} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		if v != 0 {
			checkParseFast(t, strconv.FormatUint(v, 10))
		}
		n, err := dialgate.NumberFromUint64(v)
		if err != nil {
			return
		}
		checkOracle(t, n)
	})
}

// TestRegionPlanRules checks the rules of getNumberTypeHelper that the
// library's own data never tells apart, on synthetic metadata: a desc's
// possible lengths bound its pattern, the types are tried in the library's
// order, and a region whose mobile and fixed-line patterns are the same
// calls a fixed-line match FIXED_LINE_OR_MOBILE without the mobile desc.
func TestRegionPlanRules(t *testing.T) {
	desc := func(pattern string, lengths ...int32) *phonenumbers.PhoneNumberDesc {
		return &phonenumbers.PhoneNumberDesc{NationalNumberPattern: proto.String(pattern), PossibleLength: lengths}
	}
	na := desc("", -1)
	md := &phonenumbers.PhoneMetadata{
		GeneralDesc: desc(`\d{3,5}`, 3, 4, 5),
		FixedLine:   desc(`[2-5]\d{2,4}`, 3, 4), // 5 digits: not by length
		Mobile:      desc(`[4-7]\d{2,4}`),       // the general lengths
		TollFree:    desc(`8\d{3}`, 4),
		PremiumRate: desc(`8\d{3}|9\d{2}`, 3, 4), // 8xxx: premium, tried first
		SharedCost:  na, PersonalNumber: na, Voip: na, Pager: na, Uan: na, Voicemail: na,
	}
	rp, ok := newRegionPlan(md)
	if !ok {
		t.Fatal("synthetic metadata not compiled")
	}
	for nsn, want := range map[string]phonenumbers.PhoneNumberType{
		"234":    phonenumbers.FIXED_LINE,
		"2345":   phonenumbers.FIXED_LINE,
		"23456":  phonenumbers.UNKNOWN, // the fixed-line pattern matches, its lengths do not
		"456":    phonenumbers.FIXED_LINE_OR_MOBILE,
		"45678":  phonenumbers.MOBILE,
		"678":    phonenumbers.MOBILE,
		"8123":   phonenumbers.PREMIUM_RATE,
		"912":    phonenumbers.PREMIUM_RATE,
		"12":     phonenumbers.UNKNOWN,
		"123456": phonenumbers.UNKNOWN,
	} {
		if got := rp.typeOf([]byte(nsn)); got != want {
			t.Errorf("%s: %v, want %v", nsn, got, want)
		}
	}
	md.SameMobileAndFixedLinePattern = proto.Bool(true)
	if rp, _ = newRegionPlan(md); rp.typeOf([]byte("234")) != phonenumbers.FIXED_LINE_OR_MOBILE || rp.typeOf([]byte("678")) != phonenumbers.UNKNOWN {
		t.Error("same mobile and fixed-line pattern: a fixed line is FIXED_LINE_OR_MOBILE, the mobile desc is not read")
	}
	md.Voicemail = nil
	if _, ok := newRegionPlan(md); ok {
		t.Error("a missing desc compiled (the library would dereference nil)")
	}
}
