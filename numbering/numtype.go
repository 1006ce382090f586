package numbering

import (
	"regexp"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dialgate/dialgate/numbering/internal/digitdfa"
	"github.com/nyaruka/phonenumbers"
)

// This file decides, for LookupZones, what geographicLibrary decides —
// whether libphonenumber ties a number's type to a place — without a
// phonenumbers.Parse and GetNumberType per number. It follows the steps
// the library takes for the input "+" and the E.164 digits with no default
// region (phonenumberutil.go of github.com/nyaruka/phonenumbers v1.8.1:
// parseHelper, maybeExtractCountryCode, maybeStripNationalPrefixAndCarrierCode,
// testNumberLength, GetNumberType, getRegionCodeForNumberFromRegionList,
// getNumberTypeHelper), on the library's own metadata, with each number
// pattern compiled once into a DFA over the digits (internal/digitdfa: the
// same answer as the library's regexp on a digit string). Steps that are
// moot for such an input (RFC 3966 contexts, extensions, letters, an IDD)
// are left out. A country calling code whose metadata it cannot compile
// exactly, and a number whose national number would not be digits, are
// left to the library (ok false). TestParseFastMatchesLibrary,
// TestLookupZonesMatchesLibraryPath and FuzzLookupZonesMatchesLibraryPath
// compare the two on numbers of every country code.

// Bounds of the library's parser (MIN_LENGTH_FOR_NSN, MAX_LENGTH_FOR_NSN,
// MAX_LENGTH_COUNTRY_CODE).
const (
	minLenNSN = 2
	maxLenNSN = 17
	maxLenCC  = 3
)

// maxDFAStates bounds one pattern's automaton; the library's largest needs
// far fewer. A pattern over it is matched with package regexp.
const maxDFAStates = 1 << 14

// matcher matches one pattern of the metadata against a digit string: with
// its DFA, or package regexp when the pattern has no exact DFA.
type matcher struct {
	dfa         *digitdfa.DFA
	full, start *regexp.Regexp // "^(?:p)$" and "^(?:p)", when dfa is nil
}

func newMatcher(pattern string) (matcher, bool) {
	if d, err := digitdfa.Compile(pattern, maxDFAStates); err == nil {
		return matcher{dfa: d}, true
	}
	full, err1 := regexp.Compile("^(?:" + pattern + ")$")
	start, err2 := regexp.Compile("^(?:" + pattern + ")")
	if err1 != nil || err2 != nil {
		return matcher{}, false // the library would panic (regexp.MustCompile)
	}
	return matcher{full: full, start: start}, true
}

// match reports whether the whole of s matches.
func (m *matcher) match(s []byte) bool {
	if m.dfa != nil {
		return m.dfa.Match(s)
	}
	return m.full.Match(slices.Clone(s)) // the clone keeps the caller's buffer on its stack
}

// matchStart reports whether some prefix of s matches.
func (m *matcher) matchStart(s []byte) bool {
	if m.dfa != nil {
		return m.dfa.MatchPrefix(s)
	}
	return m.start.Match(slices.Clone(s))
}

// descPlan is a PhoneNumberDesc: its possible lengths and its pattern
// (isNumberMatchingDesc).
type descPlan struct {
	lengths []int32
	pattern matcher
}

func newDescPlan(d *phonenumbers.PhoneNumberDesc) (descPlan, bool) {
	if d == nil {
		return descPlan{}, false // the library would dereference nil
	}
	m, ok := newMatcher(d.GetNationalNumberPattern())
	return descPlan{lengths: d.PossibleLength, pattern: m}, ok
}

func (d *descPlan) matches(nsn []byte) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.pattern.match(nsn)
}

// The descs of getNumberTypeHelper, in its order.
const (
	descGeneral = iota
	descPremium
	descTollFree
	descSharedCost
	descVoip
	descPersonal
	descPager
	descUAN
	descVoicemail
	descFixedLine
	descMobile
	numDescs
)

