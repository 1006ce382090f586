package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// TestExtendedExpiryKeptByLaterReservation: a counter key ExtendCounterExpiry
// kept past its window (the earlier key of a lengthened frequency window,
// which the new configuration still counts) must keep that expiry when a
// process still on the earlier configuration (a rolling deploy) reserves
// under it again: the reservation set the key's expiry back to its short
// window plus the slack, and the calls it counts left with the key while
// the lengthened window still counted them (a cap under-counted: allowed
// calls it should have denied). The member count goes with its key.
func TestExtendedExpiryKeptByLaterReservation(t *testing.T) {
	s, c, p := mcStore(t, time.Millisecond)
	ctx := context.Background()
	at := mcAt
	lim := []storage.Limit{{Key: "kept/k/f", Member: "a", Window: 200 * time.Millisecond, Max: 5}}
	if ok, _, err := s.Reserve(ctx, "k-1", at, lim); err != nil || !ok {
		t.Fatalf("reserve k-1: ok=%v err=%v", ok, err)
	}
	now := time.Now()
	if n, err := s.ExtendCounterExpiry(ctx, "/f", now.Add(time.Minute), now); err != nil || n != 1 {
		t.Fatalf("ExtendCounterExpiry: %d, %v; want 1 key", n, err)
	}
	// A process of the earlier configuration reserves again, with the
	// short window and another member.
	lim[0].Member = "b"
	if ok, _, err := s.Reserve(ctx, "k-2", at.Add(time.Millisecond), lim); err != nil || !ok {
		t.Fatalf("reserve k-2: ok=%v err=%v", ok, err)
	}
	for _, k := range []string{"{" + p + "}:c:kept/k/f", "{" + p + "}:m:kept/k/f"} {
		if d := c.PTTL(ctx, k).Val(); d < 30*time.Second {
			t.Errorf("%s expires in %v after a reservation, want the extension (about 1m) kept", k, d)
		}
	}
	time.Sleep(400 * time.Millisecond)
	u, err := s.Usage(ctx, at.Add(2*time.Millisecond), []storage.Limit{{Key: "kept/k/f", Member: "c", Window: time.Hour, Max: 5}})
	if err != nil || u[0].Count != 2 {
		t.Fatalf("usage past the short window: %+v, %v; want count 2 (kept by the extension)", u, err)
	}
}

// TestExtendedEntriesNotPrunedByLaterReservation: a process still on the
// earlier configuration (a rolling deploy) that reserves under a counter key
// ExtendCounterExpiry kept for a lengthened window, after the calls it
// counts have left its own (short) window, must not prune them: the new
// configuration still counts them under the key for the longer window.
// Keeping the key's expiry was not enough: the reservation deleted the
// entries themselves (a cap under-counted: calls allowed it should have
// denied).
func TestExtendedEntriesNotPrunedByLaterReservation(t *testing.T) {
	s, _, _ := mcStore(t, time.Millisecond)
	ctx := context.Background()
	at := mcAt
	lim := []storage.Limit{{Key: "pruned/k/f", Member: "a", Window: 200 * time.Millisecond, Max: 5}}
	if ok, _, err := s.Reserve(ctx, "p-1", at, lim); err != nil || !ok {
		t.Fatalf("reserve p-1: ok=%v err=%v", ok, err)
	}
	now := time.Now()
	if n, err := s.ExtendCounterExpiry(ctx, "/f", now.Add(time.Minute), now); err != nil || n != 1 {
		t.Fatalf("ExtendCounterExpiry: %d, %v; want 1 key", n, err)
	}
	// The earlier configuration reserves again once p-1 has left its
	// short window (its prune bound is past p-1).
	lim[0].Member = "b"
	if ok, _, err := s.Reserve(ctx, "p-2", at.Add(300*time.Millisecond), lim); err != nil || !ok {
		t.Fatalf("reserve p-2: ok=%v err=%v", ok, err)
	}
	u, err := s.Usage(ctx, at.Add(301*time.Millisecond), []storage.Limit{{Key: "pruned/k/f", Member: "c", Window: time.Hour, Max: 5}})
	if err != nil || u[0].Count != 2 {
		t.Fatalf("usage with the lengthened window: %+v, %v; want count 2 (p-1 kept by the extension, not pruned)", u, err)
	}
}
