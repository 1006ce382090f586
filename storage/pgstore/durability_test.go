package pgstore_test

import (
	"context"
	"strings"
	"testing"
)

// A database, role or URL whose default is synchronous_commit = off (a
// common throughput setting) makes PostgreSQL acknowledge a commit before
// its WAL is flushed: a crash then loses opt-outs, revocations and
// reservations the store reported written. The store's sessions commit
// with synchronous_commit on whatever the default.
func TestCommitsWaitForTheWALUnderAsyncDefault(t *testing.T) {
	url := pgURL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s := open(t, url+sep+"synchronous_commit=off", newSchema(t, url))
	ctx := context.Background()
	// Every connection of the pool, not only the first.
	conns := 0
	for range 4 {
		c, err := s.Pool().Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		var v string
		if err := c.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v == "off" {
			t.Errorf("connection %d: synchronous_commit = %s, want the commit to wait for the WAL flush", conns, v)
		}
		conns++
	}
}
