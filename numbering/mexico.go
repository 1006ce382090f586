package numbering

import "github.com/dialgate/dialgate"

// MexicoPrefixOneAlias returns the other spelling of a Mexican line: for a
// number of 10 digits after +52, its spelling with the mobile prefix 1 that
// Mexico withdrew in 2019 (+52 1 55 1234 5678 for +52 55 1234 5678), and
// the reverse. Both reach the same line. A dial must now be written without
// the 1 (dialgate.CheckCallee refuses the prefix-1 form), but do-not-call
// entries, registry copies, counts and recordings stored by earlier builds
// (and recordings registered since) may hold the prefix-1 spelling: their
// lookups ask for both. ok is false for any other number.
func MexicoPrefixOneAlias(n dialgate.Number) (dialgate.Number, bool) {
	if n.CountryCode() != 52 {
		return dialgate.Number{}, false
	}
	var v uint64
	switch u := n.Uint64(); {
	case n.Len() == 12: // 52 and 10 digits
		v = 521*1e10 + u%1e10
	case n.Len() == 13 && u%1e11/1e10 == 1: // 52, 1 and 10 digits
		v = 52*1e10 + u%1e10
	default:
		return dialgate.Number{}, false
	}
	alt, err := dialgate.NumberFromUint64(v)
	return alt, err == nil
}

// LineAlias returns the other spelling under which records of n's line may
// be stored: a French overseas line's other spelling (OverseasAlias), or a
// Mexican line's spelling with or without the withdrawn prefix 1
// (MexicoPrefixOneAlias). ok is false for any other number.
func LineAlias(n dialgate.Number) (dialgate.Number, bool) {
	if alt, ok := OverseasAlias(n); ok {
		return alt, true
	}
	return MexicoPrefixOneAlias(n)
}
