package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate/storage"
)

// A restarted server has no script cached: run (a script and the epoch read
// in one pipeline) sends the script itself after NOSCRIPT, once, and a
// script that answers an error reply keeps it (the epoch being sound).
func TestRunAfterNoScript(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_REDIS")
	if url == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set")
	}
	var b [8]byte
	rand.Read(b[:])
	p := "dgtest-" + hex.EncodeToString(b[:])
	ctx := context.Background()
	s, err := Open(ctx, url, Options{Prefix: p})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		s.rdb.Del(ctx, s.epochKey())
		s.Close()
	}()
	// A script text no server has seen: its SHA1 is not cached.
	sc := redis.NewScript("return ARGV[1] .. '-" + hex.EncodeToString(b[:]) + "'")
	v, err := s.run(ctx, s.rdb, sc, nil, "x").Text()
	if err != nil || v != "x-"+hex.EncodeToString(b[:]) {
		t.Fatalf("first run of an uncached script: %q, %v", v, err)
	}
	bad := redis.NewScript("return redis.error_reply('DGTEST " + hex.EncodeToString(b[:]) + "')")
	if err := s.run(ctx, s.rdb, bad, nil).Err(); !redis.HasErrorPrefix(err, "DGTEST") {
		t.Fatalf("a script's error reply: %v; want it kept", err)
	}
	s.rdb.Del(ctx, s.epochKey())
	if err := s.run(ctx, s.rdb, bad, nil).Err(); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("a script's error reply on an emptied store: %v; want the emptied store's error", err)
	}
}
