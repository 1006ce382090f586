package dialgate_test

import (
	"context"
	"crypto/rand"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/internal/benchcpu"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/memstore"
)

// gateFleet is how many dialer goroutines per CPU BenchmarkGateCNParallel
// runs: a dialer fleet places many calls at once, and group commit needs
// concurrent appenders to batch.
const gateFleet = 128

// BenchmarkGateCNParallel is the realistic gate of issue 7's throughput
// target: the built-in cn profile with every check on an in-memory store
// (caller-ID ledger seeded, distinct callees spread over the 号段 so the
// frequency caps and sweep guards pass, inside the calling window), from
// gateFleet goroutines per CPU, without and with a durable audit log
// (group commit, fdatasync per batch, signed checkpoints). The target is
// audit=on at least half the decisions/s of audit=off.
func BenchmarkGateCNParallel(b *testing.B) {
	b.Run("audit=off", func(b *testing.B) { benchGateCN(b, false) })
	b.Run("audit=on", func(b *testing.B) { benchGateCN(b, true) })
}

func benchGateCN(b *testing.B, audit bool) {
	ctx := context.Background()
	p, err := policy.Builtin("cn")
	if err != nil {
		b.Fatal(err)
	}
	store := memstore.New()
	defer store.Close()
	key := []byte("bench key, 32 bytes, not secret!")
	deps, err := policy.StoreDeps(store, key)
	if err != nil {
		b.Fatal(err)
	}
	from := dialgate.MustParseNumber("+861058001234")
	if err := store.PutLedger(ctx, callerid.Entry{Tenant: "acme", Number: from, Type: callerid.TypeFixed, Holder: "Acme Ltd",
		Purposes: []dialgate.Purpose{dialgate.PurposeService}}); err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)) // Friday 10:00 in Shanghai
	// A long check timeout: on a loaded 2-core machine 256 goroutines can
	// keep one waiting past the default, and the Gate would then deny (fail
	// closed), which the benchmark treats as a failure.
	opts := []dialgate.Option{dialgate.WithClock(fixedClock(at)), dialgate.WithCheckTimeout(time.Minute)}
	var l *auditlog.Log
	if audit {
		skey, _, err := auditlog.GenerateKey(rand.Reader, "bench-log")
		if err != nil {
			b.Fatal(err)
		}
		signer, err := auditlog.NewSigner(skey)
		if err != nil {
			b.Fatal(err)
		}
		if l, err = auditlog.Open(ctx, b.TempDir(), auditlog.Options{HMACKey: key, HMACKeyID: "k-bench", Signer: signer, Profile: "cn"}); err != nil {
			b.Fatal(err)
		}
		opts = append(opts, dialgate.WithAuditLog(l))
	} else {
		opts = append(opts, dialgate.WithoutAuditLog())
	}
	g, err := policy.Build(p, deps, opts...)
	if err != nil {
		b.Fatal(err)
	}
	// Callee i: 号段 1300000+i%700000, last four digits scattered, so no
	// 号段 sees more than a few dials and none in sequence.
	var next atomic.Int64
	callee := func() dialgate.Number {
		i := next.Add(1)
		seg := 1_300_000 + i%700_000
		suf := (seg*7919 + i/700_000*104_729) % 10_000 // not one suffix through successive 号段: a stride
		n, err := dialgate.NumberFromUint64(uint64(86_000_000_000_00 + seg*10_000 + suf))
		if err != nil {
			panic(err)
		}
		return n
	}
	b.ReportAllocs()
	b.SetParallelism(gateFleet)
	stop := benchcpu.Start(b)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		d := dialgate.Dial{From: from, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
		for pb.Next() {
			d.To = callee()
			dec, err := g.Check(ctx, d)
			if err != nil || !dec.Allowed {
				b.Errorf("decision %v, %v", dec.Codes(), err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
	stop()
	b.StopTimer()
	if l != nil {
		st := l.Stats()
		if st.Batches > 0 {
			b.ReportMetric(float64(st.Records)/float64(st.Batches), "records/sync")
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
