package sidecar

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/dialgate/dialgate/auditlog"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/recording"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// sweepFailedReason is a failed deletion's reason in SweepRecordings'
// response: the error itself may name the server's files or media paths.
const sweepFailedReason = "deletion failed (the cause is in the server's log)"

// SweepRecordings sweeps the recordings due at the server's clock through
// the recording Manager (Backend.Recordings: DueRecordings, then
// SweepDueRecordings), as `dialgate recordings sweep` does: when anything
// is due, recorded as requested first (recording.sweep with the count and
// recording.IDsSHA256 of the deletable ids) and refused when that cannot
// be recorded; then recorded as applied, or failed, with the count and
// recording.IDsSHA256 of the ids deleted. A token bound to tenants is
// refused: the Manager sweeps every tenant's recordings and cannot be
// limited to some.
func (s *adminServer) SweepRecordings(ctx context.Context, _ *pb.SweepRecordingsRequest) (*pb.SweepRecordingsResponse, error) {
	const method = "SweepRecordings"
	if s.be.Recordings == nil {
		return nil, s.unimplemented(method, "recording")
	}
	if e := boundToken(ctx); e != nil {
		return nil, status.Errorf(codes.PermissionDenied, "%s: token %q is bound to tenants [%s]: a sweep deletes the due recordings of every tenant and the recording manager cannot limit it to some (use a token without tenants)",
			method, e.name, strings.Join(slices.Sorted(maps.Keys(e.tenants)), " "))
	}
	ch, err := s.newChange(ctx, auditlog.OpRecordingSweep)
	if err != nil {
		return nil, err
	}
	now := ch.At
	due, err := s.be.Recordings.DueRecordings(ctx, now)
	if err != nil {
		return nil, s.adminError(method, err)
	}
	var rep recording.SweepReport
	if len(due) > 0 {
		ids := recording.DeletableIDs(due)
		ch.EffectiveAt, ch.Count, ch.SHA256 = now.UTC(), int64(len(ids)), recording.IDsSHA256(ids)
		// The result's record names what was deleted (none when the sweep
		// did not run), not what was due.
		rec := changeRecorderFunc(func(ctx context.Context, c auditlog.Change) error {
			if c.Result != auditlog.ResultRequested {
				c.Count, c.SHA256 = int64(len(rep.Deleted)), recording.IDsSHA256(rep.Deleted)
			}
			return s.record(ctx, c, c.Result)
		})
		qerr, aerr, rerr := auditlog.RecordThenApply(ctx, rec, ch, s.failedCode(method), func() error {
			var err error
			rep, err = s.be.Recordings.SweepDueRecordings(ctx, now, due)
			return err
		})
		switch {
		case qerr != nil:
			return nil, notRecordedRequest(method, qerr)
		case rerr != nil:
			return nil, status.Errorf(codes.Unavailable, "%s: deleted %d recordings (their ids' SHA-256 %s; recorded as requested, change %s), but the sweep's completion was not recorded: the audit log is unavailable (%s)",
				method, len(rep.Deleted), recording.IDsSHA256(rep.Deleted), ch.ChangeID, auditCause(rerr))
		case aerr != nil && (len(rep.Failed) == 0 || errors.Is(aerr, context.Canceled) || errors.Is(aerr, context.DeadlineExceeded)):
			return nil, s.adminError(method, aerr)
		case aerr != nil:
			for _, f := range rep.Failed {
				s.log.Warn("sidecar: recording sweep: deletion failed", "id", f.ID, "err", f.Reason)
			}
		}
	}
	res := &pb.SweepRecordingsResponse{Deleted: rep.Deleted, SweptAt: timestamppb.New(now)}
	for _, k := range rep.Skipped {
		res.Skipped = append(res.Skipped, &pb.SweptRecording{Id: k.ID, Reason: k.Reason})
	}
	for _, f := range rep.Failed {
		res.Failed = append(res.Failed, &pb.SweptRecording{Id: f.ID, Reason: sweepFailedReason})
	}
	return res, nil
}

// changeRecorderFunc is a ChangeRecorder made of a function.
type changeRecorderFunc func(context.Context, auditlog.Change) error

// RecordChange implements ChangeRecorder.
func (f changeRecorderFunc) RecordChange(ctx context.Context, c auditlog.Change) error {
	return f(ctx, c)
}