// regionPlan is the part of a region's metadata the type decision reads.
type regionPlan struct {
	descs           [numDescs]descPlan
	sameMobileFixed bool
	leading         *matcher // leading digits; nil when the region has none
	// national prefix for parsing: nil when the region has none.
	npp           *matcher
	nppRe         *regexp.Regexp // "^(?:npp)", for its groups and the transform rule
	transformRule string
	// general desc's possible lengths (testNumberLength with UNKNOWN).
	lengths, localLengths []int32
}

func newRegionPlan(md *phonenumbers.PhoneMetadata) (*regionPlan, bool) {
	if md == nil {
		return nil, true
	}
	p := &regionPlan{sameMobileFixed: md.GetSameMobileAndFixedLinePattern(), transformRule: md.GetNationalPrefixTransformRule()}
	for i, d := range []*phonenumbers.PhoneNumberDesc{md.GeneralDesc, md.PremiumRate, md.TollFree, md.SharedCost, md.Voip, md.PersonalNumber, md.Pager, md.Uan, md.Voicemail, md.FixedLine, md.Mobile} {
		var ok bool
		if p.descs[i], ok = newDescPlan(d); !ok {
			return nil, false
		}
	}
	p.lengths, p.localLengths = md.GeneralDesc.PossibleLength, md.GeneralDesc.PossibleLengthLocalOnly
	if len(p.lengths) == 0 {
		return nil, false // the library would index an empty slice
	}
	if ld := md.GetLeadingDigits(); ld != "" {
		m, ok := newMatcher(ld)
		if !ok {
			return nil, false
		}
		p.leading = &m
	}
	if npp := md.GetNationalPrefixForParsing(); npp != "" {
		m, ok := newMatcher(npp)
		re, err := regexp.Compile("^(?:" + npp + ")")
		if !ok || err != nil {
			return nil, false
		}
		p.npp, p.nppRe = &m, re
	}
	return p, true
}

