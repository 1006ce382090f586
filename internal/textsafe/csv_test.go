package textsafe

import (
	"strings"
	"testing"
)

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "",
		"Acme Ltd":                           "Acme Ltd",
		`=HYPERLINK("http://x.invalid","x")`: `'=HYPERLINK("http://x.invalid","x")`,
		"+cmd|' /C calc'!A0":                 "'+cmd|' /C calc'!A0",
		"-2+3":                               "'-2+3",
		"@SUM(A1)":                           "'@SUM(A1)",
		"\t=1":                               "'\t=1",
		"\r=1":                               "'\r=1",
		"+":                                  "'+",
		"-":                                  "'-",
		"+86 138 0013 8000":                  "'+86 138 0013 8000", // text, not a number
		"+1e5":                               "'+1e5",
		"-1.":                                "'-1.",
		"+8613800138000":                     "+8613800138000", // E.164: a number
		"-12":                                "-12",
		"-0.25":                              "-0.25",
		"12":                                 "12",
		"'Acme":                              "'Acme", // reads back as itself
		"'":                                  "'",
		"'=x":                                "''=x",
		"''@x":                               "'''@x",
		"'+8613800138000":                    "'+8613800138000",
		" =x":                                " =x",
		"＝x":                                 "＝x",
	} {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
		if back := CSVText(CSVCell(in)); back != in {
			t.Errorf("CSVText(CSVCell(%q)) = %q", in, back)
		}
	}
	// Cells written by hand, or by earlier builds.
	for in, want := range map[string]string{
		"'Acme":          "'Acme",
		"'=x":            "=x",
		"''=x":           "'=x",
		"'-12":           "'-12",
		"+8613800138000": "+8613800138000",
		"=x":             "=x",
	} {
		if got := CSVText(in); got != want {
			t.Errorf("CSVText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSVCellAllocs(t *testing.T) {
	s := strings.Repeat("Acme 客户", 10)
	if n := testing.AllocsPerRun(100, func() {
		if CSVCell(s) != s || CSVText(s) != s {
			t.Fatal("changed")
		}
	}); n != 0 {
		t.Errorf("CSVCell allocates %v times on plain text, want 0", n)
	}
}

// FuzzCSVCell: CSVText undoes CSVCell, and what CSVCell writes never starts
// a formula.
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"", "=1+1", "'=1", "''", "+8613800138000", "-1.5", "@", "\t", "'Acme"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CSVCell(s)
		if back := CSVText(c); back != s {
			t.Fatalf("CSVText(CSVCell(%q)) = %q (cell %q)", s, back, c)
		}
		if c != "" && strings.IndexByte(formulaStart, c[0]) >= 0 && !plainNumber(c) {
			t.Fatalf("CSVCell(%q) = %q starts a formula", s, c)
		}
		if c != s && c != "'"+s {
			t.Fatalf("CSVCell(%q) = %q: want s or s with one apostrophe", s, c)
		}
	})
}
