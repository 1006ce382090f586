package sidecar

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage"
)

// lostReplyDNC is a DNCAdmin whose store lost the answer to its write:
// the removal may be in force.
type lostReplyDNC struct{}

var errLostReply = fmt.Errorf("pgstore: RemoveDNC: commit: %w", storage.ErrMaybeApplied)

func (lostReplyDNC) AddDNC(context.Context, DNCEntry) error { return errLostReply }
func (lostReplyDNC) RemoveDNC(context.Context, dialgate.Number, string, time.Time) error {
	return errLostReply
}

// TestAdminErrorMaybeApplied: a write whose store lost its answer
// (storage.ErrMaybeApplied) answers Unavailable saying it may be in force
// and that the same request again is safe, not "not applied": a client
// told an opt-out removal was not applied takes the number for opted out.
func TestAdminErrorMaybeApplied(t *testing.T) {
	var logs syncBuffer
	e := startTestLog(t, Config{}, func(be *Backend) { be.DNC = lostReplyDNC{} }, slog.New(slog.NewJSONHandler(&logs, nil)))
	ctx := ctxT(t)
	_, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: "+8613900139063", Scope: "global"})
	msg := status.Convert(err).Message()
	if status.Code(err) != codes.Unavailable || strings.Contains(msg, "not applied") || !strings.Contains(msg, "may have been applied") {
		t.Fatalf("RemoveDncEntry whose store lost its answer: %v, want Unavailable saying it may have been applied", err)
	}
}
