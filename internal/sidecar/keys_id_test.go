package sidecar

import (
	"encoding/hex"
	"strings"
	"testing"
)

// TestHMACKeyIDRevealsNothing: the key id written in every audit record is
// derived from the key, not a piece of it.
func TestHMACKeyIDRevealsNothing(t *testing.T) {
	k, err := LoadKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if prefix := hex.EncodeToString(k.HMAC[:4]); strings.Contains(k.HMACKeyID, prefix) {
		t.Fatalf("key id %q holds the key's first bytes %s", k.HMACKeyID, prefix)
	}
	if k.HMACKeyID != keyID(k.HMAC) || len(k.HMACKeyID) != 9 || k.HMACKeyID[0] != 'h' {
		t.Fatalf("key id %q, want keyID(key) = %q", k.HMACKeyID, keyID(k.HMAC))
	}
	other := append([]byte(nil), k.HMAC...)
	other[len(other)-1] ^= 1
	if keyID(other) == k.HMACKeyID {
		t.Fatalf("two keys share the id %q", k.HMACKeyID)
	}
}
