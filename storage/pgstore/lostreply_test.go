package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/faultproxy"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/pgstore"
)

// A write whose COMMIT reached the server but whose reply was lost (the
// connection dropped on the way back) is applied: reporting it failed
// ("not applied" to the AdminService's client and in the audit log) left
// an opt-out removed, a consent granted or revoked that the log says was
// not, and the client's retry is then recorded as changing nothing — a
// revocation lost from the count. The store asks the server whether the
// transaction committed and answers accordingly.
func TestLostCommitReply(t *testing.T) {
	url := pgURL(t)
	schema := newSchema(t, url)
	px, purl := faultproxy.ForURL(t, url, "5432")
	s := open(t, purl, schema)
	t.Cleanup(px.Cut) // before the store closes
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	commit := []byte("commit\x00")
	lose := func(t *testing.T, what string, f func() error) {
		t.Helper()
		px.LoseReplyTo(commit)
		lost := px.Lost()
		err := f()
		if px.Lost() != lost+1 {
			t.Fatalf("%s: no reply was lost (%v)", what, err)
		}
		if err != nil {
			t.Fatalf("%s whose COMMIT reply was lost, the transaction committed = %v, want nil", what, err)
		}
	}

	t.Run("RemoveDNC", func(t *testing.T) {
		n := dialgate.MustParseNumber("+8613800138041")
		e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call", AddedAt: t0, Evidence: "decision:dg-1"}
		if err := s.AddDNC(ctx, e); err != nil {
			t.Fatal(err)
		}
		lose(t, "RemoveDNC", func() error { return s.RemoveDNC(ctx, n, e.Scope, t0.Add(time.Hour)) })
		if es, err := s.DNCEntries(ctx, n); err != nil || len(es) != 0 {
			t.Fatalf("after RemoveDNC: %v, %v; want no entry", es, err)
		}
	})

	r := consent.Record{ID: "c-lost-1", Number: dialgate.MustParseNumber("+8613800138042"), Scope: "industry:finance",
		Method: consent.MethodWebForm, DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		GrantedAt: t0, ExpiresAt: t0.AddDate(1, 0, 0)}
	t.Run("AddConsent", func(t *testing.T) {
		lose(t, "AddConsent", func() error { return s.AddConsent(ctx, r) })
		if _, err := s.Consent(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("RevokeConsent", func(t *testing.T) {
		var got consent.Record
		lose(t, "RevokeConsent", func() (err error) {
			got, err = s.RevokeConsent(ctx, r.ID, t0.Add(time.Hour), "phone")
			return err
		})
		if !got.Revoked() {
			t.Fatalf("RevokeConsent returned %+v, want the revoked record", got)
		}
		if c, err := s.Consent(ctx, r.ID); err != nil || !c.Revoked() {
			t.Fatalf("after RevokeConsent: %+v, %v", c, err)
		}
	})

	// A COMMIT that never reached the server is not applied: the error says
	// so (the store is unavailable), and nothing is stored.
	t.Run("CommitNotSent", func(t *testing.T) {
		n := dialgate.MustParseNumber("+8613800138043")
		e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call", AddedAt: t0, Evidence: "decision:dg-2"}
		px.LoseReplyTo([]byte("+8613800138043")) // the entry's INSERT (its JSON): the connection drops before COMMIT
		lost := px.Lost()
		err := s.AddDNC(ctx, e)
		if px.Lost() != lost+1 {
			t.Fatalf("no reply was lost (%v)", err)
		}
		if errors.Is(err, storage.ErrMaybeApplied) {
			t.Fatalf("AddDNC whose COMMIT was never sent = %v: reported as perhaps applied", err)
		}
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Fatalf("AddDNC whose statement's reply was lost = %v, want ErrUnavailable", err)
		}
		if es, err := s.DNCEntries(ctx, n); err != nil || len(es) != 0 {
			t.Fatalf("after the failed AddDNC: %v, %v; want no entry", es, err)
		}
	})
}

// A COMMIT whose reply is lost while the server stays unreachable: whether
// it committed cannot be told, and the error says the write may be in
// force (pgstore.ErrCommitUnknown, storage.ErrMaybeApplied), not that it
// was not applied.
func TestLostCommitReplyUnreachable(t *testing.T) {
	url := pgURL(t)
	schema := newSchema(t, url)
	px, purl := faultproxy.ForURL(t, url, "5432")
	s := open(t, purl, schema)
	w := open(t, url, schema) // another process, straight to the server
	t.Cleanup(px.Cut)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	n := dialgate.MustParseNumber("+8613800138044")
	e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call", AddedAt: t0, Evidence: "decision:dg-1"}
	if err := w.AddDNC(ctx, e); err != nil {
		t.Fatal(err)
	}
	px.LoseReplyAndCut([]byte("commit\x00"))
	start := time.Now()
	err := s.RemoveDNC(ctx, n, e.Scope, t0.Add(time.Hour))
	if px.Lost() != 1 {
		t.Fatalf("no reply was lost (%v)", err)
	}
	if es, gerr := w.DNCEntries(ctx, n); gerr != nil || len(es) != 0 {
		t.Fatalf("the removal did not commit (%v, %v): the test lost no committed write's reply", es, gerr)
	}
	if !errors.Is(err, pgstore.ErrCommitUnknown) || !errors.Is(err, storage.ErrMaybeApplied) {
		t.Fatalf("RemoveDNC committed, its reply lost, the server unreachable since = %v, want ErrCommitUnknown (storage.ErrMaybeApplied)", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("RemoveDNC took %v to give up asking", d)
	}
}

// fatalReply is a PostgreSQL ErrorResponse of severity FATAL with code
// (a backend terminated).
func fatalReply(code, msg string) []byte {
	var f []byte
	for _, kv := range [][2]string{{"S", "FATAL"}, {"V", "FATAL"}, {"C", code}, {"M", msg}} {
		f = append(f, kv[0][0])
		f = append(f, kv[1]...)
		f = append(f, 0)
	}
	f = append(f, 0)
	n := len(f) + 4
	return append([]byte{'E', byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, f...)
}

// A COMMIT the server applied, whose backend was then terminated before
// its reply (a fast shutdown or a fail-over tool terminating backends
// while the commit waits for a synchronous standby: "the transaction has
// already committed locally"), answers a FATAL error instead: that is no
// rollback, and the write is in force. The store asks the server, as for a
// lost reply, and answers nil.
func TestCommitAnsweredFatal(t *testing.T) {
	url := pgURL(t)
	schema := newSchema(t, url)
	px, purl := faultproxy.ForURL(t, url, "5432")
	s := open(t, purl, schema)
	t.Cleanup(px.Cut)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	n := dialgate.MustParseNumber("+8613800138045")
	e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call", AddedAt: t0, Evidence: "decision:dg-1"}
	if err := s.AddDNC(ctx, e); err != nil {
		t.Fatal(err)
	}
	px.ReplaceReplyTo([]byte("commit\x00"), fatalReply("57P01", "terminating connection due to administrator command"))
	err := s.RemoveDNC(ctx, n, e.Scope, t0.Add(time.Hour))
	if px.Lost() != 1 {
		t.Fatalf("no reply was replaced (%v)", err)
	}
	if es, gerr := s.DNCEntries(ctx, n); gerr != nil || len(es) != 0 {
		t.Fatalf("the removal did not commit (%v, %v): the test replaced no committed write's reply", es, gerr)
	}
	if err != nil {
		t.Fatalf("RemoveDNC committed, its COMMIT answered FATAL = %v, want nil (in force, not \"not applied\")", err)
	}
}
