package dialgate

import (
	"regexp/syntax"
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestNSNPlans checks nsnPlans against libphonenumber's metadata: for every
// region of a plan's country code, every number type whose pattern can
// start with a digit of the plan's lead set (every type, for a plan without
// one) has possible lengths within the plan's min and max, and a plan
// without a lead set has the shortest and longest length of its regions.
func TestNSNPlans(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	byRegion := map[string]*phonenumbers.PhoneMetadata{}
	for _, md := range coll.GetMetadata() {
		byRegion[md.GetId()] = md
	}
	for _, p := range nsnPlans {
		regions := phonenumbers.GetRegionCodesForCountryCode(p.cc)
		if len(regions) == 0 {
			t.Fatalf("+%d: no regions in libphonenumber", p.cc)
		}
		lo, hi := int32(99), int32(0)
		for _, r := range regions {
			md := byRegion[r]
			if md == nil || int(md.GetCountryCode()) != p.cc {
				t.Fatalf("+%d %s: no metadata", p.cc, r)
			}
			gen := md.GetGeneralDesc()
			if p.lead == 0 {
				ls := gen.GetPossibleLength()
				if slices.Min(ls) < int32(p.min) || slices.Max(ls) > int32(p.max) {
					t.Errorf("+%d %s: possible lengths %v, nsnPlans says %d..%d", p.cc, r, ls, p.min, p.max)
				}
				lo, hi = min(lo, slices.Min(ls)), max(hi, slices.Max(ls))
				continue
			}
			for _, d := range []*phonenumbers.PhoneNumberDesc{md.GetFixedLine(), md.GetMobile(), md.GetTollFree(),
				md.GetPremiumRate(), md.GetSharedCost(), md.GetPersonalNumber(), md.GetVoip(), md.GetPager(),
				md.GetUan(), md.GetVoicemail()} {
				pat := d.GetNationalNumberPattern()
				if pat == "" || pat == "NA" {
					continue
				}
				re, err := syntax.Parse(pat, syntax.Perl)
				if err != nil {
					t.Fatalf("+%d %s: %v", p.cc, r, err)
				}
				first, _ := firstBytes(re.Simplify())
				hit := false
				for c := '0'; c <= '9'; c++ {
					hit = hit || first[c] && p.lead>>(c-'0')&1 != 0
				}
				if !hit {
					continue
				}
				ls := d.GetPossibleLength()
				if len(ls) == 0 {
					ls = gen.GetPossibleLength()
				}
				for _, l := range ls {
					if l != -1 && (l < int32(p.min) || l > int32(p.max)) {
						t.Errorf("+%d %s: a type of pattern %.40q… has length %d outside nsnPlans' %d..%d", p.cc, r, pat, l, p.min, p.max)
					}
				}
			}
		}
		if p.lead == 0 && (lo != int32(p.min) || hi != int32(p.max)) {
			t.Errorf("+%d: the regions' lengths are %d..%d, nsnPlans says %d..%d", p.cc, lo, hi, p.min, p.max)
		}
	}
}
