package numbering

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/nyaruka/phonenumbers"
)

func TestZones(t *testing.T) {
	tests := []struct {
		number string
		want   []string
	}{
		{"+8613800138000", []string{"Asia/Shanghai"}},
		{"+861058001234", []string{"Asia/Shanghai"}},
		{"+12125550100", []string{"America/New_York"}},
		{"+13105550100", []string{"America/Los_Angeles"}},
		// NANP area codes that cross zones: an exchange the data does not
		// list may be in any zone its area serves (splitZones).
		{"+16055550100", []string{"America/Chicago", "America/Denver", "America/North_Dakota/Center"}}, // South Dakota
		{"+12085550100", []string{"America/Boise", "America/Denver", "America/Los_Angeles"}},           // Idaho
		{"+442071234567", []string{"Europe/London"}},
		{"+33140000000", []string{"Europe/Paris"}},
		// +61 2 is New South Wales and Lord Howe Island (UTC+10:30, 30
		// minutes ahead of Sydney in winter); the data lists Lord Howe's
		// blocks, and any other block may be one.
		{"+61290000000", []string{"Australia/Lord_Howe", "Australia/Sydney"}},
		// Queensland keeps standard time all year. libphonenumber's prefix
		// data says Australia/Sydney for most of +61 7 (here the fictional
		// ranges 07 5550 and 07 7010), which is an hour ahead of Queensland
		// from October to April; Brisbane joins every +61 7 line's set
		// (Tweed Heads, NSW, shares 07 55: Sydney stays).
		{"+61755500180", []string{"Australia/Brisbane", "Australia/Sydney"}},
		{"+61770100180", []string{"Australia/Brisbane", "Australia/Sydney"}},
		// An 867 exchange the data does not list (here 555) gets the area
		// code's America/Fort_Nelson; 867 also serves Yukon (listed as
		// America/Vancouver, kept, with America/Whitehorse: see zoneFixes),
		// the Northwest Territories and Nunavut (Mountain, Central, Eastern
		// time).
		{"+18675550100", []string{"America/Edmonton", "America/Fort_Nelson", "America/Toronto", "America/Vancouver", "America/Whitehorse", "America/Winnipeg"}},
		// Mobiles outside the countries whose mobiles are geographic, and
		// non-geographic types, may be anywhere in the country: every zone of
		// its country code, as libphonenumber's time-zone mapper answers (its
		// prefix data alone says Australia/Sydney for +61 4…).
		{"+61412345678", []string{"Australia/Adelaide", "Australia/Brisbane", "Australia/Darwin", "Australia/Eucla", "Australia/Lord_Howe", "Australia/Perth", "Australia/Sydney", "Indian/Christmas", "Indian/Cocos"}},
		{"+447912345678", []string{"Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"}},
		{"+8821234567", nil}, // international networks: no zone
	}
	for _, tt := range tests {
		n := dialgate.MustParseNumber(tt.number)
		got := Zones(n)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Zones(%s) = %v, want %v", tt.number, got, tt.want)
		}
		set := LookupZones(n)
		if set.Known() != (tt.want != nil) {
			t.Errorf("LookupZones(%s).Known() = %v", tt.number, set.Known())
		}
		if again := LookupZones(n); again != set || again.ID() != set.ID() {
			t.Errorf("LookupZones(%s) not interned: %v vs %v", tt.number, again, set)
		}
	}
	if Zones(dialgate.Number{}) != nil || LookupZones(dialgate.Number{}).ID() != 0 {
		t.Error("zero Number has zones")
	}
}

func TestZoneSetIDsShared(t *testing.T) {
	a := LookupZones(dialgate.MustParseNumber("+12125550100"))
	b := LookupZones(dialgate.MustParseNumber("+17185550100")) // also New York
	if a.ID() != b.ID() || a.ID() == 0 {
		t.Fatalf("equal zone sets have ids %d and %d", a.ID(), b.ID())
	}
	if a.String() != "America/New_York" {
		t.Fatalf("String() = %q", a.String())
	}
}

