package numbering

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/decimal"
	"github.com/nyaruka/phonenumbers"
)

// ZoneSet is the set of candidate IANA time zones of a number, as returned by
// LookupZones. Equal sets have equal IDs, so a caller can precompute per-set data
// (such as calling windows) in a table indexed by ID.
//
// The zero ZoneSet is the unknown set: Known reports false, ID is 0.
// ZoneSet is a small value safe to copy and to use concurrently.
type ZoneSet struct {
	e *zoneSetEntry
}

type zoneSetEntry struct {
	id    int
	zones []string
}

// ID returns a small integer identifying the set within this process: 0 for the
// unknown set, 1, 2, … for the others in the order they were first seen. IDs are
// not stable across processes.
func (z ZoneSet) ID() int {
	if z.e == nil {
		return 0
	}
	return z.e.id
}

// Known reports whether at least one zone is known.
func (z ZoneSet) Known() bool { return z.e != nil }

// Zones returns the zone names, sorted. The slice is shared: do not modify it.
// It is nil for the unknown set.
func (z ZoneSet) Zones() []string {
	if z.e == nil {
		return nil
	}
	return z.e.zones
}

// String returns the zone names joined by ",", or "" for the unknown set.
func (z ZoneSet) String() string { return strings.Join(z.Zones(), ",") }

// Zones returns the candidate IANA time zones of n, sorted, from the
// libphonenumber data (phonenumbers.GetTimezonesForNumber). It returns nil when
// no zone is known (the library's "Etc/Unknown") or n is the zero Number. The
// slice is shared by every caller: do not modify it. Safe for concurrent use;
// see LookupZones for the cost.
func Zones(n dialgate.Number) []string { return LookupZones(n).Zones() }

// LookupZones returns the candidate zones of n as an interned ZoneSet. +86
// numbers are Asia/Shanghai without a lookup. Other numbers are looked up in
// the libphonenumber data by their first tzPrefixLen digits (the longest prefix
// in that data) — or, when their type is not geographic (see
// geographicLibrary), by their country code — and the answer is cached in a
// fixed-size table, so a repeated prefix costs no allocation and no library
// call. A miss costs no library call either: the type is decided from the
// library's metadata compiled once per country code (geographicFast), and
// the zones of each prefix of the data are worked out once
// (prefixZonesAt). Safe for concurrent use.
func LookupZones(n dialgate.Number) ZoneSet {
	if !n.IsValid() {
		return ZoneSet{}
	}
	if n.CountryCode() == 86 {
		return ZoneSet{shanghai}
	}
	if z, ok := frOverseas(n); ok {
		return z
	}
	key, klen := n.Uint64(), n.Len()
	if klen > tzPrefixLen {
		key /= decimal.Pow10[klen-tzPrefixLen]
		klen = tzPrefixLen
	}
	// The slot key holds the prefix and the number's length, so "1212" and
	// "12125" differ, and so do numbers of one prefix whose lengths make them
	// of different types (see lookupZonesUncached).
	skey := key*16 + uint64(n.Len())
	slot := &zoneCache[(skey*0x9E3779B97F4A7C15)>>(64-zoneCacheBits)]
	if c := slot.Load(); c != nil && c.key == skey {
		return c.set
	}
	set := zonesOf(n, key, klen)
	slot.Store(&zoneCacheEntry{key: skey, set: set})
	return set
}

// zonesOf is LookupZones without the cache, for a number neither +86 nor
// of a French overseas range, whose first klen digits (at most
// tzPrefixLen) are key.
func zonesOf(n dialgate.Number, key uint64, klen int) ZoneSet {
	var buf [20]byte
	geo, ok := geographicFast(strconv.AppendUint(buf[:0], n.Uint64(), 10))
	if !ok {
		geo = geographicLibrary(n)
	}
	if geo {
		return geoZones(n, key, klen)
	}
	cc, ccLen := uint64(n.CountryCode()), 1
	for c := cc; c >= 10; c /= 10 {
		ccLen++
	}
	return prefixZonesOf(cc, ccLen).country
}

// geoZones is the zone set of a geographic number n whose first klen (at
// most tzPrefixLen) digits are key: the data's answer for the longest
// prefix of the data the number starts with, with the zones of its split
// area (splitZones) and of the fixes for coarse data (fixZones).
func geoZones(n dialgate.Number, key uint64, klen int) ZoneSet {
	z := prefixZonesOf(key, klen)
	if z.fixSure {
		return z.fixed
	}
	return fixZones(n.Digits()[:klen], z.split)
}