// typeOf is getNumberTypeHelper.
func (p *regionPlan) typeOf(nsn []byte) phonenumbers.PhoneNumberType {
	d := &p.descs
	if !d[descGeneral].matches(nsn) {
		return phonenumbers.UNKNOWN
	}
	for i, t := range [...]phonenumbers.PhoneNumberType{
		descPremium:    phonenumbers.PREMIUM_RATE,
		descTollFree:   phonenumbers.TOLL_FREE,
		descSharedCost: phonenumbers.SHARED_COST,
		descVoip:       phonenumbers.VOIP,
		descPersonal:   phonenumbers.PERSONAL_NUMBER,
		descPager:      phonenumbers.PAGER,
		descUAN:        phonenumbers.UAN,
		descVoicemail:  phonenumbers.VOICEMAIL,
	} {
		if i != descGeneral && d[i].matches(nsn) {
			return t
		}
	}
	if d[descFixedLine].matches(nsn) {
		if p.sameMobileFixed || d[descMobile].matches(nsn) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !p.sameMobileFixed && d[descMobile].matches(nsn) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

// possibleLength reports whether testNumberLength(nsn, metadata, UNKNOWN)
// is a result parseHelper keeps a stripped national number for: not
// TOO_SHORT, IS_POSSIBLE_LOCAL_ONLY or INVALID_LENGTH.
func (p *regionPlan) possibleLength(n int) bool {
	pl := p.lengths
	if pl[0] == -1 {
		return false // INVALID_LENGTH
	}
	if slices.Contains(p.localLengths, int32(n)) {
		return false // IS_POSSIBLE_LOCAL_ONLY
	}
	switch {
	case pl[0] == int32(n):
		return true // IS_POSSIBLE
	case pl[0] > int32(n):
		return false // TOO_SHORT
	case pl[len(pl)-1] < int32(n):
		return true // TOO_LONG
	}
	return slices.Contains(pl[1:], int32(n))
}

// stripNationalPrefix is maybeStripNationalPrefixAndCarrierCode: the
// national number with the national prefix removed (or transformed), or
// nsn itself. ok is false when the result would not be digits.
func (p *regionPlan) stripNationalPrefix(nsn []byte) (out []byte, ok bool) {
	if len(nsn) == 0 || p.npp == nil || !p.npp.matchStart(nsn) {
		return nsn, true
	}
	s := string(nsn)
	general := &p.descs[descGeneral].pattern
	viable := general.match(nsn)
	groups := p.nppRe.FindStringSubmatchIndex(s)
	if groups == nil {
		return nsn, false // the quick check and regexp disagree: leave it to the library
	}
	last := len(groups)/2 - 1
	if p.transformRule == "" || groups[last*2] < 0 {
		rest := nsn[groups[1]:]
		if viable && !general.match(rest) {
			return nsn, true
		}
		return rest, true
	}
	t := []byte(p.nppRe.ReplaceAllString(s, p.transformRule))
	for _, c := range t {
		if c < '0' || c > '9' {
			return nsn, false
		}
	}
	if viable && !general.match(t) {
		return nsn, true
	}
	return t, true
}

// ccPlan is what the type decision needs of one country calling code.
type ccPlan struct {
	cc int32
	// parse is the metadata parseHelper strips the national prefix with:
	// the code's main region's, or its non-geographic entity's.
	parse *regionPlan
	// regions are the code's regions, in the library's order, each with
	// its metadata (getMetadataForRegion: nil for an unsupported one);
	// final is the metadata getMetadataForRegionOrCallingCode gives for
	// each (the non-geographic entity's for "001").
	regions, final []*regionPlan
	// ok is false when some metadata could not be compiled exactly: the
	// library decides.
	ok bool
}

// metadataIndex is the library's metadata by region and by non-geographic
// calling code, as its metadataContainer indexes it.
type metadataIndex struct {
	regions map[string]*phonenumbers.PhoneMetadata
	nonGeo  map[int]*phonenumbers.PhoneMetadata
}

var loadMetadataIndex = sync.OnceValue(func() *metadataIndex {
	idx := &metadataIndex{regions: map[string]*phonenumbers.PhoneMetadata{}, nonGeo: map[int]*phonenumbers.PhoneMetadata{}}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return idx // every plan is then not ok: the library decides
	}
	for _, md := range coll.GetMetadata() {
		if md.GetId() == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
			idx.nonGeo[int(md.GetCountryCode())] = md
		} else {
			idx.regions[md.GetId()] = md
		}
	}
	return idx
})

// region is getMetadataForRegion.
func (idx *metadataIndex) region(code string) *phonenumbers.PhoneMetadata {
	if code == "" || !phonenumbers.GetSupportedRegions()[code] {
		return nil
	}
	return idx.regions[code]
}

// regionOrCallingCode is getMetadataForRegionOrCallingCode.
func (idx *metadataIndex) regionOrCallingCode(cc int, code string) *phonenumbers.PhoneMetadata {
	if code == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		if !phonenumbers.GetSupportedCallingCodes()[cc] {
			return nil
		}
		return idx.nonGeo[cc]
	}
	return idx.region(code)
}

func newCCPlan(cc int) *ccPlan {
	idx := loadMetadataIndex()
	p := &ccPlan{cc: int32(cc), ok: true}
	plans := map[*phonenumbers.PhoneMetadata]*regionPlan{}
	plan := func(md *phonenumbers.PhoneMetadata) *regionPlan {
		if rp, ok := plans[md]; ok {
			return rp
		}
		rp, ok := newRegionPlan(md)
		if !ok {
			p.ok = false
		}
		plans[md] = rp
		return rp
	}
	codes := phonenumbers.GetRegionCodesForCountryCode(cc)
	main := phonenumbers.UNKNOWN_REGION
	if len(codes) > 0 {
		main = codes[0]
	}
	p.parse = plan(idx.regionOrCallingCode(cc, main))
	for _, code := range codes {
		md := idx.region(code)
		if md == nil && len(codes) > 1 {
			p.ok = false // the library would dereference nil
		}
		p.regions = append(p.regions, plan(md))
		p.final = append(p.final, plan(idx.regionOrCallingCode(cc, code)))
	}
	return p
}

