package countstate

import (
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// Expire walks every key in steps, removing keys left empty (which moves
// another key into the walked position) without missing one.
func TestExpireWalksEveryKeyInSteps(t *testing.T) {
	s := NewTracked()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		at := t0
		if i%2 == 1 {
			at = t0.Add(3 * time.Hour)
		}
		s.Reserve("id"+strconv.Itoa(i), uint64(i+1), at, []storage.Limit{{Key: "k" + strconv.Itoa(i), Window: time.Hour, Max: 1}})
	}
	removed := 0
	for from := 0; from >= 0; {
		var n int
		n, from = s.ExpireSome(t0.Add(2*time.Hour), from, 7)
		removed += n
	}
	if keys, ids := s.Size(); removed != 5_000 || keys != 5_000 || ids != 5_000 {
		t.Fatalf("removed %d; %d keys, %d ids left; want 5000 each", removed, keys, ids)
	}
	checkInvariants(t, s)
	if f := s.Forgotten(); len(f) != 5_000 {
		t.Fatalf("%d ids reported forgotten, want 5000", len(f))
	}
}

// BenchmarkExpire1M measures an Expire walk over 1,000,000 keys of which none
// expires (a full scan), and the longest step it holds the lock for:
//
//	go test -run '^$' -bench Expire1M -benchtime 3x ./storage/internal/countstate/
func BenchmarkExpire1M(b *testing.B) {
	s := New()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for i := range 1_000_000 {
		k := "frequency|" + strconv.Itoa(1_000_000_000+i) + "|cap|callee|30d"
		s.Reserve("dg-0123456789abcdef-"+strconv.Itoa(i), 0, t0.Add(time.Duration(i)*time.Second),
			[]storage.Limit{{Key: k, Window: 24 * time.Hour, Max: 2}, {Key: k, Window: 30 * 24 * time.Hour, Max: 10}})
	}
	var worst time.Duration
	b.ResetTimer()
	for b.Loop() {
		for from := 0; from >= 0; {
			t1 := time.Now()
			_, from = s.ExpireSome(t0.Add(12*24*time.Hour), from, ExpireChunk)
			worst = max(worst, time.Since(t1))
		}
	}
	b.ReportMetric(float64(worst.Microseconds()), "µs-longest-step")
}
