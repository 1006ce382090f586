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
