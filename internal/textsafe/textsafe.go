// Package textsafe finds the characters that make text display other than
// what it holds: control characters (C0, DEL and C1 — a C1 CSI rewrites a
// terminal as ESC [ does), Unicode bidirectional embeddings, overrides,
// isolates and marks (which reorder how the text around them reads — the
// "Trojan Source" trick) and the line and paragraph separators U+2028 and
// U+2029 (which split one record's line in two). Every validator of an
// identifier-like or evidence field (a tenant, a campaign, a lead or consent
// id, an evidence URI, a channel) refuses them through Problem, so that an
// audit record, a report line or a CLI listing shows what the record holds.
//
// For files opened in a spreadsheet, CSVCell writes a free-text cell so that
// it shows as text rather than running as a formula (CSV injection), and
// CSVText reads it back as the text it holds.
package textsafe

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Mode says which characters a field may hold.
type Mode uint8

const (
	// Line is an identifier or one line of text: no control character, no
	// bidirectional formatting character, no line or paragraph separator.
	Line Mode = iota
	// Multiline is free text written by and for a person (a complaint's
	// details): tab, line feed, carriage return and U+2028/U+2029 (line
	// breaks) and the bidirectional marks U+200E, U+200F and U+061C (which
	// right-to-left prose needs and which move no other text) are allowed;
	// other control characters and the embeddings, overrides and isolates
	// are not.
	Multiline
)

// Find returns the byte index and the character of the first character of
// s that mode refuses, or -1 and 0. Bytes that are not UTF-8 are not its
// concern (callers check utf8.ValidString). It does not allocate.
func Find(s string, mode Mode) (int, rune) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && !(mode == Multiline && (c == '\t' || c == '\n' || c == '\r')) {
				return i, rune(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if refused(r, mode) {
			return i, r
		}
		i += n
	}
	return -1, 0
}

// refused reports whether mode refuses the non-ASCII character r.
func refused(r rune, mode Mode) bool {
	switch {
	case 0x80 <= r && r <= 0x9f: // C1 controls
		return true
	case 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069: // embeddings, overrides, isolates
		return true
	case r == 0x200e || r == 0x200f || r == 0x061c: // LRM, RLM, ALM
		return mode == Line
	case r == 0x2028 || r == 0x2029:
		return mode == Line
	}
	return false
}

// Problem describes the first character of s that mode refuses —
// "control character at byte 3", "control character U+0085 at byte 3",
// "bidirectional formatting character U+202E at byte 3 (it changes how the
// text displays)", "line separator U+2028 at byte 3" — or returns "". It
// allocates only when it finds one.
func Problem(s string, mode Mode) string {
	i, r := Find(s, mode)
	if i < 0 {
		return ""
	}
	return Describe(r, i)
}

// Describe names the refused character r found at byte i, as Problem does.
func Describe(r rune, i int) string {
	switch {
	case r < 0x80:
		// The wording of the ASCII check every validator used before.
		return fmt.Sprintf("control character at byte %d", i)
	case r <= 0x9f:
		return fmt.Sprintf("control character %U at byte %d", r, i)
	case r == 0x2028:
		return fmt.Sprintf("line separator %U at byte %d", r, i)
	case r == 0x2029:
		return fmt.Sprintf("paragraph separator %U at byte %d", r, i)
	}
	return fmt.Sprintf("bidirectional formatting character %U at byte %d (it changes how the text displays)", r, i)
}

// Escape returns s with every character mode refuses written as a Go
// escape (\x1b, \r, \u202e), so that printing it shows what it holds
// rather than letting it move the cursor, clear a line or reorder the text
// around it; s itself when it holds none (without allocating). A backslash
// is left as it is: the result is for people to read, not to be parsed back.
func Escape(s string, mode Mode) string {
	i, _ := Find(s, mode)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		j, r := Find(s[i:], mode)
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		q := strconv.QuoteRuneToASCII(r) // '\x1b', '\u202e'
		b.WriteString(q[1 : len(q)-1])
		i += j + utf8.RuneLen(r)
	}
	return b.String()
}
