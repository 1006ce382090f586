package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
)

// consentUnkeptRefused: a record or a withdrawal that a store cannot keep as
// given is refused by every store alike, with an error wrapping
// consent.ErrInvalid that names the field, and nothing of it is written.
// The JSON stores (boltstore, redisstore, pgstore) wrote invalid UTF-8 in the
// evidence URI or a channel as U+FFFD — the evidence pointer read back was
// another than the one given — and failed an instant outside years
// 0000–9999 with a back-end error ("storage: unavailable" for a withdrawal
// in boltstore), while the memstore kept both as given.
func consentUnkeptRefused(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	lmt := time.FixedZone("LMT", 8*3600+5*60+43) // RFC 3339 drops the 43 s
	bad := []struct {
		field string
		edit  func(r *consent.Record)
	}{
		{"channel", func(r *consent.Record) { r.Channel = "web\xff" }},
		{"evidence_uri", func(r *consent.Record) { r.EvidenceURI = "https://evidence.example/\xff" }},
		{"expires_at", func(r *consent.Record) { r.ExpiresAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"granted_at", func(r *consent.Record) { r.GrantedAt = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"granted_at", func(r *consent.Record) { r.GrantedAt = time.Date(2026, 12, 5, 9, 0, 0, 0, lmt) }},
	}
	for i, b := range bad {
		r := conRecord(fmt.Sprintf("c-bad-%d", i), conNum, t0)
		b.edit(&r)
		err := s.AddConsent(ctx, r)
		var fe *consent.FieldError
		if !errors.Is(err, consent.ErrInvalid) || !errors.As(err, &fe) || fe.Field != b.field {
			return fmt.Errorf("AddConsent with a %s no store can keep as given = %v, want consent.ErrInvalid naming %s", b.field, err, b.field)
		}
	}
	if err := expectRevision(ctx, s, 0); err != nil {
		return fmt.Errorf("after refused grants: %w", err)
	}
	r := conRecord("c-1", conNum, t0)
	if err := s.AddConsent(ctx, r); err != nil {
		return err
	}
	for _, w := range []struct {
		at      time.Time
		channel string
		field   string
	}{
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "sms", "revoked_at"},
		{time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), "sms", "revoked_at"},
		{t0.Add(time.Hour), "sms\xff", "revocation_channel"},
	} {
		_, err := s.RevokeConsent(ctx, "c-1", w.at, w.channel)
		var fe *consent.FieldError
		if !errors.Is(err, consent.ErrInvalid) || !errors.As(err, &fe) || fe.Field != w.field {
			return fmt.Errorf("RevokeConsent(at %s, channel %q) = %v, want consent.ErrInvalid naming %s", w.at, w.channel, err, w.field)
		}
		if errors.Is(err, storage.ErrUnavailable) {
			return fmt.Errorf("RevokeConsent(at %s, channel %q) = %v: bad input reported as an unavailable store (a caller retries it forever)", w.at, w.channel, err)
		}
	}
	if err := expectRevision(ctx, s, 1); err != nil {
		return fmt.Errorf("after refused withdrawals: %w", err)
	}
	got, err := s.RevokeConsent(ctx, "c-1", t0.Add(time.Hour), "sms")
	if err != nil || !got.Revoked() {
		return fmt.Errorf("RevokeConsent after refused ones = %+v, %v; want revoked", got, err)
	}
	return expectRevision(ctx, s, 2)
}
