package redisstore

import (
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// A reply value of the wrong type must not decode as "0 counted, not
// exceeded": the pause after a conversation is only ever read through Usage,
// so that would let a paused dial through.
func TestDecodeUsagesRejectsMalformedReply(t *testing.T) {
	lim := []storage.Limit{{Key: "k", Window: time.Hour, Max: 1}}
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for name, res := range map[string][]any{
		"count not an integer":    {"1", int64(1), stamp(at.UnixNano())},
		"exceeded not an integer": {int64(1), nil, stamp(at.UnixNano())},
		"exceeded out of range":   {int64(1), int64(7), stamp(at.UnixNano())},
	} {
		if us, err := decodeUsages(res, at, lim); !errors.Is(err, storage.ErrCorrupt) {
			t.Errorf("%s: %+v, %v; want ErrCorrupt", name, us, err)
		}
	}
	us, err := decodeUsages([]any{int64(1), int64(1), stamp(at.UnixNano())}, at, lim)
	if err != nil || !us[0].Exceeded || us[0].Count != 1 || !us[0].NextAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("well-formed reply: %+v, %v", us, err)
	}
}