// prefixZones are the zones of the numbers whose longest prefix of the
// time-zone data is one prefix p (see prefixZonesAt).
type prefixZones struct {
	// split is splitZones(p, lookupZonesUncached(p)): what it gives for
	// any number under p, the data's answer and the split area's zones
	// depending on p alone.
	split ZoneSet
	// fixed is fixZones(p, split), valid for every number under p when
	// fixSure: no fix's prefix is longer than p and starts with it, so a
	// number starts with a fix's prefix exactly when p does.
	fixed   ZoneSet
	fixSure bool
	// country is split with the zones of countryZoneFixes for p: the
	// zones of a number of p, a country code, that has no place (a
	// mobile).
	country ZoneSet
}

// countryZoneFixes are zones a number of no place (a mobile: see
// geographicLibrary) of a country code may be in that the data's
// country-wide answer lacks; LookupZones adds them (fail closed). The
// Northern Territory keeps UTC+09:30 all year (Australia/Darwin), which
// the data's +61 answer brackets (Eucla, UTC+08:45; Brisbane, UTC+10:00)
// but does not stand for inside a break of the windows: under fr's
// 13:00–14:00, 13:35 in Darwin on a January weekday is 12:50 in Eucla and
// 14:05 in Brisbane.
//
// Kaliningrad keeps UTC+02:00 all year (Europe/Kaliningrad); the data's +7
// answer has no zone of that offset in summer (its Europe/Bucharest, which
// the data gives Kaliningrad's own lines, is UTC+03:00 then): 07:30 in
// Kaliningrad on a July morning is 08:30 in Bucharest and Moscow. And
// Morocco's data answer is Atlantic/Canary alone (see zoneFixes): a
// Moroccan mobile is in Africa/Casablanca.
var countryZoneFixes = map[string][]string{
	"61":  {"Australia/Darwin"},
	"7":   {"Europe/Kaliningrad"},
	"212": {"Africa/Casablanca"},
}

// unknownPrefix is prefixZones for a number that starts with no prefix of
// the data: the library answers Etc/Unknown.
var unknownPrefix = &prefixZones{fixSure: true}

// tzPrefixIndex maps each prefix of tzPrefixes to its index; most of the
// prefixes a number is looked up by are not in it, and its filter (a bit
// for each hash of a prefix) rules nearly all of those out without a map
// look-up.
type tzPrefixIndex struct {
	index  map[uint32]int32
	filter [1 << tzFilterBits / 64]uint64
}

const tzFilterBits = 19

func tzFilterBit(v uint32) uint32 { return (v * 0x9E3779B1) >> (32 - tzFilterBits) }

var loadTZPrefixIndex = sync.OnceValue(func() *tzPrefixIndex {
	x := &tzPrefixIndex{index: make(map[uint32]int32, len(tzPrefixes))}
	for i, p := range tzPrefixes {
		x.index[p] = int32(i)
		b := tzFilterBit(p)
		x.filter[b/64] |= 1 << (b % 64)
	}
	return x
})

// prefixZoneCache holds prefixZonesAt(i) for the i-th prefix of
// tzPrefixes, built on first use; an entry never changes once stored.
var prefixZoneCache [len(tzPrefixes)]atomic.Pointer[prefixZones]

// prefixZonesOf returns the zones of the numbers whose first l digits are
// v (l ≤ tzPrefixLen): those of the longest prefix of the data they start
// with, as GetTimezonesForPrefix looks it up.
func prefixZonesOf(v uint64, l int) *prefixZones {
	x := loadTZPrefixIndex()
	for ; l > 0; l, v = l-1, v/10 {
		if v > 1<<32-1 {
			continue
		}
		if b := tzFilterBit(uint32(v)); x.filter[b/64]&(1<<(b%64)) == 0 {
			continue
		}
		if i, ok := x.index[uint32(v)]; ok {
			return prefixZonesAt(int(i))
		}
	}
	return unknownPrefix
}

