package policy

import (
	"encoding/json"
	"fmt"
)

// mergePatch applies the JSON merge patch patch to target (RFC 7386): an object
// in the patch merges key by key, a null deletes the key, anything else
// replaces the target's value. Hand-written: the algorithm is twelve lines and
// no approved library provides it.
func mergePatch(target, patch []byte) ([]byte, error) {
	var t, p any
	if len(target) > 0 {
		if err := json.Unmarshal(target, &t); err != nil {
			return nil, fmt.Errorf("merge: base: %w", err)
		}
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, fmt.Errorf("merge: patch: %w", err)
	}
	return json.Marshal(mergeValue(t, p))
}

func mergeValue(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergeValue(tm[k], v)
	}
	return tm
}