// TestZonesMatchLibrary checks the cache and the prefix truncation against the
// library's time-zone mapper on full numbers, and that every zone the library names loads.
func TestZonesMatchLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	prefixes := []uint64{1, 7, 33, 44, 49, 61, 81, 91, 55, 353, 852, 886, 612, 617, 618, 1212, 1605, 1208, 1867, 1219, 1423, 1850, 558}
	// Each number costs two libphonenumber parses (≈ 1.5 ms under -race):
	// 6000 keep the package's test under 15 s with the race detector.
	count := 6000
	if testing.Short() {
		count = 1000
	}
	for i := 0; i < count; i++ {
		p := prefixes[r.IntN(len(prefixes))]
		v := p
		for v < 1e10 {
			v = v*10 + uint64(r.IntN(10))
		}
		n, err := dialgate.NumberFromUint64(v)
		if err != nil {
			continue
		}
		// libphonenumber's PhoneNumberToTimeZonesMapper: a number whose type
		// is not geographic gets the zones of its country code.
		prefix := n.Digits()
		if pn, err := phonenumbers.Parse("+"+prefix, ""); err == nil {
			switch typ := phonenumbers.GetNumberType(pn); {
			case typ == phonenumbers.FIXED_LINE, typ == phonenumbers.FIXED_LINE_OR_MOBILE, typ == phonenumbers.UNKNOWN:
			case typ == phonenumbers.MOBILE && phonenumbers.GEO_MOBILE_COUNTRIES[pn.GetCountryCode()]:
			default:
				prefix = strconv.Itoa(int(pn.GetCountryCode()))
			}
		}
		lib, err := phonenumbers.GetTimezonesForPrefix(prefix)
		if err != nil {
			t.Fatal(err)
		}
		lib = slices.DeleteFunc(slices.Clone(lib), func(z string) bool { return z == phonenumbers.UNKNOWN_TIMEZONE })
		slices.Sort(lib)
		if n.CountryCode() == 86 {
			lib = []string{"Asia/Shanghai"}
		}
		if z, ok := frOverseas(n); ok {
			lib = z.Zones() // the overseas ranges of the French plan (see frOverseas)
		}
		if len(lib) > 0 && n.CountryCode() != 86 {
			if _, ok := frOverseas(n); !ok {
				// an exchange of a split area the data does not list (see
				// splitZones; TestSplitZonesMatchData checks it against the
				// data's own prefixes)
				lib = splitZones(prefix[:min(len(prefix), tzPrefixLen)], ZoneSet{intern(lib)}).Zones()
			}
		}
		if prefix != strconv.Itoa(n.CountryCode()) && len(lib) > 0 {
			lib = fixZones(prefix, ZoneSet{intern(lib)}).Zones() // coarse data (see zoneFixes)
		} else if len(lib) > 0 {
			set := ZoneSet{intern(lib)}
			for _, z := range countryZoneFixes[prefix] {
				set = withZone(set, z) // no place: every zone of the country (see countryZoneFixes)
			}
			lib = set.Zones()
		}
		if len(lib) == 0 {
			lib = nil
		}
		if got := Zones(n); !slices.Equal(got, lib) {
			t.Fatalf("Zones(%v) = %v, library says %v", n, got, lib)
		}
		for _, z := range lib {
			if _, err := time.LoadLocation(z); err != nil {
				t.Logf("zone %q of %v does not load: %v", z, n, err)
			}
		}
	}
}

