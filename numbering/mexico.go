package numbering

import "github.com/dialgate/dialgate"

// MexicoPrefixOneSpelling returns, for a Mexican number of 10 digits after
// +52, its spelling with the mobile prefix 1 that Mexico withdrew in 2019
// (+52 1 55 1234 5678 for +52 55 1234 5678). Both reach the same line. A
// dial must now be written without the 1 (dialgate.CheckCallee refuses the
// prefix-1 form), but do-not-call entries and registry copies stored by
// earlier builds may hold that spelling: a do-not-call lookup asks for both.
// ok is false for any other number.
func MexicoPrefixOneSpelling(n dialgate.Number) (dialgate.Number, bool) {
	if n.CountryCode() != 52 || n.Len() != 12 {
		return dialgate.Number{}, false
	}
	alt, err := dialgate.NumberFromUint64(521*1e10 + n.Uint64()%1e10)
	return alt, err == nil
}

// DNCAlias returns the other spelling under which a do-not-call entry of
// n's line may be stored: a French overseas line's other spelling
// (OverseasAlias), or a 10-digit Mexican number's withdrawn prefix-1
// spelling (MexicoPrefixOneSpelling). ok is false for any other number.
func DNCAlias(n dialgate.Number) (dialgate.Number, bool) {
	if alt, ok := OverseasAlias(n); ok {
		return alt, true
	}
	return MexicoPrefixOneSpelling(n)
}