// prefixZonesAt returns the zones of the i-th prefix of tzPrefixes,
// working them out with the library on first use.
func prefixZonesAt(i int) *prefixZones {
	if z := prefixZoneCache[i].Load(); z != nil {
		return z
	}
	p := strconv.FormatUint(uint64(tzPrefixes[i]), 10)
	z := &prefixZones{split: splitZones(p, lookupZonesUncached(p)), fixSure: true}
	for _, f := range zoneFixes {
		if len(f.prefix) > len(p) && strings.HasPrefix(f.prefix, p) {
			z.fixSure = false
		}
	}
	z.fixed = fixZones(p, z.split)
	z.country = z.split
	for _, zone := range countryZoneFixes[p] {
		z.country = withZone(z.country, zone)
	}
	if !prefixZoneCache[i].CompareAndSwap(nil, z) {
		return prefixZoneCache[i].Load()
	}
	return z
}

// frOverseas returns the zone set of a number of an overseas range of the
// French plan (overseasRanges: their national numbers — 0596 12 34 56 is a
// Martinique line — written with +33, as a dialer converting national
// numbers with region FR does): Europe/Paris and the territory's zone.
// libphonenumber reads +33 596 … as a metropolitan line (Europe/Paris only),
// and a window judged in Paris time alone would allow a call at 04:00 in
// Martinique; with both zones the windows must hold in each (fail closed).
func frOverseas(n dialgate.Number) (ZoneSet, bool) {
	if n.CountryCode() != 33 || n.Len() != 11 {
		return ZoneSet{}, false
	}
	i, ok := overseasOf(n.Uint64() % 1e9)
	if !ok {
		return ZoneSet{}, false
	}
	return frOverseasSets[i], true
}

//go:generate go run ./internal/gensplit -o splitareas.go -prefixes tzprefixes.go

// splitZones returns set, the data's answer for the prefix digits, with
// every zone of the split area (splitAreas) the prefix falls in, when its
// answer is that area's default. The data gives an area code one answer and
// lists the exchanges it knows to differ (+1 219: America/New_York, with 91
// exchanges of Indiana's Central-time north-west listed as America/Chicago);
// an exchange it does not list — a new one, one left out, a number block
// assigned since — gets the default, though it may be in any zone the area
// serves. REQUIREMENTS §4 judges such a number in every candidate zone
// (the intersection of their windows), so it is not called at 08:00 in
// Chicago because it is 09:00 in New York. A listed exchange keeps its own
// answer: between the split area and the number, a prefix whose answer
// differs is a longer prefix of the data (the data lists no prefix with its
// parent's answer; if it did, the number would be judged in the whole area
// — fail closed). Only a number under a split area pays for those lookups,
// once per cached prefix.
func splitZones(digits string, set ZoneSet) ZoneSet {
	if !set.Known() {
		return set
	}
	for l := len(digits); l > 0; l-- {
		zones, ok := splitAreas[digits[:l]]
		if !ok {
			continue
		}
		for m := l; m < len(digits); m++ {
			if lookupZonesUncached(digits[:m]) != set {
				return set // a longer prefix of the data matched: a listed exchange
			}
		}
		for _, z := range zones {
			set = withZone(set, z)
		}
		return set
	}
	return set
}

