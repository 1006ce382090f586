package main

import (
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/dialgate/dialgate/auditlog"
)

// FuzzParseKeyRule: a --require-key value is either refused or names a key
// and a start (a record seq or a time); it never panics, and a file named as
// KEY is read only up to maxKeyFileBytes (a path such as /dev/zero is refused,
// not read for ever).
func FuzzParseKeyRule(f *testing.F) {
	_, vkey, err := note.GenerateKey(nil, "audit.example.com")
	if err != nil {
		f.Fatal(err)
	}
	v, err := auditlog.NewVerifier(vkey)
	if err != nil {
		f.Fatal(err)
	}
	known := []note.Verifier{v}
	name := auditlog.KeyName(v.Name(), v.KeyHash())
	for _, s := range []string{name + "@0", name + "@120", vkey + "@2026-12-05", vkey + "@2026-12-05T04:00:00Z", "@1", "x@", "/dev/zero@1", name + "@-1", "a@b@3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rule, extra, err := parseKeyRule(s, known)
		if err != nil {
			return
		}
		if rule.Name == "" || (rule.FromSeq < 0) || (rule.FromSeq > 0 && !rule.FromTime.IsZero()) {
			t.Fatalf("%q: rule %+v", s, rule)
		}
		if extra != nil && (extra.Name() != rule.Name || extra.KeyHash() != rule.Hash) {
			t.Fatalf("%q: extra key %s+%08x for rule %+v", s, extra.Name(), extra.KeyHash(), rule)
		}
		if !strings.Contains(s, "@") {
			t.Fatalf("%q accepted without @", s)
		}
	})
}
