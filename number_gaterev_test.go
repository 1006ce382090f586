package dialgate_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
)

// NumberError.Input is the text given shortened to 40 bytes: cut inside a
// character (a full-width digit is 3 bytes), it was not UTF-8, and the
// error (which quotes it) showed a stray byte where the user typed a digit.
// It is cut before the character that does not fit.
func TestNumberErrorInputCutOnCharacter(t *testing.T) {
	for _, s := range []string{
		"＋８６１３８００１３８０００",          // full-width
		"+86１３８００１３８０００１２３４５６７８９", // half ASCII, half full-width
		strings.Repeat("é", 30),
	} {
		_, err := dialgate.ParseNumber(s)
		var ne *dialgate.NumberError
		if !errors.As(err, &ne) {
			t.Fatalf("ParseNumber(%q): %v, want a NumberError", s, err)
		}
		in := strings.TrimSuffix(ne.Input, "…")
		if !utf8.ValidString(ne.Input) || len(in) > 40 || !strings.HasPrefix(s, in) || len(in) < 38 {
			t.Fatalf("ParseNumber(%q): Input %q is not a UTF-8 prefix of at most 40 bytes of the text", s, ne.Input)
		}
		if strings.Contains(err.Error(), `\x`) {
			t.Fatalf("ParseNumber(%q): error %q shows a stray byte", s, err)
		}
	}
}
