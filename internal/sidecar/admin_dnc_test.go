package sidecar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestAddDNCFutureAddedAt: an opt-out dated after the server's clock (a
// wrong clock or zone offset, or a typo up to the year 9999) is recorded,
// as of the server's clock, and denies at once. It used to be refused as
// Unavailable ("retry", which could never succeed) when its hold ran past
// the year 9999, and otherwise kept a hold counted from an instant that has
// not come.
func TestAddDNCFutureAddedAt(t *testing.T) {
	e := startFull(t, Config{}, t.TempDir())
	ctx := ctxT(t)
	for i, at := range []time.Time{time.Date(9999, 6, 1, 0, 0, 0, 0, time.UTC), time.Now().Add(8 * time.Hour)} {
		num := []string{"+8613900139061", "+8613900139062"}[i]
		before := time.Now()
		if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global", Source: "opt_out",
			AddedAt: timestamppb.New(at)}); err != nil {
			t.Fatalf("added_at %s: %v", at.Format(time.RFC3339), err)
		}
		r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial(num)})
		if err != nil || r.GetDecision().GetAllowed() {
			t.Errorf("added_at %s: the opt-out does not deny: %v %v", at.Format(time.RFC3339), r, err)
		}
		es, err := e.srv.be.DNC.(dncAdmin).c.Lists().Lookup(ctx, dialgate.MustParseNumber(num))
		if err != nil || len(es) != 1 {
			t.Fatalf("entries: %v %v", es, err)
		}
		if es[0].AddedAt.After(time.Now()) || es[0].AddedAt.Before(before.Add(-time.Second)) {
			t.Errorf("added_at %s stored as %s, want the server's clock", at.Format(time.RFC3339), es[0].AddedAt.Format(time.RFC3339))
		}
	}
}

// brokenDNC is a DNCAdmin whose store fails with an error naming a file
// path and a server address, as store and driver errors do.
type brokenDNC struct{}

var errBrokenStore = errors.New("boltstore: AddDNC: write /srv/dialgate-data/dialgate.db: no space left on device (redis 10.0.0.5:6379)")

func (brokenDNC) AddDNC(context.Context, DNCEntry) error { return errBrokenStore }
func (brokenDNC) RemoveDNC(context.Context, dialgate.Number, string, time.Time) error {
	return errBrokenStore
}

// TestAdminErrorHidesInternals: a write the store fails answers Unavailable
// ("not applied; retry") without the store's error, which names the
// server's files and back-end addresses (GateService answers "internal
// error" likewise); the server's log keeps the cause, under the method.
func TestAdminErrorHidesInternals(t *testing.T) {
	var logs syncBuffer
	e := startTestLog(t, Config{}, func(be *Backend) { be.DNC = brokenDNC{} }, slog.New(slog.NewJSONHandler(&logs, nil)))
	ctx := ctxT(t)
	for name, call := range map[string]func() error{
		"AddDncEntry": func() error {
			_, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: "+8613900139063", Scope: "global"})
			return err
		},
		"RemoveDncEntry": func() error {
			_, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: "+8613900139063", Scope: "global"})
			return err
		},
	} {
		err := call()
		if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "retry") {
			t.Errorf("%s: %v, want Unavailable saying to retry", name, err)
		}
		for _, secret := range []string{"/srv/dialgate-data", "10.0.0.5", "boltstore"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the client's error names %q: %v", name, secret, err)
			}
		}
		if !strings.Contains(logs.String(), name) || !strings.Contains(logs.String(), "no space left on device") {
			t.Errorf("%s: the log lacks the cause: %s", name, logs.String())
		}
	}
}

// damagedDNC is a DNCAdmin whose store finds the entry damaged, wrapped as
// a store wraps it (with its file).
type damagedDNC struct{}

var errDamagedEntry = fmt.Errorf("boltstore: RemoveDNC: view /srv/dialgate-data/dialgate.db: %w", &storage.RecordError{
	Kind: "dnc entry", Key: dnc.StoredKey(dialgate.MustParseNumber("+8613900139063"), "global"),
	Err: fmt.Errorf("%w: added_at: missing", dnc.ErrInvalidEntry)})

func (damagedDNC) AddDNC(context.Context, DNCEntry) error { return errDamagedEntry }
func (damagedDNC) RemoveDNC(context.Context, dialgate.Number, string, time.Time) error {
	return errDamagedEntry
}

// TestAdminErrorNamesDamagedRecord: a write that fails on a damaged stored
// record answers Unavailable, as every store failure, naming the record
// (its callee number masked) and the bad field, but not the server's file;
// it is not InvalidArgument (the request was sound).
func TestAdminErrorNamesDamagedRecord(t *testing.T) {
	var logs syncBuffer
	e := startTestLog(t, Config{}, func(be *Backend) { be.DNC = damagedDNC{} }, slog.New(slog.NewJSONHandler(&logs, nil)))
	_, err := e.admin.RemoveDncEntry(ctxT(t), &pb.RemoveDncEntryRequest{Number: "+8613900139063", Scope: "global"})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("got %v, want Unavailable", err)
	}
	msg := status.Convert(err).Message()
	for _, want := range []string{"RemoveDncEntry", "corrupt or foreign data", "dnc entry +86139…63 global as stored", "added_at: missing", "correct or replace it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	for _, secret := range []string{"/srv/dialgate-data", "13900139063"} {
		if strings.Contains(msg, secret) {
			t.Errorf("the client's error names %q: %s", secret, msg)
		}
	}
	if !strings.Contains(logs.String(), "RemoveDncEntry") || !strings.Contains(logs.String(), "added_at") {
		t.Errorf("the log lacks the cause: %s", logs.String())
	}
}

// TestRemoveDNCHeldIsFailedPrecondition: removing an opt-out still in its
// hold is a sound request the state refuses (FailedPrecondition naming the
// number and the hold), not bad input (InvalidArgument), and not a failure
// a retry cures (Unavailable); the entry stays and keeps denying.
func TestRemoveDNCHeldIsFailedPrecondition(t *testing.T) {
	e := startFull(t, Config{}, t.TempDir())
	ctx := ctxT(t)
	const num = "+8613900139064"
	if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global", Source: "opt_out"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: num, Scope: "global"})
	wantStatus(t, err, codes.FailedPrecondition, "number: the entry is still held")
	if !strings.Contains(status.Convert(err).Message(), "held until") {
		t.Errorf("message %q does not say until when", status.Convert(err).Message())
	}
	r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial(num)})
	if err != nil || r.GetDecision().GetAllowed() {
		t.Errorf("after a refused removal the opt-out does not deny: %v %v", r, err)
	}
}
