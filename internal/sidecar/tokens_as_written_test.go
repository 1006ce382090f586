package sidecar

import (
	"errors"
	"strings"
	"testing"
)

// A tenant a token is bound to, written as a plain value YAML reads as a
// float, reached the binding re-spelt: "tenants: [1.10]" bound the token
// to tenant "1.1" — another tenant, whose dials and admin writes it then
// made — and not to "1.10". It is refused, naming the entry; quoted, it is
// taken as written.
func TestTokensTenantAsWritten(t *testing.T) {
	const h = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, v := range []string{"1.10", "1e3", "2.50"} {
		_, err := ParseTokens([]byte("tokens:\n  - name: d\n    sha256: \"" + h + "\"\n    scopes: [gate]\n    tenants: [" + v + "]\n"))
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "tokens[0].tenants[0]") || !strings.Contains(err.Error(), "put it in quotes") {
			t.Errorf("tenants: [%s]: %v, want an ErrConfig naming tokens[0].tenants[0] and saying to put it in quotes", v, err)
		}
	}
	tk, err := ParseTokens([]byte("tokens:\n  - name: d\n    sha256: \"" + h + "\"\n    scopes: [gate]\n    tenants: [\"1.10\", 42]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tk.byHash {
		if !e.tenants["1.10"] || !e.tenants["42"] || e.tenants["1.1"] {
			t.Fatalf("tenants %v, want 1.10 and 42 as written", e.tenants)
		}
	}
}

// The tokens file is decoded by a YAML 1.1 reader, which re-spells plain
// values the check above (YAML 1.2) takes as text: "tenants: [010]" bound
// the token to tenant "8", "[0x10]" to "16", "[1_000]" to "1000", "[yes]"
// to "true" — other tenants. Each is refused, naming the entry and key.
func TestTokensTenantYAML11AsWritten(t *testing.T) {
	const h = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, v := range []string{"010", "0x10", "1_000", "+1", "0o17", "0b11", "yes", "on", "no", "off", "y", "N"} {
		_, err := ParseTokens([]byte("tokens:\n  - name: d\n    sha256: \"" + h + "\"\n    scopes: [gate]\n    tenants: [a, " + v + "]\n"))
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "tokens[0].tenants[1]") || !strings.Contains(err.Error(), "put it in quotes") {
			t.Errorf("tenants: [a, %s]: %v, want an ErrConfig naming tokens[0].tenants[1] and saying to put it in quotes", v, err)
		}
		_, err = ParseTokens([]byte("tokens:\n  - name: " + v + "\n    sha256: \"" + h + "\"\n    scopes: [gate]\n"))
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "tokens[0].name") {
			t.Errorf("name: %s: %v, want an ErrConfig naming tokens[0].name", v, err)
		}
		tk, err := ParseTokens([]byte("tokens:\n  - name: d\n    sha256: \"" + h + "\"\n    scopes: [gate]\n    tenants: [\"" + v + "\"]\n"))
		if err != nil {
			t.Fatalf("tenants: [%q]: %v", v, err)
		}
		for _, e := range tk.byHash {
			if len(e.tenants) != 1 || !e.tenants[v] {
				t.Fatalf("tenants: [%q]: %v, want it as written", v, e.tenants)
			}
		}
	}
}

// The check above looked for the keys only where they are written in an
// entry: a value given through a YAML merge key ("<<: {tenants: [010]}",
// or the whole list under "<<: {tokens: …}") reached the YAML 1.1 decoder
// unchecked, and "010" bound the token to tenant "8", "yes" to "true" —
// other tenants, whose dials and admin writes it then made. Merged values
// are checked as written ones are.
func TestTokensMergedAsWritten(t *testing.T) {
	const h = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, v := range []string{"010", "yes", "1_000"} {
		for _, src := range []string{
			"tokens:\n  - name: d\n    sha256: \"" + h + "\"\n    scopes: [gate]\n    <<: {tenants: [a, " + v + "]}\n",
			"tokens:\n  - name: d\n    sha256: \"" + h + "\"\n    <<: [{scopes: [gate]}, {tenants: [a, " + v + "]}]\n",
			"<<: {tokens: [{name: d, sha256: \"" + h + "\", scopes: [gate], tenants: [a, " + v + "]}]}\n",
		} {
			tk, err := ParseTokens([]byte(src))
			if err == nil {
				for _, e := range tk.byHash {
					t.Errorf("%q: loaded with tenants %v, want an error saying to put %s in quotes", src, e.tenants, v)
				}
				continue
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "tenants[1]") || !strings.Contains(err.Error(), "put it in quotes") {
				t.Errorf("%q: %v, want an ErrConfig naming tenants[1] and saying to put it in quotes", src, err)
			}
		}
		_, err := ParseTokens([]byte("tokens:\n  - name: d\n    sha256: \"" + h + "\"\n    <<: {name: " + v + ", scopes: [gate]}\n"))
		if err == nil {
			t.Errorf("name %s through a merge key: loaded, want an error", v)
		}
	}
	tk, err := ParseTokens([]byte("tokens:\n  - name: d\n    sha256: \"" + h + "\"\n    scopes: [gate]\n    <<: {tenants: [\"010\"]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tk.byHash {
		if len(e.tenants) != 1 || !e.tenants["010"] {
			t.Fatalf("quoted through a merge key: tenants %v, want 010 as written", e.tenants)
		}
	}
}
