package numbering

import (
	"strconv"

	"github.com/nyaruka/phonenumbers"

	"github.com/dialgate/dialgate"
)

// AssignedFixedLine reports whether n, a Chinese number Classify calls a
// fixed line (ClassFixed), is a fixed line of the numbering plan as
// libphonenumber's metadata has it: its area code is in use, and its local
// number has a length the area's lines have (8 digits after a 2-digit area
// code; 7, 8 or either after a 3-digit one, by area). It is false for any
// other number.
//
// Classify is deliberately wider: it takes any 2-digit area code 10, 20–29
// (26 aside) and 3-digit one 300–999 (400 and 800 aside) with 7 or 8 local
// digits, so that a callee of an odd shape still gets a segment for the
// sweep checks. A caller ID must be a line that exists: package callerid
// denies a fixed-line caller ID for which AssignedFixedLine is false
// (callerid.invalid), and its ledger refuses to store one. It does not
// allocate (but on the first call, which compiles the +86 metadata) and is
// safe for concurrent use.
func AssignedFixedLine(n dialgate.Number) bool {
	if n.CountryCode() != 86 || Classify(n).Class != ClassFixed {
		return false
	}
	v, _ := n.NationalUint64()
	var buf [20]byte
	// A fixed line's national number starts with its area code (1–9):
	// the integer's digits are all of them.
	nsn := strconv.AppendUint(buf[:0], v, 10)
	p := planFor(86)
	if !p.ok {
		return assignedFixedLineLibrary(n)
	}
	switch p.typeOf(nsn) {
	case phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return true
	}
	return false
}

// assignedFixedLineLibrary is AssignedFixedLine decided by the library
// itself, for when the +86 metadata could not be compiled (planFor).
func assignedFixedLineLibrary(n dialgate.Number) bool {
	pn, err := phonenumbers.Parse(n.String(), "")
	if err != nil {
		return false
	}
	switch phonenumbers.GetNumberType(pn) {
	case phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return true
	}
	return false
}