// ccPlans holds the plan of each calling code the library knows, built on
// first use; a plan never changes once stored.
var ccPlans [1000]atomic.Pointer[ccPlan]

func planFor(cc int) *ccPlan {
	if p := ccPlans[cc].Load(); p != nil {
		return p
	}
	p := newCCPlan(cc)
	if !ccPlans[cc].CompareAndSwap(nil, p) {
		return ccPlans[cc].Load()
	}
	return p
}

// geographicFast is geographicLibrary for the E.164 digits e164 (no "+"),
// decided from the compiled metadata; ok is false when it leaves the
// number to the library.
func geographicFast(e164 []byte) (geo, ok bool) {
	p, nsn, parsed, ok := parseFast(e164)
	if !ok {
		return false, false
	}
	if !parsed {
		return true, true // geographicLibrary answers true to a parse error
	}
	switch p.typeOf(nsn) {
	case phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE, phonenumbers.UNKNOWN:
		return true, true
	case phonenumbers.MOBILE:
		return phonenumbers.GEO_MOBILE_COUNTRIES[p.cc], true
	}
	return false, true
}

// parseFast is phonenumbers.Parse("+" + e164, ""): the plan of the calling
// code it finds, and the national significant number
// (GetNationalSignificantNumber: the parsed number's leading zeros, then
// the rest as an integer — the same digits). parsed is false when Parse
// would fail; ok is false when parseFast leaves the number to the library.
func parseFast(e164 []byte) (p *ccPlan, nsn []byte, parsed, ok bool) {
	// maybeExtractCountryCode: the number has a "+", so a calling code
	// must start it (no code: ErrInvalidCountryCode; too short:
	// ErrTooShortAfterIDD).
	if len(e164) <= minLenNSN || e164[0] == '0' {
		return nil, nil, false, true
	}
	cc, ccLen := 0, 0
	codes := callingCodes()
	for i := 1; i <= maxLenCC && i <= len(e164); i++ {
		c := e164[i-1] - '0'
		if c > 9 {
			return nil, nil, false, false
		}
		cc = cc*10 + int(c)
		if codes[cc] {
			ccLen = i
			break
		}
	}
	if ccLen == 0 {
		return nil, nil, false, true
	}
	p = planFor(cc)
	if !p.ok {
		return nil, nil, false, false
	}
	nsn = e164[ccLen:]
	if len(nsn) < minLenNSN {
		return nil, nil, false, true // ErrTooShortNSN
	}
	if p.parse != nil {
		stripped, ok := p.parse.stripNationalPrefix(nsn)
		if !ok {
			return nil, nil, false, false
		}
		if p.parse.possibleLength(len(stripped)) {
			nsn = stripped
		}
	}
	if len(nsn) < minLenNSN || len(nsn) > maxLenNSN {
		return nil, nil, false, true // ErrTooShortNSN, ErrNumTooLong
	}
	return p, nsn, true, true
}

// typeOf is GetNumberType of a number of p's calling code whose national
// significant number is nsn: its region (GetRegionCodeForNumber), that
// region's metadata, the type.
func (p *ccPlan) typeOf(nsn []byte) phonenumbers.PhoneNumberType {
	var md *regionPlan
	switch len(p.regions) {
	case 0:
	case 1:
		md = p.final[0]
	default:
		for i, rp := range p.regions {
			if rp.leading != nil {
				if rp.leading.matchStart(nsn) {
					md = p.final[i]
					break
				}
			} else if t := rp.typeOf(nsn); t != phonenumbers.UNKNOWN {
				if p.final[i] == rp {
					return t // the same metadata: the same type (a NANP number of the US)
				}
				md = p.final[i]
				break
			}
		}
	}
	if md == nil {
		return phonenumbers.UNKNOWN
	}
	return md.typeOf(nsn)
}

// callingCodes holds the calling codes the library knows (the keys of its
// country code → regions map).
var callingCodes = sync.OnceValue(func() *[1000]bool {
	var a [1000]bool
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc > 0 && cc < len(a) {
			a[cc] = true
		}
	}
	return &a
})
