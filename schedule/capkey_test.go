package schedule

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

// Counter keys are stored (journal, Redis, PostgreSQL): their spelling must
// not change between builds, or every count restarts. This pins it:
// "frequency|", the first 16 bytes of HMAC-SHA-256 over
// "callee\x00<tenant>\x00<E.164 digits>" in lower-case hex, and the rule's
// suffix.
func TestCounterKeySpelling(t *testing.T) {
	c, err := NewCapCheck(CapsConfig{Caps: []Cap{{Count: 1, Window: dialgate.Duration(24 * 3600e9), Cite: citeU}}}, memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), Tenant: "acme", Purpose: dialgate.PurposeService}
	m := hmac.New(sha256.New, []byte(DefaultCapHashKey))
	m.Write([]byte("callee\x00acme\x008613800138000"))
	want := "frequency|" + hex.EncodeToString(m.Sum(nil)[:16]) + c.caps[0].suffix
	limits, _, _ := c.limits(d)
	if len(limits) != 1 || limits[0].Key != want {
		t.Fatalf("key %q, want %q", limits[0].Key, want)
	}
	if h := c.scopeHash(d, CapPerCallee); "frequency|"+string(h[:])+c.caps[0].suffix != want {
		t.Fatalf("scopeHash %q, want the hash of %q", h, want)
	}
}