// zoneFixes are the ranges where libphonenumber's time-zone data is coarser
// than the clocks: a geographic number that starts with prefix, and whose
// data zones include when ("" for any), may also be in the zones of add,
// which LookupZones adds to its set, so that the windows must hold in each
// (fail closed).
var zoneFixes = []struct {
	prefix string   // E.164 digits the number starts with
	when   string   // a zone of the data's answer that the fix applies to; "" for any
	add    []string // zones the number may also be in
}{
	// Queensland (+61 7) keeps AEST all year, but the data says
	// Australia/Sydney for most of the range (Cairns 07 4031, much of
	// Brisbane), an hour ahead from October to April; Sydney stays (07 55 is
	// also Tweed Heads, New South Wales).
	{"617", "", []string{"Australia/Brisbane"}},
	// +61 8 is South Australia, Western Australia, the Northern Territory and
	// far-west New South Wales (Broken Hill, on Adelaide's time): none of it
	// keeps Sydney's time, which the data gives a few of its ranges (08 5124
	// to 08 5146).
	{"618", "Australia/Sydney", []string{"Australia/Adelaide", "Australia/Perth"}},
	// The Northern Territory (08 89: Darwin, Alice Springs, Katherine)
	// keeps UTC+09:30 all year (Australia/Darwin); the data gives Adelaide
	// and Perth, which bracket it but do not stand for it: with a break in
	// the windows shorter than their spread (cn's 12:00–14:00 against two
	// and a half hours in summer), 13:10 in Darwin is 14:10 in Adelaide and
	// 11:40 in Perth, both inside.
	{"61889", "", []string{"Australia/Darwin"}},
	// Yukon keeps UTC−07:00 all year since 2020-11-01 (America/Whitehorse);
	// the data still gives its exchanges America/Vancouver, an hour behind
	// from November to March.
	{"1867", "America/Vancouver", []string{"America/Whitehorse"}},
	// An 867 exchange the data does not list gets the area code's answer,
	// America/Fort_Nelson (UTC−07:00), though 867 also serves the Northwest
	// Territories (Mountain time) and Nunavut (Mountain, Central and Eastern
	// time: Pangnirtung's 21:30 is 19:30 in Fort Nelson in winter).
	{"1867", "America/Fort_Nelson", []string{"America/Edmonton", "America/Winnipeg", "America/Toronto"}},
	// Overlay area codes serve the places of the area code they overlay,
	// but the data gives each one zone, its parent's default: every number
	// of an overlay of a split area (splitAreas) may be in any zone of the
	// parent. +1 930 overlays Indiana's 812 (Evansville: Central), +1 364
	// Kentucky's 270 (mostly Central), +1 448 the Florida panhandle's 850
	// (Pensacola: Central), +1 458 Oregon's 541 (Malheur County:
	// Mountain), +1 236, 672, 778 and 257 British Columbia's 250 (East
	// Kootenay: Mountain), +1 581 and 367 Quebec's 418 (the Magdalen
	// Islands: Atlantic), +1 879 Newfoundland and Labrador's 709
	// (Labrador: Atlantic; the data gives 879 Puerto Rico and St. John's
	// only) and +1 986 Idaho's 208 (the south: Mountain).
	{"1930", "", []string{"America/Chicago", "America/New_York"}},
	{"1364", "", []string{"America/Chicago", "America/New_York"}},
	{"1448", "", []string{"America/Chicago", "America/New_York"}},
	{"1458", "", []string{"America/Denver", "America/Los_Angeles"}},
	{"1236", "", []string{"America/Edmonton", "America/Vancouver"}},
	{"1672", "", []string{"America/Edmonton", "America/Vancouver"}},
	{"1778", "", []string{"America/Edmonton", "America/Vancouver"}},
	{"1257", "", []string{"America/Edmonton", "America/Vancouver"}},
	{"1581", "", []string{"America/Halifax", "America/Toronto"}},
	{"1367", "", []string{"America/Halifax", "America/Toronto"}},
	{"1879", "", []string{"America/Halifax", "America/Puerto_Rico", "America/St_Johns"}},
	{"1986", "", []string{"America/Boise", "America/Denver", "America/Los_Angeles"}},
	// Two area codes the data places in a zone their places do not keep:
	// +1 689, Orlando's overlay of 407 (Eastern time), is America/Chicago
	// in the data, an hour behind; +1 474, Saskatchewan's overlay of 306
	// and 639 (Central Standard Time all year, America/Regina), is
	// America/Winnipeg, an hour ahead in summer.
	{"1689", "", []string{"America/New_York"}},
	{"1474", "", []string{"America/Regina"}},
	// Lloydminster keeps Alberta's time on its Saskatchewan side too (the
	// zone database's America/Edmonton: "SK (W)"), but the data gives its
	// Saskatchewan exchange, 306 825, America/Regina, an hour ahead in
	// winter.
	{"1306825", "", []string{"America/Edmonton"}},
	// Exchanges of split areas the data lists in a zone alone that they do
	// not keep. Unalaska (907 581) keeps Alaska time (Hawaii-Aleutian time
	// is west of 169°30′W: 49 CFR 71.12), not Honolulu's, two hours behind
	// in summer. British Columbia's Peace River (Dawson Creek, Fort St.
	// John, Tumbler Ridge, Chetwynd: America/Dawson_Creek; Fort Nelson:
	// America/Fort_Nelson) and Creston (America/Creston) keep Mountain
	// Standard Time all year, not Edmonton's, an hour ahead in summer; so
	// may the 250 exchanges the data places in Edmonton alone without
	// naming a town (261, 263, 341, 719, 784), and they are judged in
	// Dawson Creek's time as well (fail closed). The East Kootenay's
	// exchanges (Cranbrook, Fernie, Golden, Invermere …) keep Edmonton's
	// time and have no fix.
	{"1907581", "", []string{"America/Anchorage"}},
	// Kaliningrad (+7 4012, and the oblast's 401xx) keeps UTC+02:00 all
	// year (Europe/Kaliningrad); the data says Europe/Bucharest, an hour
	// ahead in summer.
	{"7401", "", []string{"Europe/Kaliningrad"}},
	// An Indonesian mobile (+62 8…) may be anywhere in Indonesia, but
	// libphonenumber counts Indonesia's mobiles as geographic (for its
	// fixed-wireless lines) and its prefix data gives them Jakarta (and
	// Makassar, through the split area 628): never Asia/Jayapura (Papua
	// and Maluku, UTC+09:00), where 21:30 is 19:30 in Jakarta.
	{"628", "", []string{"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}},
	// +61 4 is mobile only: a mobile is of no place and gets every zone of
	// the country (countryZoneFixes). But a +61 4 number whose range the
	// library's metadata does not type (04 41 …, 04 53 …: allocated after
	// it, or not yet) is looked up by prefix, and the data's 614 says
	// Australia/Sydney alone: a Perth subscriber would be called at 06:00.
	// It gets the mobile's zones.
	{"614", "", []string{"Australia/Adelaide", "Australia/Brisbane", "Australia/Darwin", "Australia/Eucla",
		"Australia/Lord_Howe", "Australia/Perth", "Australia/Sydney", "Indian/Christmas", "Indian/Cocos"}},
	// Morocco keeps UTC+01:00 outside Ramadan (Africa/Casablanca; Western
	// Sahara's Africa/El_Aaiun alike); the data says Atlantic/Canary for
	// the whole of +212, an hour behind from October to March.
	{"212", "", []string{"Africa/Casablanca"}},
	// Chihuahua state has kept UTC−06:00 since 2022 (America/Chihuahua),
	// its border strip aside (Ciudad Juárez, +52 656: America/Ciudad_Juarez;
	// Ojinaga, +52 626: America/Ojinaga, both right in the data); the data
	// still gives the state's other area codes America/Mazatlan, an hour
	// behind all year, alone (Delicias 639, Nuevo Casas Grandes 636 …) or
	// with Ojinaga, which brackets UTC−06:00 in summer without standing for
	// it. Mazatlán stays: the strip's municipalities under those codes
	// (Janos, Ascensión) keep its offset in winter. The area codes are those
	// the library's geocoding places in Chihuahua.
	{"52614", "", []string{"America/Chihuahua"}},
	{"52621", "", []string{"America/Chihuahua"}},
	{"52625", "", []string{"America/Chihuahua"}},
	{"52627", "", []string{"America/Chihuahua"}},
	{"52628", "", []string{"America/Chihuahua"}},
	{"52629", "", []string{"America/Chihuahua"}},
	{"52635", "", []string{"America/Chihuahua"}},
	{"52636", "", []string{"America/Chihuahua"}},
	{"52639", "", []string{"America/Chihuahua"}},
	{"52648", "", []string{"America/Chihuahua"}},
	{"52649", "", []string{"America/Chihuahua"}},
	{"52652", "", []string{"America/Chihuahua"}},
	{"52657", "", []string{"America/Chihuahua"}},
	{"52659", "", []string{"America/Chihuahua"}},
	{"1250242", "", []string{"America/Dawson_Creek"}},
	{"1250261", "", []string{"America/Dawson_Creek"}},
	{"1250262", "", []string{"America/Dawson_Creek"}},
	{"1250263", "", []string{"America/Dawson_Creek"}},
	{"1250341", "", []string{"America/Dawson_Creek"}},
	{"1250719", "", []string{"America/Dawson_Creek"}},
	{"1250782", "", []string{"America/Dawson_Creek"}},
	{"1250784", "", []string{"America/Dawson_Creek"}},
	{"1250785", "", []string{"America/Dawson_Creek"}},
	{"1250787", "", []string{"America/Dawson_Creek"}},
	{"1250788", "", []string{"America/Dawson_Creek"}},
	{"1250774", "", []string{"America/Fort_Nelson"}},
	{"1250428", "", []string{"America/Creston"}},
}

// fixZones returns set with the zones of every fix in zoneFixes that applies
// to a geographic number whose E.164 digits start with digits.
func fixZones(digits string, set ZoneSet) ZoneSet {
	if !set.Known() {
		return set
	}
	for _, f := range zoneFixes {
		if strings.HasPrefix(digits, f.prefix) && (f.when == "" || slices.Contains(set.Zones(), f.when)) {
			for _, z := range f.add {
				set = withZone(set, z)
			}
		}
	}
	return set
}

// withZone returns set with zone added; the unknown set stays unknown (the
// number may be in a zone whose window cannot be checked).
func withZone(set ZoneSet, zone string) ZoneSet {
	if !set.Known() || slices.Contains(set.Zones(), zone) {
		return set
	}
	return ZoneSet{intern(append(slices.Clone(set.Zones()), zone))}
}

// frOverseasSets holds, by index in overseasRanges, the zone set of each
// range: its zone, with Paris.
var frOverseasSets = func() []ZoneSet {
	sets := make([]ZoneSet, len(overseasRanges))
	for i, r := range overseasRanges {
		sets[i] = ZoneSet{intern([]string{"Europe/Paris", r.zone})}
	}
	return sets
}()

// tzPrefixLen is the longest prefix in the time-zone data of
// github.com/nyaruka/phonenumbers v1.8.1; the library never looks further, so
// numbers that share their first tzPrefixLen digits share their zones.
// TestZonesMatchLibrary guards it.
const tzPrefixLen = 9

const zoneCacheBits = 14

type zoneCacheEntry struct {
	key uint64
	set ZoneSet
}

// zoneCache is a direct-mapped cache of prefix → zone set. A collision simply
// replaces the slot; entries are immutable, so readers need no lock.
var zoneCache [1 << zoneCacheBits]atomic.Pointer[zoneCacheEntry]

var (
	internMu sync.Mutex
	interned = map[string]*zoneSetEntry{}
	nextID   = 1
	shanghai = intern([]string{"Asia/Shanghai"})
)

// geographicLibrary reports whether libphonenumber ties n's type to a place, as
// its PhoneNumberToTimeZonesMapper does before it consults the prefix data:
// a fixed line, a number that may be a fixed line or a mobile (NANP), or a
// mobile in a country whose mobile numbers are geographic (GEO_MOBILE_COUNTRIES).
// Another type — a mobile elsewhere (+61 4…: the data says Australia/Sydney,
// but the callee may be in Perth), toll-free, VoIP, personal — can be
// anywhere in its country, so its candidates are every zone of the country
// code. A number of unknown type keeps the prefix lookup. It asks the
// library (Parse, GetNumberType: ≈ 10 µs); LookupZones asks geographicFast,
// which gives the same answer from the compiled metadata, and this only for
// a number geographicFast leaves to the library.
func geographicLibrary(n dialgate.Number) bool {
	pn, err := phonenumbers.Parse("+"+n.Digits(), "")
	if err != nil {
		return true
	}
	switch phonenumbers.GetNumberType(pn) {
	case phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE, phonenumbers.UNKNOWN:
		return true
	case phonenumbers.MOBILE:
		return phonenumbers.GEO_MOBILE_COUNTRIES[pn.GetCountryCode()]
	}
	return false
}

func lookupZonesUncached(prefix string) ZoneSet {
	// GetTimezonesForNumber formats the number as E.164 and calls
	// GetTimezonesForPrefix; calling the latter with the E.164 digits is the
	// same lookup without building a PhoneNumber.
	tzs, err := phonenumbers.GetTimezonesForPrefix(prefix)
	if err != nil {
		return ZoneSet{}
	}
	var known []string
	for _, z := range tzs {
		if z == "" || z == phonenumbers.UNKNOWN_TIMEZONE {
			// One unknown candidate makes the whole set unknown: the number
			// may be in a zone whose window we cannot check (fail closed).
			return ZoneSet{}
		}
		known = append(known, z)
	}
	if len(known) == 0 {
		return ZoneSet{}
	}
	return ZoneSet{intern(known)}
}

// intern returns the shared entry for the zone list, creating it if needed.
func intern(zones []string) *zoneSetEntry {
	zones = slices.Clone(zones)
	slices.Sort(zones)
	zones = slices.Compact(zones)
	k := strings.Join(zones, ",")
	internMu.Lock()
	defer internMu.Unlock()
	if e, ok := interned[k]; ok {
		return e
	}
	e := &zoneSetEntry{id: nextID, zones: zones}
	nextID++
	interned[k] = e
	return e
}
