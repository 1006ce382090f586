package auditlog

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestOpenMissingSignerSaysWhatToDo: Open without a Signer names the field
// and says where a signer comes from, since a newcomer's first Open (with
// the zero Options or only the HMAC key) fails there.
func TestOpenMissingSignerSaysWhatToDo(t *testing.T) {
	_, err := Open(context.Background(), t.TempDir(), Options{HMACKey: []byte("0123456789abcdef"), HMACKeyID: "k1"})
	if !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("Open = %v, want ErrInvalidOptions", err)
	}
	for _, want := range []string{"Options.Signer", "NewSigner", "GenerateKey"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not mention %s", err, want)
		}
	}
}
