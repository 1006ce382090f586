package redisstore

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// The encodings the scripts compare must stay what they were (fmt-built):
// stored entries and bounds are compared as strings.
func TestEncodingsMatchFmt(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ns := []int64{0, 1, -1, -instantOffset, -instantOffset + 1, instantOffset - 1, instantOffset, math.MinInt64, math.MaxInt64,
		time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC).UnixNano()}
	for range 2000 {
		ns = append(ns, r.Int64()-r.Int64(), r.Int64N(instantOffset)-r.Int64N(instantOffset))
	}
	windows := []time.Duration{1, time.Second, 24 * time.Hour, 720 * time.Hour, math.MaxInt64, time.Duration(instantOffset)}
	for _, n := range ns {
		want := fmt.Sprintf("%020d", uint64(n+instantOffset))
		if got := stamp(n); got != want {
			t.Fatalf("stamp(%d) = %q, want %q", n, got, want)
		}
		for _, w := range windows {
			lo := n - int64(w)
			want := "-"
			if !(lo+instantOffset < 0 || lo > n) {
				want = "(" + fmt.Sprintf("%020d", uint64(lo+instantOffset)) + ";"
			}
			if got := windowBound(n, w); got != want {
				t.Fatalf("windowBound(%d, %d) = %q, want %q", n, w, got, want)
			}
		}
		for _, id := range []string{"a", "frequency:0123456789abcdef", strings.Repeat("x", 999), strings.Repeat("y", storage.MaxKeyLen)} {
			want := fmt.Sprintf("%s:%04d%s", stamp(n), len(id), id)
			if got := entryPrefix(n, id); got != want {
				t.Fatalf("entryPrefix(%d, %d-byte id) = %q, want %q", n, len(id), got, want)
			}
		}
	}
}

// BenchmarkReserveArgs measures building one cn-shaped reservation's script
// arguments (client CPU, which shares the machine with the server).
func BenchmarkReserveArgs(b *testing.B) {
	s := &Store{opts: Options{KeyTTLSlack: DefaultKeyTTLSlack}}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	limits := []storage.Limit{
		{Key: "acme/+8613900000001/5m", Window: 5 * time.Minute, Max: 1},
		{Key: "acme/+8613900000001/24h", Window: 24 * time.Hour, Max: 2},
		{Key: "acme/+8613900000001/720h", Window: 720 * time.Hour, Max: 10},
	}
	b.ReportAllocs()
	for b.Loop() {
		s.reserveArgs("frequency:0123456789abcdef", at, limits)
	}
}
