package auditlog_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
)

// TestKeyErrorsNameTheKey: the natural mistakes with checkpoint keys — the
// public key given to NewSigner, the private key to NewVerifier, an empty
// key, a log name GenerateKey cannot put in a key — are errors wrapping
// ErrInvalidOptions that say which key is wrong and what is expected,
// never quoting the key text (a private key must not reach a log). They
// said "malformed verifier id" for all of them, the signer's too, and
// GenerateKey returned a pair for a name with a space that neither
// NewSigner nor NewVerifier then accepted.
func TestKeyErrorsNameTheKey(t *testing.T) {
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "dialer.example.com")
	if err != nil {
		t.Fatal(err)
	}
	_, err = auditlog.NewSigner(vkey)
	want(t, "NewSigner(public key)", err, "signing key", "NewVerifier")
	_, err = auditlog.NewSigner("")
	want(t, "NewSigner(empty)", err, "signing key", "empty")
	_, err = auditlog.NewSigner("PRIVATE+KEY+x+00000000+AAAA")
	want(t, "NewSigner(damaged private key)", err, "signing key", "malformed")
	_, err = auditlog.NewVerifier(skey)
	want(t, "NewVerifier(private key)", err, "verifier key", "private")
	_, err = auditlog.NewVerifier("")
	want(t, "NewVerifier(empty)", err, "verifier key", "empty")
	for _, err := range []error{err} {
		if err != nil && (strings.Contains(err.Error(), skey) || strings.Contains(err.Error(), skey[len("PRIVATE+KEY+"):])) {
			t.Errorf("an error quotes the private key: %v", err)
		}
	}
	for _, name := range []string{"", "has space", "a+b", "line\nbreak"} {
		s, v, err := auditlog.GenerateKey(rand.Reader, name)
		want(t, "GenerateKey("+name+")", err, "name", "")
		if s != "" || v != "" {
			t.Errorf("GenerateKey(%q) returned a key with its error", name)
		}
	}
	if _, err := auditlog.NewSigner(skey); err != nil {
		t.Errorf("NewSigner(its own key): %v", err)
	}
	if _, err := auditlog.NewVerifier(vkey); err != nil {
		t.Errorf("NewVerifier(its own key): %v", err)
	}
}

func want(t *testing.T, what string, err error, subs ...string) {
	t.Helper()
	if !errors.Is(err, auditlog.ErrInvalidOptions) {
		t.Errorf("%s: %v, want an error wrapping ErrInvalidOptions", what, err)
		return
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: %q does not say %q", what, err, s)
		}
	}
}
