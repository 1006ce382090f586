package dialgate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestTrunkPrefixHintNamesTheCountry: the hint of a national trunk prefix
// after the country code shows the number it was given, without the 0,
// under its own country code: a "+1 0…" number was told to write
// "+86 10 5800 1234", another country's number.
func TestTrunkPrefixHintNamesTheCountry(t *testing.T) {
	for _, c := range []struct{ in, want, not string }{
		{"+86 010 5800 1234", `write "+86 1058001234", not "+86 01058001234"`, ""},
		{"+1 0212 555 0123", `write "+1 2125550123", not "+1 02125550123"`, "+86"},
		{"+44 020 7946 0000", `write "+44 2079460000", not "+44 02079460000"`, "+86"},
	} {
		_, err := dialgate.ParseNumber(c.in)
		if !errors.Is(err, dialgate.ErrTrunkPrefix) {
			t.Errorf("%s: %v, want ErrTrunkPrefix", c.in, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || (c.not != "" && strings.Contains(err.Error(), c.not)) {
			t.Errorf("%s: %q, want it to say %s", c.in, err, c.want)
		}
	}
}
