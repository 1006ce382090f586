package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/faultproxy"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// arg is how a command argument travels in RESP: a marker for
// faultproxy.LoseReplyTo that matches the argument alone, not a key that
// contains it.
func arg(s string) []byte { return fmt.Appendf(nil, "$%d\r\n%s\r\n", len(s), s) }

// A write whose reply is lost after the server applied it (the connection
// drops on the way back) and that the client sends again on a new
// connection must answer what the write did, not what its repetition
// found: a removal of an opt-out answered "not listed" is recorded by the
// sidecar as a request that changed nothing while the opt-out is gone, and
// a grant answered "id exists" as a retry that stored nothing.
func TestLostReplyWrites(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	px, purl := faultproxy.ForURL(t, url, "6379")
	s := open(t, purl, p)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	t.Run("RemoveDNC", func(t *testing.T) {
		n := dialgate.MustParseNumber("+8613800138031")
		e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call", AddedAt: t0, Evidence: "decision:dg-1"}
		if err := s.AddDNC(ctx, e); err != nil {
			t.Fatal(err)
		}
		px.LoseReplyTo(arg(fmt.Sprintf("%020d", n.Uint64())))
		lost := px.Lost()
		err := s.RemoveDNC(ctx, n, e.Scope, t0.Add(time.Hour))
		if px.Lost() != lost+1 {
			t.Fatalf("no reply was lost (RemoveDNC: %v)", err)
		}
		t.Logf("RemoveDNC: %v", err)
		es, gerr := s.DNCEntries(ctx, n)
		if gerr != nil {
			t.Fatal(gerr)
		}
		if len(es) != 0 {
			t.Fatalf("the entry is still listed after RemoveDNC (%v): %v", err, es)
		}
		if errors.Is(err, dnc.ErrNotListed) {
			t.Fatalf("RemoveDNC whose reply was lost = %v: the opt-out this call removed is reported as never listed (recorded as unchanged)", err)
		}
		if err != nil {
			// go-redis sends the script again (its default retries): the
			// repeated run must answer what the first did. An error here
			// would mean the repetition was not tested at all.
			t.Fatalf("RemoveDNC = %v, want nil (the repeated run answers as the first)", err)
		}
	})

	t.Run("AddConsent", func(t *testing.T) {
		r := consent.Record{ID: "c-lost-1", Number: dialgate.MustParseNumber("+8613800138032"), Scope: "industry:finance",
			Method: consent.MethodWebForm, DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			GrantedAt: t0, ExpiresAt: t0.AddDate(1, 0, 0)}
		px.LoseReplyTo(arg(r.ID))
		lost := px.Lost()
		err := s.AddConsent(ctx, r)
		if px.Lost() != lost+1 {
			t.Fatalf("no reply was lost (AddConsent: %v)", err)
		}
		if _, gerr := s.Consent(ctx, r.ID); gerr != nil {
			t.Fatalf("the consent is not stored after AddConsent (%v): %v", err, gerr)
		}
		if errors.Is(err, storage.ErrConflict) {
			t.Fatalf("AddConsent whose reply was lost = %v: the grant this call stored is reported as an id taken before (recorded as a retry that stored nothing)", err)
		}
		if err != nil {
			t.Fatalf("AddConsent = %v, want nil (the repeated run answers as the first)", err)
		}
	})
}

// A write whose reply is lost and whose retries cannot reach the server
// may be in force: its error wraps storage.ErrMaybeApplied (the sidecar
// then says so), not a bare ErrUnavailable ("not applied").
func TestLostReplyWritesUnreachable(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	px, purl := faultproxy.ForURL(t, url, "6379")
	s := open(t, purl, p)
	w := open(t, url, p) // another process, straight to the server
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	n := dialgate.MustParseNumber("+8613800138033")
	e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call", AddedAt: t0, Evidence: "decision:dg-1"}
	if err := w.AddDNC(ctx, e); err != nil {
		t.Fatal(err)
	}
	px.LoseReplyAndCut(arg(fmt.Sprintf("%020d", n.Uint64())))
	err := s.RemoveDNC(ctx, n, e.Scope, t0.Add(time.Hour))
	if px.Lost() != 1 {
		t.Fatalf("no reply was lost (RemoveDNC: %v)", err)
	}
	if es, gerr := w.DNCEntries(ctx, n); gerr != nil || len(es) != 0 {
		t.Fatalf("the removal was not applied (%v, %v): the test lost no applied write's reply", es, gerr)
	}
	if !errors.Is(err, storage.ErrMaybeApplied) {
		t.Fatalf("RemoveDNC applied, its reply lost, the server unreachable since = %v, want storage.ErrMaybeApplied", err)
	}
	px.Restore()

	r := consent.Record{ID: "c-lost-2", Number: dialgate.MustParseNumber("+8613800138034"), Scope: "industry:finance",
		Method: consent.MethodWebForm, DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		GrantedAt: t0, ExpiresAt: t0.AddDate(1, 0, 0)}
	px.LoseReplyAndCut(arg(r.ID))
	err = s.AddConsent(ctx, r)
	if px.Lost() != 2 {
		t.Fatalf("no reply was lost (AddConsent: %v)", err)
	}
	if _, gerr := w.Consent(ctx, r.ID); gerr != nil {
		t.Fatalf("the grant was not applied (%v)", gerr)
	}
	if !errors.Is(err, storage.ErrMaybeApplied) {
		t.Fatalf("AddConsent applied, its reply lost, the server unreachable since = %v, want storage.ErrMaybeApplied", err)
	}
	px.Restore()
}

// With WaitReplicas, a revocation retried after its WAIT failed writes the
// record again to wait for it: when that rewrite's reply is lost and the
// server stays unreachable, the revocation (made by the first call) is in
// force, and the error says it may be (storage.ErrMaybeApplied), not "not
// applied".
func TestLostReplyRevokeRewrite(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	px, purl := faultproxy.ForURL(t, url, "6379")
	s := openOpts(t, purl, redisstore.Options{Prefix: p, Heartbeat: 100 * time.Millisecond, WaitReplicas: 1, WaitTimeout: 10 * time.Millisecond})
	w := open(t, url, p)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := consent.Record{ID: "c-lost-3", Number: dialgate.MustParseNumber("+8613800138035"), Scope: "industry:finance",
		Method: consent.MethodWebForm, DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		GrantedAt: t0, ExpiresAt: t0.AddDate(1, 0, 0)}
	if err := w.AddConsent(ctx, r); err != nil {
		t.Fatal(err)
	}
	// No replica acknowledges: the revocation is made, its WAIT fails.
	if _, err := s.RevokeConsent(ctx, r.ID, t0.Add(time.Hour), "phone"); !errors.Is(err, storage.ErrMaybeApplied) {
		t.Fatalf("RevokeConsent without a replica = %v, want ErrMaybeApplied (written, not replicated)", err)
	}
	px.LoseReplyAndCut([]byte(`"revoked_at"`)) // the rewrite carries the record
	_, err := s.RevokeConsent(ctx, r.ID, t0.Add(time.Hour), "phone")
	if px.Lost() != 1 {
		t.Fatalf("no reply was lost (%v)", err)
	}
	if c, gerr := w.Consent(ctx, r.ID); gerr != nil || !c.Revoked() {
		t.Fatalf("the consent is not revoked: %+v, %v", c, gerr)
	}
	if !errors.Is(err, storage.ErrMaybeApplied) {
		t.Fatalf("the retried revocation whose rewrite's reply was lost = %v, want ErrMaybeApplied (the revocation is in force)", err)
	}
}
