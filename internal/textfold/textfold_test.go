package textfold

import "testing"

func TestName(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"Finance", "finance"},
		{"ｆｉｎａｎｃｅ", "finance"},
		{"ﬁnance", "finance"},
		{"fi\u200bnance", "finance"},
		{"  finance\u00ad ", "finance"},
		{"Straße", "STRASSE"},
		{"Ꮫ", "ꮫ"},
		{"İstanbul", "i̇stanbul"},
	} {
		if Name(c.a) != Name(c.b) {
			t.Errorf("Name(%q) = %q, Name(%q) = %q: want one name", c.a, Name(c.a), c.b, Name(c.b))
		}
	}
	for _, c := range []struct{ a, b string }{{"finance", "insurance"}, {"fin ance", "finance"}} {
		if Name(c.a) == Name(c.b) {
			t.Errorf("Name(%q) = Name(%q) = %q: want two names", c.a, c.b, Name(c.a))
		}
	}
	if Name("\u200b \ufe0f") != "" {
		t.Errorf("invisible characters and white space alone: %q, want empty", Name("\u200b \ufe0f"))
	}
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"Finance", "ｆｉｎａｎｃｅ", "Straße", "\u200b", "İ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Name(s)
		if Name(n) != n {
			t.Fatalf("Name is not idempotent on %q: %q then %q", s, n, Name(n))
		}
	})
}
