package sidecar

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/consent"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage/memstore"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// changeSink keeps the change records written to it.
type changeSink struct {
	mu sync.Mutex
	cs []auditlog.Change
}

func (s *changeSink) RecordChange(_ context.Context, c auditlog.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cs = append(s.cs, c)
	return nil
}

// TestRevokeConsentChangeDatedAsStored: the consent.revoke change record's
// effective_at is the instant the withdrawal is dated as stored (auditlog:
// "revoked_at"), as `dialgate consent revoke` writes it — not the
// revoked_at the request asked for. A revoked_at before the consent's
// granted_at is stored as granted_at, and a second withdrawal leaves the
// first one's instant; the record said otherwise, so the audit log dated
// the withdrawal at an instant the store (and the consent check) never
// held: before the consent existed, or after it was in fact withdrawn.
func TestRevokeConsentChangeDatedAsStored(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	granted := now.Add(-time.Hour)
	s := memstore.New()
	sink := &changeSink{}
	be := &Backend{Changes: sink}
	wireConsent(be, s)
	srv := &adminServer{be: be, now: func() time.Time { return now }, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.AddConsent(ctx, consent.Record{ID: "c-1", Number: dialgate.MustParseNumber("+8613900139000"), Scope: "industry:finance",
		Method: consent.MethodWritten, EvidenceURI: "s3://consents/c-1.pdf", GrantedAt: granted}); err != nil {
		t.Fatal(err)
	}
	// Before the grant (the dialer's clock behind the capture system's):
	// revoked as of the grant.
	early := granted.Add(-30 * time.Minute)
	if _, err := srv.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-1", RevokedAt: timestamppb.New(early), Channel: "call"}); err != nil {
		t.Fatal(err)
	}
	// Again, later: the first withdrawal stands.
	if _, err := srv.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-1", RevokedAt: timestamppb.New(now.Add(-time.Minute)), Channel: "web"}); err != nil {
		t.Fatal(err)
	}
	stored, err := s.Consent(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if !stored.RevokedAt.Equal(granted) {
		t.Fatalf("stored revoked_at %s, want granted_at %s", stored.RevokedAt, granted)
	}
	if len(sink.cs) != 2 {
		t.Fatalf("%d change records, want 2", len(sink.cs))
	}
	for i, c := range sink.cs {
		if c.Op != auditlog.OpConsentRevoke || c.Result != auditlog.ResultApplied {
			t.Fatalf("change %d: %s %s", i, c.Op, c.Result)
		}
		if !c.EffectiveAt.Equal(stored.RevokedAt) {
			t.Errorf("change %d: effective_at %s, want the stored revoked_at %s", i, c.EffectiveAt, stored.RevokedAt)
		}
	}
}
