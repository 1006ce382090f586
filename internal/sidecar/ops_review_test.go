package sidecar

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
)

// emptySHA256 is the SHA-256 of no bytes: what `printf %s "$TOKEN" |
// sha256sum` prints when TOKEN is unset.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// A tokens entry whose sha256 is that of the empty string (a hash taken of
// an unset shell variable) is refused when the file is loaded, and a bearer
// header whose token is empty or only white space ("Bearer   ") is
// Unauthenticated whatever the file holds: it must never match an entry.
func TestTokensEmptyTokenNeverAuthenticates(t *testing.T) {
	_, err := ParseTokens([]byte("tokens:\n  - {name: ops, sha256: '" + emptySHA256 + "', scopes: [gate, admin]}\n"))
	if err == nil || !strings.Contains(err.Error(), "tokens[0].sha256") {
		t.Errorf("sha256 of the empty token: err %v, want a refusal naming tokens[0].sha256", err)
	}
	upper := strings.ToUpper(emptySHA256)
	if _, err := ParseTokens([]byte("tokens:\n  - {name: ops, sha256: '" + upper + "', scopes: [gate]}\n")); err == nil {
		t.Error("sha256 of the empty token in upper case: accepted")
	}
	// A set built around the parser's check (as an older file loaded before
	// it) must still refuse an empty bearer token.
	tok := &Tokens{byHash: map[[sha256.Size]byte]tokenEntry{
		sha256.Sum256(nil): {name: "ops", scopes: map[Scope]bool{ScopeGate: true, ScopeAdmin: true}},
	}}
	for _, v := range []string{"Bearer  ", "Bearer \t", "bearer    "} {
		ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", v))
		_, err := tok.Authorize(ctx, ScopeAdmin)
		wantStatus(t, err, codes.Unauthenticated, "")
	}
}
