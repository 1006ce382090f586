package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate/storage"
)

// TestRecordRunDropsExpiredHolders: a value recorded again within every
// window (a callee dialled daily) keeps its set of holding ids alive — each
// record refreshes its expiry — and every record added its id, while the
// ids' own record keys expired: the set grew by an id a dial for as long as
// the number kept being dialled. A record now drops from the set the ids
// whose record key is gone.
func TestRecordRunDropsExpiredHolders(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	s := open(t, url, p)
	ctx := context.Background()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	params := storage.RunParams{MinRun: 20, MaxGap: 2, Window: time.Hour}
	t0 := time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
	for i := range 10 {
		id := "d" + strconv.Itoa(i)
		if _, ok, err := s.RecordRun(ctx, id, "k", 1234, t0.Add(time.Duration(i)*30*time.Minute), params); err != nil || !ok {
			t.Fatalf("record %s: %v %v", id, ok, err)
		}
		if i >= 3 {
			// The record of the id three before has expired (its key's
			// time to live is the window, the margin and the slack).
			if err := c.Del(ctx, "{"+p+"}:ri:d"+strconv.Itoa(i-3)).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := c.SCard(ctx, "{"+p+"}:rm:k:1234").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n > 4 {
		t.Fatalf("value 1234 is held by %d ids after 10 records, 7 of whose record keys expired; want at most the 4 whose keys remain", n)
	}
}
