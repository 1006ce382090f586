package auditlog

import (
	"fmt"

	"github.com/dialgate/dialgate"
)

// CalleeHasher hashes callee numbers with the audit log's HMAC key, so that
// recordings, complaints and decision records name the same callee by the same
// keyed hash and never by the raw number. It is safe for concurrent use.
type CalleeHasher struct {
	key []byte
}

// NewCalleeHasher returns a hasher for key (at least MinKeyBytes bytes).
func NewCalleeHasher(key []byte) (*CalleeHasher, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("auditlog: hmac key: %d bytes, want at least %d: %w", len(key), MinKeyBytes, ErrInvalidOptions)
	}
	return &CalleeHasher{key: append([]byte(nil), key...)}, nil
}

// HashCallee returns CalleeHMAC(key, n).
func (h *CalleeHasher) HashCallee(n dialgate.Number) string { return CalleeHMAC(h.key, n) }
