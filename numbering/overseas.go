package numbering

import "github.com/dialgate/dialgate"

// overseasRange is a range of the French national plan that belongs to an
// overseas territory: the national numbers whose first digits are prefix
// (digits long) are lines of the territory of country code cc, in zone.
type overseasRange struct {
	prefix uint64
	digits int
	cc     uint64
	zone   string
}

// overseasRanges are the overseas ranges of the French plan, as the
// libphonenumber data has them under the territories' own codes (fixed and
// mobile; the VoIP ranges are not tied to a place). The newer ranges are
// longer than three digits: 0598 7/8/9 (Guadeloupe, Guyane, Martinique),
// 0268 8/9 (La Réunion, Mayotte), 0709 0/1/2 (Guadeloupe, Martinique,
// La Réunion) and 0709 30–34/35–39 (Guyane, Mayotte). The longest matching
// prefix wins.
var overseasRanges = []overseasRange{
	// Guadeloupe, Saint-Martin, Saint-Barthélemy
	{590, 3, 590, "America/Guadeloupe"}, {690, 3, 590, "America/Guadeloupe"}, {691, 3, 590, "America/Guadeloupe"},
	{5987, 4, 590, "America/Guadeloupe"}, {7090, 4, 590, "America/Guadeloupe"},
	// Guyane
	{594, 3, 594, "America/Cayenne"}, {694, 3, 594, "America/Cayenne"},
	{5988, 4, 594, "America/Cayenne"},
	{70930, 5, 594, "America/Cayenne"}, {70931, 5, 594, "America/Cayenne"}, {70932, 5, 594, "America/Cayenne"},
	{70933, 5, 594, "America/Cayenne"}, {70934, 5, 594, "America/Cayenne"},
	// Martinique
	{596, 3, 596, "America/Martinique"}, {696, 3, 596, "America/Martinique"}, {697, 3, 596, "America/Martinique"},
	{5989, 4, 596, "America/Martinique"}, {7091, 4, 596, "America/Martinique"},
	// La Réunion
	{262, 3, 262, "Indian/Reunion"}, {263, 3, 262, "Indian/Reunion"}, {692, 3, 262, "Indian/Reunion"}, {693, 3, 262, "Indian/Reunion"},
	{2688, 4, 262, "Indian/Reunion"}, {7092, 4, 262, "Indian/Reunion"},
	// Mayotte
	{269, 3, 262, "Indian/Mayotte"}, {639, 3, 262, "Indian/Mayotte"},
	{2689, 4, 262, "Indian/Mayotte"},
	{70935, 5, 262, "Indian/Mayotte"}, {70936, 5, 262, "Indian/Mayotte"}, {70937, 5, 262, "Indian/Mayotte"},
	{70938, 5, 262, "Indian/Mayotte"}, {70939, 5, 262, "Indian/Mayotte"},
}

// overseasByPrefix indexes overseasRanges by digit count, then prefix.
var overseasByPrefix = func() [6]map[uint64]int {
	var m [6]map[uint64]int
	for i, r := range overseasRanges {
		if m[r.digits] == nil {
			m[r.digits] = map[uint64]int{}
		}
		m[r.digits][r.prefix] = i
	}
	return m
}()

// overseasOf returns the index in overseasRanges of the overseas range of a
// 9-digit French national number, longest prefix first.
func overseasOf(nsn uint64) (int, bool) {
	for digits, div := 5, uint64(1e4); digits >= 3; digits, div = digits-1, div*10 {
		if i, ok := overseasByPrefix[digits][nsn/div]; ok {
			return i, true
		}
	}
	return 0, false
}

// OverseasLine returns the spelling a French overseas line is keyed under
// whichever of its two spellings n is (OverseasAlias): the territory's own
// country code, as E.164 has it (+596 596 12 34 56 for +33 596 12 34 56),
// so that counts and records of the two spellings meet. Any other number is
// returned as it is.
func OverseasLine(n dialgate.Number) dialgate.Number {
	if n.CountryCode() == 33 {
		if alt, ok := OverseasAlias(n); ok {
			return alt
		}
	}
	return n
}

// OverseasAlias returns the other spelling of a French overseas line: for
// +33 596 12 34 56 (the national number 0596 12 34 56 written with +33) the
// territory's own +596 596 12 34 56, and the reverse. Both reach the same
// line, so a do-not-call lookup must ask for both. ok is false for any other
// number.
func OverseasAlias(n dialgate.Number) (dialgate.Number, bool) {
	if !n.IsValid() {
		return dialgate.Number{}, false
	}
	v := n.Uint64()
	switch cc := uint64(n.CountryCode()); {
	case cc == 33 && n.Len() == 11:
		nsn := v % 1e9
		if i, ok := overseasOf(nsn); ok {
			alt, err := dialgate.NumberFromUint64(overseasRanges[i].cc*1e9 + nsn)
			return alt, err == nil
		}
	case (cc == 590 || cc == 594 || cc == 596 || cc == 262) && n.Len() == 12:
		nsn := v % 1e9
		if i, ok := overseasOf(nsn); ok && overseasRanges[i].cc == cc {
			alt, err := dialgate.NumberFromUint64(33*1e9 + nsn)
			return alt, err == nil
		}
	}
	return dialgate.Number{}, false
}
