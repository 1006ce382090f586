package redisstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/storetest"
)

// BatchesInFlight is how many script calls a Store's reservations (or usage
// reads) have in flight at most.
const BatchesInFlight = batchesInFlight

// OnBatch makes s call f, before sending each batch of reservations, with
// the batch's reservation ids in the order the script applies them. f may
// block, holding the batch (and every later one) back. Call it before the
// first Reserve.
func OnBatch(s *Store, f func(ids []string)) {
	hook(s.reserves, func(q []*batchReq) {
		ids := make([]string, len(q))
		for i, r := range q {
			ids[i] = r.args[0].(string)
		}
		f(ids)
	})
}

// OnUsageBatch is OnBatch for Usage: f gets the number of requests.
func OnUsageBatch(s *Store, f func(n int)) {
	hook(s.usages, func(q []*batchReq) { f(len(q)) })
}

func hook(b *batcher, f func([]*batchReq)) {
	run := b.run
	b.run = func(ctx context.Context, q []*batchReq) {
		f(q)
		run(ctx, q)
	}
}

// Queued returns how many reservations wait for a batch.
func Queued(s *Store) int { return queued(s.reserves) }

// QueuedUsage returns how many Usage calls wait for a batch.
func QueuedUsage(s *Store) int { return queued(s.usages) }

func queued(b *batcher) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, r := range b.queue {
		if !r.left {
			n++
		}
	}
	return n
}

// OpenKnowing opens the store as an older build that reads schema versions
// up to max would.
func OpenKnowing(ctx context.Context, url string, opts Options, max int) (*Store, error) {
	return open(ctx, url, opts, max)
}

// SchemaTenantConsents is the schema version the first consent naming a
// tenant raises a store to.
const SchemaTenantConsents = schemaTenantConsents

// DeafenFeed makes the DNC change feed's subscription unsubscribe from every
// channel before its next wait, as a connection that stays up while the
// server it reaches no longer relays the writers' messages leaves it: it
// answers a PING, and no message arrives.
func DeafenFeed(s *Store) {
	f := func(ctx context.Context, ps *redis.PubSub) { _ = ps.Unsubscribe(ctx) }
	s.feedHook.Store(&f)
}

// Plant writes r's bytes under its key as given, bypassing every check (for
// storetest.WithPlant).
func Plant(ctx context.Context, store any, r storetest.RawRecord) error {
	s := store.(*Store)
	num := numKey(r.Number)
	switch r.Kind {
	case "consent":
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, s.pfx+"cr:"+r.ID, r.JSON, 0)
			p.SAdd(ctx, s.pfx+"cn:"+num, r.ID)
			return nil
		})
		return err
	case "consent index":
		return s.rdb.SAdd(ctx, s.pfx+"cn:"+num, r.ID).Err()
	case "consent event":
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.ZAdd(ctx, s.pfx+"ce", redis.Z{Score: float64(r.Seq), Member: string(r.JSON)})
			p.RPush(ctx, s.pfx+"ch:"+num, string(r.JSON))
			return nil
		})
		return err
	case "dnc entry":
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.pfx+"d:"+num, "s:"+r.Scope, r.JSON)
			p.ZAdd(ctx, s.pfx+"dn", redis.Z{Member: num})
			return nil
		})
		return err
	}
	return fmt.Errorf("redisstore: cannot plant a %q", r.Kind)
}

// ReplacedDNC returns the items of the list where AddDNC keeps the damaged
// entries it replaced.
func ReplacedDNC(ctx context.Context, s *Store) ([]string, error) {
	return s.rdb.LRange(ctx, s.pfx+"dr", 0, -1).Result()
}

// SetDNCHoldStamp sets the hold stamp of the entry (n, scope) as another
// tool would.
func SetDNCHoldStamp(ctx context.Context, s *Store, n dialgate.Number, scope string, t time.Time) error {
	return s.rdb.HSet(ctx, s.pfx+"d:"+numKey(n), "h:"+scope, holdStamp(t)).Err()
}

// HoldFeed makes the DNC change feed's goroutine stop, before its next
// wait, until release is called (or the Store closes): a feed slow to relay
// the other processes' changes (a busy host, a slow network). held is
// closed once it has stopped; nothing is relayed meanwhile, and no
// heartbeat runs.
func HoldFeed(s *Store) (held <-chan struct{}, release func()) {
	h, r := make(chan struct{}), make(chan struct{})
	f := func(ctx context.Context, _ *redis.PubSub) {
		close(h)
		select {
		case <-r:
		case <-ctx.Done():
		}
	}
	s.feedHook.Store(&f)
	return h, sync.OnceFunc(func() { close(r) })
}
