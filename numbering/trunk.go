package numbering

import (
	"errors"

	"github.com/nyaruka/phonenumbers"

	"github.com/dialgate/dialgate"
)

// ParseDroppingTrunkPrefix is dialgate.ParseNumber for numbers read from
// lists, where people write the national trunk prefix after the country
// code ("+86 010 5800 1234" for +86 10 5800 1234): a number ParseNumber
// refuses for that reason (dialgate.ErrTrunkPrefix) is read without the
// prefix, as libphonenumber's numbering-plan data says — rewritten where
// the plan rewrites a national form (Argentina's mobile 0 11 15 1234 5678
// is +54 9 11 1234 5678). A text it cannot read that way keeps
// ParseNumber's error.
func ParseDroppingTrunkPrefix(s string) (dialgate.Number, error) {
	n, err := dialgate.ParseNumber(s)
	if !errors.Is(err, dialgate.ErrTrunkPrefix) {
		return n, err
	}
	if s != "" && s[0] != '+' {
		s = "+" + s // ParseNumber read it as international
	}
	pn, perr := phonenumbers.Parse(s, "")
	if perr != nil {
		return dialgate.Number{}, err
	}
	n, nerr := dialgate.ParseNumber(phonenumbers.Format(pn, phonenumbers.E164))
	if nerr != nil {
		return dialgate.Number{}, err
	}
	return n, nil
}