func TestZonesConcurrent(t *testing.T) {
	nums := []dialgate.Number{
		dialgate.MustParseNumber("+12125550100"),
		dialgate.MustParseNumber("+16055550100"),
		dialgate.MustParseNumber("+442071234567"),
		dialgate.MustParseNumber("+8613800138000"),
	}
	want := make([][]string, len(nums))
	for i, n := range nums {
		want[i] = Zones(n)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				k := (i + g) % len(nums)
				if got := Zones(nums[k]); !slices.Equal(got, want[k]) {
					t.Errorf("Zones(%v) = %v, want %v", nums[k], got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestLookupZonesNoAllocOnHit(t *testing.T) {
	n := dialgate.MustParseNumber("+12125550100")
	LookupZones(n)
	if a := testing.AllocsPerRun(100, func() { LookupZones(n) }); a != 0 {
		t.Fatalf("LookupZones allocates %v times on a cache hit", a)
	}
}

func BenchmarkLookupZones(b *testing.B) {
	nums := []dialgate.Number{
		dialgate.MustParseNumber("+12125550100"),
		dialgate.MustParseNumber("+16055550100"),
		dialgate.MustParseNumber("+442071234567"),
		dialgate.MustParseNumber("+8613800138000"),
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkSet = LookupZones(nums[i&3])
	}
}

var sinkSet ZoneSet

// FuzzLookupZones checks that any Number gets a zone set without panicking:
// interned (the same set twice), sorted, known exactly when it names a zone,
// Asia/Shanghai for +86, and the libphonenumber answer for the number's
// prefix (see TestZonesMatchLibrary).
func FuzzLookupZones(f *testing.F) {
	for _, v := range []uint64{8613800138000, 12125550100, 16055550100, 442071234567, 61412345678, 8821234567, 80012345678, 79991234567, 999, 1} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		n, err := dialgate.NumberFromUint64(v)
		if err != nil {
			return
		}
		set := LookupZones(n)
		zs := set.Zones()
		if set.Known() != (len(zs) > 0) || (set.ID() == 0) != !set.Known() {
			t.Fatalf("%v: Known %v, ID %d, zones %v", n, set.Known(), set.ID(), zs)
		}
		if !slices.IsSorted(zs) || len(slices.Compact(slices.Clone(zs))) != len(zs) {
			t.Fatalf("%v: zones %v not sorted and distinct", n, zs)
		}
		if again := LookupZones(n); again != set {
			t.Fatalf("%v: %v then %v", n, set, again)
		}
		if n.CountryCode() == 86 && set.String() != "Asia/Shanghai" {
			t.Fatalf("%v: %v, want Asia/Shanghai", n, set)
		}
	})
}

// A French national number of an overseas range written with +33 (as a
// dialer converting "0596 12 34 56" with region FR writes it) is judged in
// Paris time and in the department's; libphonenumber says Paris only, and a
// window read in Paris alone allowed a call at night in Martinique.
func TestZonesFrenchOverseasRanges(t *testing.T) {
	for num, want := range map[string]string{
		"+33596000180": "America/Martinique,Europe/Paris",
		"+33696000181": "America/Martinique,Europe/Paris",
		"+33590000182": "America/Guadeloupe,Europe/Paris",
		"+33690000183": "America/Guadeloupe,Europe/Paris",
		"+33594000184": "America/Cayenne,Europe/Paris",
		"+33262000185": "Europe/Paris,Indian/Reunion",
		"+33692000186": "Europe/Paris,Indian/Reunion",
		"+33269000187": "Europe/Paris,Indian/Mayotte",
		"+33639000188": "Europe/Paris,Indian/Mayotte",
		"+33598700190": "America/Guadeloupe,Europe/Paris",
		"+33598800191": "America/Cayenne,Europe/Paris",
		"+33598900192": "America/Martinique,Europe/Paris",
		"+33268800193": "Europe/Paris,Indian/Reunion",
		"+33268900194": "Europe/Paris,Indian/Mayotte",
		"+33709000195": "America/Guadeloupe,Europe/Paris",
		"+33709100196": "America/Martinique,Europe/Paris",
		"+33709200197": "Europe/Paris,Indian/Reunion",
		"+33709300198": "America/Cayenne,Europe/Paris",
		"+33709350199": "Europe/Paris,Indian/Mayotte",
		"+33140000189": "Europe/Paris",
		"+33512000190": "Europe/Paris",
	} {
		if got := LookupZones(dialgate.MustParseNumber(num)).String(); got != want {
			t.Errorf("zones of %s = %s, want %s", num, got, want)
		}
	}
}

// TestZoneFixes checks each correction of coarse time-zone data against the
// data itself, by the prefixes of the exchanges it is about (no whole
// numbers): the data's answer, and the set LookupZones gives.
func TestZoneFixes(t *testing.T) {
	for _, tt := range []struct {
		prefix   string
		lib, got []string
	}{
		// Cairns (07 4031): Sydney in the data.
		{"6174031", []string{"Australia/Sydney"}, []string{"Australia/Brisbane", "Australia/Sydney"}},
		// Brisbane city (07 3221): already Brisbane.
		{"6173221", []string{"Australia/Brisbane"}, []string{"Australia/Brisbane"}},
		// 08 5124: Sydney in the data, but 08 keeps Adelaide's or Perth's time.
		{"6185124", []string{"Australia/Sydney"}, []string{"Australia/Adelaide", "Australia/Perth", "Australia/Sydney"}},
		// The Northern Territory (08 89xx: Darwin, Alice Springs): Adelaide
		// and Perth in the data, which bracket Darwin's UTC+09:30 but do
		// not stand for it when the windows have a break.
		{"6188900", []string{"Australia/Adelaide", "Australia/Perth"}, []string{"Australia/Adelaide", "Australia/Darwin", "Australia/Perth"}},
		{"6188950", []string{"Australia/Adelaide", "Australia/Perth"}, []string{"Australia/Adelaide", "Australia/Darwin", "Australia/Perth"}},
		// Sydney (02 9xxx), Melbourne (03 9xxx): no fix.
		{"6129000", []string{"Australia/Sydney"}, []string{"Australia/Sydney"}},
		{"6139000", []string{"Australia/Sydney"}, []string{"Australia/Sydney"}},
		// Whitehorse, Yukon (867-667): Vancouver in the data.
		{"1867667", []string{"America/Vancouver"}, []string{"America/Vancouver", "America/Whitehorse"}},
		// Yellowknife (867-873) and Iqaluit (867-979) are listed: no fix.
		{"1867873", []string{"America/Edmonton"}, []string{"America/Edmonton"}},
		{"1867979", []string{"America/Toronto"}, []string{"America/Toronto"}},
		// Pangnirtung, Nunavut (867-473, Eastern time) is not listed.
		{"1867473", []string{"America/Fort_Nelson"}, []string{"America/Edmonton", "America/Fort_Nelson", "America/Toronto", "America/Winnipeg"}},
		// Vancouver (604): no fix.
		{"1604555", []string{"America/Vancouver"}, []string{"America/Vancouver"}},
	} {
		lib, err := phonenumbers.GetTimezonesForPrefix(tt.prefix)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(lib, tt.lib) {
			t.Errorf("the data gives %s %v, the test expects %v: review zoneFixes", tt.prefix, lib, tt.lib)
			continue
		}
		if got := fixZones(tt.prefix, lookupZonesUncached(tt.prefix)).Zones(); !slices.Equal(got, tt.got) {
			t.Errorf("%s: %v, want %v", tt.prefix, got, tt.got)
		}
	}
}

// BenchmarkLookupZonesMiss looks up numbers of 2²⁰ distinct 9-digit
// prefixes, most of them not in the cache: the cost of a cache miss, a third
// of them in split areas (+1 219, +1 423, +61 2), which pay for a few more
// lookups in the data.
func BenchmarkLookupZonesMiss(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	heads := []uint64{1219, 1423, 612, 1212, 1310, 1415}
	nums := make([]dialgate.Number, 1<<20)
	for i := range nums {
		v := heads[r.IntN(len(heads))]
		for v < 1e10 {
			v = v*10 + uint64(r.IntN(10))
		}
		n, err := dialgate.NumberFromUint64(v)
		if err != nil {
			b.Fatal(err)
		}
		nums[i] = n
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkSet = LookupZones(nums[i&(1<<20-1)])
	}
}

// TestZonesOverlaysOfSplitAreas: an overlay area code serves the same
// places as the area code it overlays (+1 364 is western Kentucky's 270,
// mostly Central time), but the data gives it a single zone (364: New
// York). A number of an overlay is judged in every zone of its parent's
// split area, or a call at 08:00 Eastern reaches Paducah at 07:00.
func TestZonesOverlaysOfSplitAreas(t *testing.T) {
	for _, tt := range []struct{ overlay, parent string }{
		{"+1930", "1812"},                                       // Indiana: Evansville is Central
		{"+1364", "1270"},                                       // Kentucky: Paducah, Bowling Green are Central
		{"+1448", "1850"},                                       // Florida panhandle: Pensacola is Central
		{"+1458", "1541"},                                       // Oregon: Malheur County is Mountain
		{"+1236", "1250"}, {"+1672", "1250"}, {"+1778", "1250"}, // British Columbia: East Kootenay is Mountain
		{"+1257", "1250"},                    // British Columbia, since 2025
		{"+1581", "1418"}, {"+1367", "1418"}, // Quebec: the Magdalen Islands are Atlantic
		{"+1879", "1709"},  // Newfoundland and Labrador: Labrador is Atlantic
		{"+1986", "12082"}, // Idaho: the panhandle is Pacific, the south Mountain
	} {
		n := dialgate.MustParseNumber(tt.overlay + "5550123")
		got := LookupZones(n).Zones()
		for _, z := range splitAreas[tt.parent] {
			if !slices.Contains(got, z) {
				t.Errorf("zones of %s… (overlay of +%s) = %v: missing %s", tt.overlay, tt.parent, got, z)
			}
		}
	}
}

// TestZonesAreaCodesTheDataMisplaces: the data gives two area codes and an
// exchange a zone their places do not keep: +1 689 (Orlando's overlay of
// 407, Eastern time) America/Chicago, an hour behind; +1 474
// (Saskatchewan's overlay of 306 and 639, Central Standard Time all year)
// America/Winnipeg, an hour ahead in summer; and +1 306 825 (Lloydminster,
// Saskatchewan, which keeps Alberta's time: the zone database's
// America/Edmonton, "SK (W)") America/Regina, an hour ahead in winter.
// Judged in those zones alone, Orlando is called at 21:30, Regina and
// Lloydminster at 07:30. So are a few exchanges of split areas the data
// lists in a zone alone that they do not keep.
func TestZonesAreaCodesTheDataMisplaces(t *testing.T) {
	for num, zone := range map[string]string{
		// An Australian mobile, of no place: every zone of the country,
		// Darwin's too, which the data's country-wide answer lacks.
		"+61412345678": "Australia/Darwin",
		"+16895550123": "America/New_York",
		"+14745550123": "America/Regina",
		"+13068251234": "America/Edmonton",
		// Unalaska (907 581) keeps Alaska time; the data says Honolulu,
		// two hours behind in summer.
		"+19075811234": "America/Anchorage",
		// The Peace River and Creston keep Mountain Standard Time all
		// year; the data says Edmonton, an hour ahead in summer.
		"+12507821234": "America/Dawson_Creek", // Dawson Creek
		"+12507851234": "America/Dawson_Creek", // Fort St. John
		"+12502421234": "America/Dawson_Creek", // Tumbler Ridge
		"+12507881234": "America/Dawson_Creek", // Chetwynd
		"+12507741234": "America/Fort_Nelson",  // Fort Nelson
		"+12504281234": "America/Creston",      // Creston
		// Cranbrook keeps Edmonton's time: no fix.
		"+12504261234": "America/Edmonton",
		// Kaliningrad (+7 4012, the oblast's 401xx) keeps UTC+02:00 all
		// year; the data says Europe/Bucharest, an hour ahead in summer.
		// A Russian mobile may be there too: the data's +7 answer has no
		// zone of UTC+02:00 in summer.
		"+74012123456": "Europe/Kaliningrad",
		"+74015312345": "Europe/Kaliningrad",
		"+79161234567": "Europe/Kaliningrad",
		// An Indonesian mobile (+62 8…) is of no place, but Indonesia is
		// one of libphonenumber's countries with geographic mobiles (for
		// its fixed-wireless lines), so the data's prefix answer counts:
		// Jakarta and Makassar, never Jayapura (Papua and Maluku,
		// UTC+09:00), two hours ahead of Jakarta.
		"+6281234567890": "Asia/Jayapura",
		"+628111234567":  "Asia/Jayapura",
		"+6285212345678": "Asia/Makassar",
		// Morocco (+212) keeps UTC+01:00 outside Ramadan
		// (Africa/Casablanca); the data says Atlantic/Canary for the whole
		// country code, an hour behind from October to March.
		"+212522123456": "Africa/Casablanca",
		"+212612345678": "Africa/Casablanca",
		// Chihuahua city (+52 614) has kept UTC−06:00 since 2022
		// (America/Chihuahua); the data says America/Mazatlan, an hour
		// behind all year.
		"+526141234567": "America/Chihuahua",
		// +61 4 is mobile only, but a range the library's metadata does
		// not type (04 41 …: allocated after it, or not yet) is looked up
		// by prefix, and the data's 614 says Australia/Sydney: a Perth
		// subscriber would be called at 06:00. Every zone of Australia.
		"+61441234567": "Australia/Perth",
		"+61453123456": "Australia/Darwin",
	} {
		if got := LookupZones(dialgate.MustParseNumber(num)).Zones(); !slices.Contains(got, zone) {
			t.Errorf("zones of %s = %v: missing %s", num, got, zone)
		}
	}
}
