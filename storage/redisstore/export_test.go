package redisstore

import "context"

// BatchesInFlight is how many script calls a Store's reservations have in
// flight at most.
const BatchesInFlight = batchesInFlight

// OnBatch makes s call f, before sending each batch of reservations, with
// the batch's reservation ids in the order the script applies them. f may
// block, holding the batch (and every later one) back. Call it before the
// first Reserve.
func OnBatch(s *Store, f func(ids []string)) {
	run := s.group.run
	s.group.run = func(ctx context.Context, q []*reserveReq) {
		ids := make([]string, len(q))
		for i, r := range q {
			ids[i] = r.args[0].(string)
		}
		f(ids)
		run(ctx, q)
	}
}

// Queued returns how many reservations wait for a batch.
func Queued(s *Store) int {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	n := 0
	for _, r := range s.group.queue {
		if !r.left {
			n++
		}
	}
	return n
}
