package textsafe

import (
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		s          string
		line, mult int // byte index Find returns in each mode, -1 for none
	}{
		{"acme", -1, -1},
		{"客户-1 ٠ é", -1, -1},
		{"\u200bzero\u200dwidth", -1, -1}, // invisible, but reorders nothing: blankID's concern
		{"a\x00b", 1, 1},
		{"a\x1bb", 1, 1},
		{"a\x7fb", 1, 1},
		{"a\tb", 1, -1},
		{"a\nb\r", 1, -1},
		{"ab\u0085", 2, 2},   // NEL
		{"ab\u009b2J", 2, 2}, // C1 CSI
		{"é\u0080", 2, 2},
		{"x\u202ey", 1, 1},
		{"x\u202ay", 1, 1},
		{"x\u2066y\u2069", 1, 1},
		{"x\u2068y", 1, 1},
		{"x\u200fy", 1, -1},
		{"x\u200ey", 1, -1},
		{"x\u061cy", 1, -1},
		{"x\u2028y", 1, -1},
		{"x\u2029y", 1, -1},
		{"\xff\xfe", -1, -1}, // not UTF-8: the caller's check
		{"\xc2", -1, -1},
	} {
		if i, _ := Find(tc.s, Line); i != tc.line {
			t.Errorf("Find(%+q, Line) = %d, want %d", tc.s, i, tc.line)
		}
		if i, _ := Find(tc.s, Multiline); i != tc.mult {
			t.Errorf("Find(%+q, Multiline) = %d, want %d", tc.s, i, tc.mult)
		}
	}
}

func TestProblem(t *testing.T) {
	for s, want := range map[string]string{
		"ok":       "",
		"a\x01":    "control character at byte 1",
		"a\u0085":  "control character U+0085 at byte 1",
		"ab\u202e": "bidirectional formatting character U+202E at byte 2",
		"\u2028":   "line separator U+2028 at byte 0",
		"\u2029":   "paragraph separator U+2029 at byte 0",
		"a\u2067b": "U+2067 at byte 1",
	} {
		got := Problem(s, Line)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("Problem(%+q) = %q, want %q", s, got, want)
		}
	}
}

func TestFindAllocs(t *testing.T) {
	s := strings.Repeat("campaign-é客户", 10)
	if n := testing.AllocsPerRun(100, func() {
		if Problem(s, Line) != "" {
			t.Fatal("refused")
		}
	}); n != 0 {
		t.Errorf("Problem allocates %v times on clean text, want 0", n)
	}
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"acme", "a\u202eb", "\u0085", "x\u2028", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range []Mode{Line, Multiline} {
			i, r := Find(s, m)
			if i < 0 {
				for _, c := range s {
					if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f || 0x80 <= c && c <= 0x9f || 0x202a <= c && c <= 0x202e || 0x2066 <= c && c <= 0x2069 {
						t.Fatalf("Find(%+q, %d) missed %U", s, m, c)
					}
				}
				continue
			}
			if !strings.HasPrefix(s[i:], string(r)) && r >= 0x80 {
				t.Fatalf("Find(%+q, %d) = %d, %U: not there", s, m, i, r)
			}
		}
	})
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct {
		in   string
		mode Mode
		want string
	}{
		{"plain 文字", Line, "plain 文字"},
		{"a\x1b[2Kb", Line, `a\x1b[2Kb`},
		{"ok\r\n", Line, `ok\r\n`},
		{"ok\r\n", Multiline, "ok\r\n"},
		{"x\u202ey\u009bz", Line, `x\u202ey\u009bz`},
		{"\u2028", Line, `\u2028`},
		{"\u2028", Multiline, "\u2028"},
		{"\x00", Multiline, `\x00`},
	} {
		if got := Escape(tc.in, tc.mode); got != tc.want {
			t.Errorf("Escape(%q, %d) = %q, want %q", tc.in, tc.mode, got, tc.want)
		}
		if got := Escape(tc.in, tc.mode); Problem(got, tc.mode) != "" {
			t.Errorf("Escape(%q) = %q still holds %s", tc.in, got, Problem(got, tc.mode))
		}
	}
	if n := testing.AllocsPerRun(100, func() { Escape("a clean line", Line) }); n != 0 {
		t.Errorf("Escape of a clean line: %v allocations", n)
	}
}
