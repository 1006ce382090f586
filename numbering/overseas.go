package numbering

import "github.com/dialgate/dialgate"

// overseasCC maps the first three digits of a French national number of an
// overseas range to the territory's own country code (see frOverseas).
var overseasCC = map[uint64]uint64{
	590: 590, 690: 590, 691: 590, // Guadeloupe, Saint-Martin, Saint-Barthélemy
	594: 594, 694: 594, // Guyane
	596: 596, 696: 596, 697: 596, // Martinique
	262: 262, 263: 262, 692: 262, 693: 262, 269: 262, 639: 262, // La Réunion, Mayotte
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
		if to, ok := overseasCC[nsn/1e6]; ok {
			alt, err := dialgate.NumberFromUint64(to*1e9 + nsn)
			return alt, err == nil
		}
	case (cc == 590 || cc == 594 || cc == 596 || cc == 262) && n.Len() == 12:
		nsn := v % 1e9
		if to, ok := overseasCC[nsn/1e6]; ok && to == cc {
			alt, err := dialgate.NumberFromUint64(33*1e9 + nsn)
			return alt, err == nil
		}
	}
	return dialgate.Number{}, false
}
