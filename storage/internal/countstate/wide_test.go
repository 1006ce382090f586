package countstate

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// TestWideDifferential widens TestMatchesReference's generator: long
// strings of many size classes, more ids/keys/members, restores of up to 5
// keys, Expire walked in small chunks. It runs 4 seeds per setting; a review
// ran 3,000 (≈ 150 s): DIALGATE_WIDE_SEEDS=3000 go test -run Wide ./storage/internal/countstate/
func TestWideDifferential(t *testing.T) {
	n := 4
	if v := os.Getenv("DIALGATE_WIDE_SEEDS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	cfgs := []genCfg{
		{ids: 300, keys: 12, members: 30, maxLimits: 4, restoreKeys: 3, chunk: ExpireChunk},
		{ids: 40, keys: 4, members: 60, maxLimits: 6, restoreKeys: 6, chunk: 1},
		{ids: 2000, keys: 50, members: 10, longStrings: true, maxLimits: 5, restoreKeys: 5, chunk: 3},
		{ids: 20, keys: 3, members: 3, longStrings: true, maxLimits: 3, restoreKeys: 4, chunk: 2},
	}
	steps := 3000
	if v := os.Getenv("DIALGATE_WIDE_STEPS"); v != "" {
		steps, _ = strconv.Atoi(v)
	}
	for ci, cfg := range cfgs {
		for seed := range uint64(n) {
			t.Run(fmt.Sprintf("%d/%d", ci, seed), func(t *testing.T) { matchReference(t, cfg, seed, steps) })
		}
	}
}
