package sidecar

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage/memstore"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestRevokeConsentUnsetInstantIsNow: a revoked_at before 2000 — the zero
// Timestamp (1970) a client sends when it fills the field by mistake — is
// the server's clock, as an absent one is. Taken literally it revoked the
// consent as of its grant, and a withdrawal that old does not reach the
// consents granted since under the line's other spelling (a French overseas
// number): one granted a day later, and before the withdrawal, kept
// allowing dials.
func TestRevokeConsentUnsetInstantIsNow(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	s := memstore.New()
	be := &Backend{}
	wireConsent(be, s)
	srv := &adminServer{be: be, now: func() time.Time { return now }, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rec := func(id, number string, granted time.Time) consent.Record {
		return consent.Record{ID: id, Number: dialgate.MustParseNumber(number), Scope: "industry:finance",
			Method: consent.MethodWritten, EvidenceURI: "s3://consents/" + id + ".pdf", GrantedAt: granted}
	}
	for _, r := range []consent.Record{
		rec("c-national", "+33596000101", now.Add(-48*time.Hour)),
		rec("c-local", "+596596000101", now.Add(-24*time.Hour)),
	} {
		if err := s.AddConsent(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-national", RevokedAt: &timestamppb.Timestamp{}, Channel: "call"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Consent(ctx, "c-national")
	if err != nil {
		t.Fatal(err)
	}
	if !got.RevokedAt.Equal(now) {
		t.Errorf("revoked_at 1970 stored as %s, want the server's clock %s", got.RevokedAt, now)
	}
	check, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "test"},
	}}}, s)
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+596596000101"), Purpose: dialgate.PurposeMarketing, Industry: "finance", At: now.Add(time.Minute)}
	rs, err := check.Check(ctx, d)
	if err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeConsentRevoked {
		t.Fatalf("dial of the line after the withdrawal = %+v, %v; want consent.revoked", rs, err)
	}
}

// TestRevokeConsentFutureInstantIsNow: a revoked_at after the server's clock
// (a mistyped year or zone offset) was stored as given, while the local
// `dialgate consent revoke --at` takes such an instant as now: the consent
// store, `consent show`, the change record and the quarterly report then
// dated the withdrawal in a later quarter than the one it was taken in.
// A withdrawal is never refused for its instant, so it is the server's
// clock, as the CLI does.
func TestRevokeConsentFutureInstantIsNow(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	s := memstore.New()
	be := &Backend{}
	wireConsent(be, s)
	srv := &adminServer{be: be, now: func() time.Time { return now }, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.AddConsent(ctx, consent.Record{ID: "c-1", Number: dialgate.MustParseNumber("+8613900139031"), Scope: "industry:finance",
		Method: consent.MethodWritten, EvidenceURI: "s3://consents/c-1.pdf", GrantedAt: now.Add(-48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	future := now.AddDate(1, 0, 0)
	if _, err := srv.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-1", RevokedAt: timestamppb.New(future), Channel: "call"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Consent(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.RevokedAt.Equal(now) {
		t.Errorf("revoked_at %s (in the future) stored as %s, want the server's clock %s", future, got.RevokedAt, now)
	}
}
