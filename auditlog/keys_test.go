package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// encoding/json keeps the last of a key given twice and matches keys
// case-insensitively (and "ſ" U+017F to "s", the Kelvin sign to "k"), so a
// line holding "allowed":false and "ALLOWED":true, or "allowed" twice,
// parsed as one decision here and as another by a reader that keeps the
// first, or compares keys as written (RFC 8259 names are case-sensitive):
// one record verified with two meanings. The log writes every key once,
// as its field's lower-case name: ParseLine (so Open, Verify and the
// report) refuses any other, naming it.
func TestParseLineRefusesAmbiguousKeys(t *testing.T) {
	d := sampleDecision(1) // denied
	rec, err := mustRedactor(t).Decision(d)
	if err != nil {
		t.Fatal(err)
	}
	good := appendRecordLine(nil, 0, tlog.Hash{}, appendDecisionBody(nil, rec))
	if l, err := ParseLine(good); err != nil || l.Decision.Allowed {
		t.Fatalf("good line: %+v, %v", l, err)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"another case", `"allowed":false`, `"allowed":false,"ALLOWED":true`, `"ALLOWED"`},
		{"twice", `"allowed":false`, `"allowed":false,"allowed":true`, `"allowed" given twice`},
		{"long s", `"tenant":"acme"`, `"tenant":"acme","\u017fhadow":true`, `u017fhadow`},
		{"escaped", `"allowed":false`, `"allowed":false,"\u0061llowed":true`, `u0061llowed`},
		{"top level twice", `"kind":"decision"`, `"kind":"decision","seq":7`, `"seq" given twice`},
		{"nested twice", `"code":"`, `"code":"x","code":"`, `"code" given twice`},
		{"evidence key case", `{"key":"dnc.list"`, `{"Key":"dnc.list"`, `"Key"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := bytes.Replace(good, []byte(tc.old), []byte(tc.new), 1)
			if bytes.Equal(line, good) {
				t.Fatalf("%s not found in %s", tc.old, good)
			}
			l, err := ParseLine(line)
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				var allowed any
				if l != nil && l.Decision != nil {
					allowed = l.Decision.Allowed
				}
				t.Fatalf("ParseLine(%s) = allowed %v, %v; want an error naming %s", line, allowed, err, tc.want)
			}
		})
	}
	// Verify refuses such a line like any line that is not a valid record.
	k := newTestKeys(t, "test-log")
	name := filepath.Join(t.TempDir(), fileName(1))
	line := bytes.Replace(good, []byte(`"allowed":false`), []byte(`"allowed":false,"ALLOWED":true`), 1)
	if err := os.WriteFile(name, append(line, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	var verr *VerifyError
	if _, err := Verify(context.Background(), []string{name}, VerifyOptions{Verifiers: k.verifiers}); !errors.As(err, &verr) || verr.Problem != ProblemEdited {
		t.Fatalf("Verify of a record with a key in another case: %v, want edited", err)
	}
}

func mustRedactor(t *testing.T) *Redactor {
	t.Helper()
	r, err := NewRedactor(testKey, "k-test", "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}
