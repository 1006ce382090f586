package sidecar

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/recording"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// gateServer implements pb.GateServiceServer over a *dialgate.Gate.
type gateServer struct {
	pb.UnimplementedGateServiceServer
	gate    *dialgate.Gate
	m       *metrics
	workers int
	// stop is closed at shutdown, after the drain: each CheckStream then
	// answers its dials in flight and ends (nil: never).
	stop   <-chan struct{}
	owners *decisionOwners // tenants of decisions made under tokens
	log    *slog.Logger    // nil: discard
	// recovered logs a panic of a CheckStream worker and returns the status
	// to answer its request with (Server.recovered); nil: Internal, unlogged.
	recovered func(method string, p any) error
	// storeGuard reports that the Gate keeps the release guard in its store
	// (a Backend from Open): it refuses a Release of a placed decision with
	// dialgate.ErrPlaced and reports an outcome after a release itself, on
	// every sidecar sharing the store. Without it the server's memory
	// (owners) is the only guard.
	storeGuard bool
}

func (s *gateServer) decide(ctx context.Context, method string, p *pb.Dial) (*pb.Decision, error) {
	start := time.Now()
	d, err := dialFromProto("dial", p)
	if err == nil {
		err = tenantAllowed(ctx, "dial.tenant", d.Tenant)
	}
	if err != nil {
		s.m.observe(method, start, nil, err)
		return nil, err
	}
	dec, err := s.gate.Check(ctx, d)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
			// The client gave up while the Gate decided, which then
			// denied (and gave back and recorded the release of what an
			// allow would have reserved): the call's own code.
			err = cerr
		}
		err = gateError("dial", err)
		s.m.observe(method, start, &dec, err)
		return nil, err
	}
	if cerr := ctx.Err(); cerr != nil {
		// The client gave up (cancelled, or its deadline passed) while the
		// Gate decided: gRPC delivers no answer on an ended call, so the
		// dialer does not dial. Give back what an allow reserved and record
		// its release, or the log shows a call that never happened and the
		// callee's caps count it for their whole window.
		if dec.Allowed {
			s.releaseUndelivered(ctx, dec.ID)
		}
		err = gateError("dial", cerr)
		s.m.observe(method, start, &dec, err)
		return nil, err
	}
	s.m.observe(method, start, &dec, nil)
	s.owners.note(ctx, dec.ID, d.Tenant, dec.Allowed)
	return decisionToProto(dec), nil
}

// Check decides one dial. Any error means: do not dial.
func (s *gateServer) Check(ctx context.Context, req *pb.CheckRequest) (*pb.CheckResponse, error) {
	dec, err := s.decide(ctx, "Check", req.GetDial())
	if err != nil {
		return nil, err
	}
	return &pb.CheckResponse{Decision: dec}, nil
}

// CheckStream decides the dials of a stream with up to s.workers in flight.
// A bad request gets an error response and the stream goes on; so does a
// request whose request_id is still outstanding (received, not yet answered)
// on the stream. At shutdown (s.stop closed, after the drain) the stream
// takes no more requests, answers the dials in flight, and ends Unavailable:
// a request not answered by then was not decided.
func (s *gateServer) CheckStream(stream pb.GateService_CheckStreamServer) error {
	ctx := stream.Context()
	var (
		sendMu  sync.Mutex
		sendErr error
		wg      sync.WaitGroup
		// outstanding holds the request ids decided and not yet answered,
		// under sendMu: an id leaves it as its answer is sent, so a client
		// reusing an id once answered is never refused.
		outstanding = make(map[string]struct{}, s.workers)
	)
	sem := make(chan struct{}, s.workers)
	// answer sends the response to request id, which leaves outstanding,
	// and reports whether r was handed to the transport. Once a Send has
	// failed the stream is broken and nothing more is sent.
	answer := func(id string, r *pb.CheckStreamResponse) bool {
		sendMu.Lock()
		defer sendMu.Unlock()
		delete(outstanding, id)
		if sendErr == nil {
			sendErr = stream.Send(r)
			return sendErr == nil
		}
		return false
	}
	// admit checks that the stream is not broken and takes id as
	// outstanding; a duplicate is refused (a non-nil status error).
	admit := func(id string) (broken, dup error) {
		sendMu.Lock()
		defer sendMu.Unlock()
		if sendErr != nil {
			return sendErr, nil
		}
		if _, ok := outstanding[id]; ok {
			return nil, invalid("request_id", "already outstanding on this stream (a request with this id has not been answered yet); ids must be unique among a stream's outstanding requests")
		}
		outstanding[id] = struct{}{}
		return nil, nil
	}
	// reply sends r without touching outstanding: the answer to a request
	// never admitted, whose id may be that of one still being decided.
	reply := func(r *pb.CheckStreamResponse) {
		sendMu.Lock()
		defer sendMu.Unlock()
		if sendErr == nil {
			sendErr = stream.Send(r)
		}
	}
	broken := func() error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return sendErr
	}
	shuttingDown := func() error {
		wg.Wait() // the dials in flight are answered first
		return status.Error(codes.Unavailable, streamShutdownMsg)
	}
	// The requests are received in a goroutine of their own so that the
	// handler can end at shutdown while Recv waits for an idle client (an
	// open stream would otherwise hold the graceful stop for the whole
	// shutdown_grace). Recv returns once the handler has returned (the
	// stream's context ends), and the goroutine with it.
	type received struct {
		req *pb.CheckStreamRequest
		err error
	}
	reqs := make(chan received)
	// seq is the position on the stream of the request last received,
	// counting from 1: an error answer with an empty request_id names it
	// (streamErr), the only way left for the dialer to tell which request
	// got it.
	seq := 0
	handlerDone := make(chan struct{})
	defer close(handlerDone)
	go func() {
		for {
			req, err := stream.Recv()
			select {
			case reqs <- received{req, err}:
			case <-handlerDone:
				return
			}
			if bad := (*badRequest)(nil); err != nil && !errors.As(err, &bad) {
				return
			}
		}
	}()
	for {
		var r received
		select {
		case r = <-reqs:
		case <-s.stop:
			return shuttingDown()
		}
		req, err := r.req, r.err
		// A request the codec could not decode as sent (not UTF-8, not
		// protobuf) is answered with its error, naming the field, and the
		// stream goes on.
		bad := (*badRequest)(nil)
		if errors.As(err, &bad) {
			req, _ = bad.msg.(*pb.CheckStreamRequest)
			err = nil
		}
		if err != nil {
			wg.Wait()
			if errors.Is(err, io.EOF) {
				return broken()
			}
			return err
		}
		seq++
		select {
		case <-s.stop:
			// Received after the drain: not decided (the stream's status
			// tells the client to go elsewhere).
			return shuttingDown()
		default:
		}
		if err := broken(); err != nil {
			// The client cannot get any more answers: decide nothing more
			// (each allow would reserve capacity for a dial never placed).
			wg.Wait()
			return err
		}
		id := req.GetRequestId()
		if bad != nil {
			reply(streamErr(echoedID(id, true), seq, bad.err))
			continue
		}
		if err := checkID("request_id", id, true); err != nil {
			answer(id, streamErr(id, seq, err))
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return status.FromContextError(ctx.Err()).Err()
		case <-s.stop:
			return shuttingDown()
		}
		if berr, dup := admit(id); berr != nil {
			<-sem
			wg.Wait()
			return berr
		} else if dup != nil {
			<-sem
			// Sent without taking the id out of outstanding: the earlier
			// request with this id is still being decided.
			reply(streamErr(id, seq, dup))
			continue
		}
		wg.Add(1)
		pos := seq
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			// A worker runs outside the handler's goroutine, where the
			// server's recover interceptor cannot catch a panic: unrecovered,
			// it would end the process and every dialer's streams with it.
			defer func() {
				if p := recover(); p != nil {
					answer(id, streamErr(id, pos, s.panicked(p)))
				}
			}()
			dec, err := s.decide(ctx, "CheckStream", req.GetDial())
			if err != nil {
				answer(id, streamErr(id, pos, err))
				return
			}
			if !answer(id, &pb.CheckStreamResponse{RequestId: id, Result: &pb.CheckStreamResponse_Decision{Decision: dec}}) && dec.GetAllowed() {
				// The dialer never saw this allow, so it does not dial: give
				// back the capacity it reserved.
				s.releaseUndelivered(ctx, dec.GetId())
			}
		}()
	}
}

// panicked returns the status a CheckStream request whose worker panicked
// is answered with.
func (s *gateServer) panicked(p any) error {
	if s.recovered != nil {
		return s.recovered("/dialgate.v1.GateService/CheckStream", p)
	}
	return status.Error(codes.Internal, "internal error; do not dial")
}

// undeliveredReleaseTimeout bounds the release of an allow that could not be
// sent.
const undeliveredReleaseTimeout = 5 * time.Second

// releaseUndelivered releases decision id, whose allow could not be handed
// to the transport, on a context that outlives the stream's. A failed
// release leaves the capacity reserved until its window passes (the safe
// side); it is logged at Error with the decision id (the callee's number is
// not known here, and never logged) and counted in
// dialgate_undelivered_release_failures_total.
func (s *gateServer) releaseUndelivered(ctx context.Context, id string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undeliveredReleaseTimeout)
	defer cancel()
	if err := s.gate.Release(rctx, dialgate.Decision{ID: id}); err != nil {
		if s.m != nil {
			s.m.releaseFailures.Inc()
		}
		if s.log != nil {
			s.log.Error("sidecar: releasing an undelivered allow failed; its capacity stays held until its window passes",
				"decision_id", id, "err", err)
		}
	}
}

// streamErr returns the error response to the request with id (see
// echoedID), the pos'th request of its stream (counting from 1). An
// answer whose request_id is empty names no request: its message ends
// with pos, "(request 3 of this stream, counting from 1)", the only way
// for the dialer to tell which of its requests it answers (the stream
// takes its requests in the order sent).
func streamErr(id string, pos int, err error) *pb.CheckStreamResponse {
	st := status.Convert(err)
	id = echoedID(id, false)
	msg := wireString(st.Message())
	if id == "" && pos > 0 {
		msg += " (request " + strconv.Itoa(pos) + " of this stream, counting from 1)"
	}
	return &pb.CheckStreamResponse{RequestId: id, Result: &pb.CheckStreamResponse_Error{
		Error: &pb.StreamError{Code: int32(st.Code()), Message: msg},
	}}
}

// echoedID returns the request_id of the response to a request that
// carried id: id itself, or "" — which names no request, every request
// the stream admits having an id — when id cannot be echoed as the client
// sent it: longer than maxIDLen (cut, it could be the id of another request
// still outstanding, which the client would take this error for the answer
// of, then reuse, and match that request's decision to the next request
// sent under the id), not UTF-8 (a proto string cannot carry it), or, when
// repaired, holding U+FFFD (the codec's replacement of bytes that were not
// UTF-8, which the client did not send; an intact id of a repaired request
// holding U+FFFD is not echoed either: the codec does not tell which
// strings it repaired).
func echoedID(id string, repaired bool) string {
	if len(id) > maxIDLen || !utf8.ValidString(id) || (repaired && strings.ContainsRune(id, utf8.RuneError)) {
		return ""
	}
	return id
}

// Release gives back the capacity of an allowed decision.
func (s *gateServer) Release(ctx context.Context, req *pb.ReleaseRequest) (*pb.ReleaseResponse, error) {
	if err := checkID("decision_id", req.GetDecisionId(), true); err != nil {
		return nil, err
	}
	if strings.HasSuffix(req.GetDecisionId(), recountSuffix) {
		// Not a decision, whatever the token (the Gate refuses it too).
		return nil, invalid("decision_id", "ends in %q: it names the reservation of a call placed after its decision was released, which is never given back", recountSuffix)
	}
	if err := s.owners.mayRelease(ctx, req.GetDecisionId()); err != nil {
		return nil, err
	}
	if err := s.gate.Release(ctx, dialgate.Decision{ID: req.GetDecisionId()}); err != nil {
		if errors.Is(err, dialgate.ErrInvalidOutcome) {
			return nil, gateError("", err)
		}
		if errors.Is(err, dialgate.ErrPlaced) {
			// Recorded in the store, by this sidecar or another, before or
			// after a restart: the fast path below remembers it here.
			s.owners.notePlaced(req.GetDecisionId())
			return nil, placedError()
		}
		return nil, status.Error(codes.Unavailable, "release not fully applied; retry (release is idempotent)")
	}
	s.owners.noteReleased(req.GetDecisionId())
	return &pb.ReleaseResponse{}, nil
}

// recountSuffix ends the id of the reservation of a call reported placed
// after its decision was released (the Gate's placedSuffix): no decision
// has such an id, and the Gate refuses to release it.
const recountSuffix = "#placed"

// takesRefused reports that ReportOutcome sees a request the codec could
// not decode as sent (refusedTaker): it still says the call was placed.
func (s *gateServer) takesRefused(fullMethod string) bool {
	return fullMethod == pb.GateService_ReportOutcome_FullMethodName
}

// ReportOutcome records a call outcome.
func (s *gateServer) ReportOutcome(ctx context.Context, req *pb.ReportOutcomeRequest) (*pb.ReportOutcomeResponse, error) {
	if err := refusedRequest(ctx); err != nil {
		// Not decoded as sent (a string not UTF-8, a field of another wire
		// type): refused, but a report of a placed call all the same, when
		// its decision_id came through intact (a repaired one holds
		// U+FFFD; one of another wire type is empty).
		if id := req.GetDecisionId(); checkID("decision_id", id, true) == nil && !strings.ContainsRune(id, utf8.RuneError) {
			s.placedAnyway(ctx, id, intactDial(req.GetDial(), err))
		}
		return nil, err
	}
	o, err := outcomeFromProto(req)
	if err != nil {
		if o.DecisionID != "" {
			var dial *dialgate.Dial
			if req.GetDial() != nil && o.Dial.To.IsValid() {
				// Parsed before the field refused.
				dial = &o.Dial
			}
			s.placedAnyway(ctx, o.DecisionID, dial)
		}
		return nil, err
	}
	var dial *dialgate.Dial
	if req.GetDial() != nil {
		dial = &o.Dial
	}
	if err := s.reportAllowed(ctx, req, o, dial); err != nil {
		// Refused, the report still says the call was placed (when the
		// token may report outcomes of the decision at all).
		s.placedAnyway(ctx, o.DecisionID, nil)
		return nil, err
	}
	// An outcome says the call was placed, even one the Gate cannot fully
	// record: its capacity must not be released afterwards.
	if first := s.owners.notePlaced(o.DecisionID); first && !s.storeGuard {
		// With the store's guard the Gate logs and reports it (to the
		// metric), whichever sidecar the release went through.
		s.afterReleaseLocal(o.DecisionID)
	}
	if err := s.gate.ReportOutcome(ctx, o); err != nil {
		return nil, outcomeError(err)
	}
	return &pb.ReportOutcomeResponse{}, nil
}

// afterReleaseLocal, without the store's guard, logs at Warn and counts
// (dialgate_outcomes_after_release_total) a report of decision id's placed
// call, noted placed for the first time, when this server released the
// decision before: the dialer placed a call whose capacity it had given
// back. Called for the first report only (refused or not), so that the
// dialer's retries of it count the decision once (as far as the server
// remembers: its memory forgets with a restart or eviction).
func (s *gateServer) afterReleaseLocal(id string) {
	if !s.owners.wasReleased(id) {
		return
	}
	s.m.outcomeAfterRelease()
	if s.log != nil {
		s.log.Warn("sidecar: outcome of a placed call reported after its decision was released: the dialer placed a call whose capacity it had given back (its caps undercount it); release only dials that were not placed",
			"decision_id", id)
	}
}

// reportAllowed refuses an outcome o (parsed from req; dial is its dial,
// nil when req has none) that the call's token may not report: another
// tenant's decision, a dial of another tenant than its decision's, a
// recording without its dial under a token bound to tenants, a dial of a
// tenant the token may not act for.
func (s *gateServer) reportAllowed(ctx context.Context, req *pb.ReportOutcomeRequest, o dialgate.Outcome, dial *dialgate.Dial) error {
	if err := s.owners.mayReport(ctx, o.DecisionID, dial); err != nil {
		return err
	}
	if e := boundToken(ctx); e != nil && o.RecordingID != "" && req.GetDial() == nil {
		// Without the dial the recording's tenant cannot be checked against
		// the token's.
		return status.Errorf(codes.PermissionDenied, "dial: token %q is bound to tenants: an outcome with a recording_id must carry its dial", e.name)
	}
	if req.GetDial() != nil {
		// Observers write into the dial's tenant's counters and recordings.
		if err := tenantAllowed(ctx, "dial.tenant", o.Dial.Tenant); err != nil {
			return err
		}
	}
	return nil
}

// placedAnyway marks decision id placed for an outcome refused as malformed
// (its decision_id well formed) or refused to its token (reportAllowed):
// whatever else is wrong with the report, its call was placed, so a Release
// of the decision afterwards must be refused and the call keep counting. A
// token that may not report outcomes of the decision marks nothing. dial,
// when not nil, is the report's dial, well formed and intact: a decision
// released before has its call counted again with it (Gate.MarkPlacedDial),
// as the Gate counts a malformed outcome's call — when the token may report
// that dial for the decision (its tenant the decision's, one the token may
// dial for). A failure of the store's guard is logged: the report is
// refused anyway, and its retry marks it.
func (s *gateServer) placedAnyway(ctx context.Context, id string, dial *dialgate.Dial) {
	if s.owners.mayReport(ctx, id, nil) != nil {
		return
	}
	first := s.owners.notePlaced(id)
	if !s.storeGuard {
		if first {
			s.afterReleaseLocal(id)
		}
		return
	}
	if dial != nil && (s.owners.mayReport(ctx, id, dial) != nil || tenantAllowed(ctx, "dial.tenant", dial.Tenant) != nil) {
		dial = nil
	}
	var err error
	if dial != nil {
		err = s.gate.MarkPlacedDial(ctx, id, *dial)
	} else {
		err = s.gate.MarkPlaced(ctx, id)
	}
	if err != nil && s.log != nil {
		s.log.Warn("sidecar: marking placed the decision of a refused outcome", "decision_id", id, "err", err)
	}
}

// intactDial returns the dial p of a ReportOutcome request the codec
// refused (requestCodec, with status refusal) when it came through as sent
// and is well formed: the refusal names no field of it (a 32-bit field
// sent a wider varint, which protobuf decoded as its low 32 bits), no field
// of another wire type in it, no string repaired (holding U+FFFD); nil
// otherwise (its callee or its keys may not be the ones the call was
// placed with).
func intactDial(p *pb.Dial, refusal error) *dialgate.Dial {
	if p == nil {
		return nil
	}
	if msg := status.Convert(refusal).Message(); strings.HasPrefix(msg, "dial.") || strings.HasPrefix(msg, "dial:") {
		return nil
	}
	if _, fd, _ := findMistyped(p.ProtoReflect()); fd != nil || hasRuneError(p.ProtoReflect()) {
		return nil
	}
	d, err := dialFromProto("dial", p)
	if err != nil {
		return nil
	}
	return &d
}

// hasRuneError reports whether a string of m, or of a message in it, holds
// U+FFFD (the codec's replacement of bytes that are not UTF-8).
func hasRuneError(m protoreflect.Message) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			return true // a Dial has none
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				found = fieldHasRuneError(fd, l.Get(i))
			}
		default:
			found = fieldHasRuneError(fd, v)
		}
		return !found
	})
	return found
}

// fieldHasRuneError is hasRuneError for one value v of field fd.
func fieldHasRuneError(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return strings.ContainsRune(v.String(), utf8.RuneError)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return hasRuneError(v.Message())
	}
	return false
}

// outcomeError maps the error of Gate.ReportOutcome, which joins the errors
// of every outcome observer and of the audit log. Any failure a retry may
// cure (a store or the audit log) makes it Unavailable; when every error is
// the outcome's own fault (an observer needs the dial the request did not
// carry, a recording that cannot be registered) it is InvalidArgument naming
// the field, and retrying the same request is pointless.
func outcomeError(err error) error {
	var first error
	for _, e := range flatten(err) {
		invalidOutcome := errors.Is(e, dialgate.ErrInvalidOutcome) || errors.Is(e, recording.ErrInvalid)
		if !invalidOutcome {
			return status.Error(codes.Unavailable, "outcome not fully recorded; retry")
		}
		if first == nil {
			first = e
		}
	}
	if first == nil {
		return status.Error(codes.Unavailable, "outcome not fully recorded; retry")
	}
	if errors.Is(first, dialgate.ErrInvalidOutcome) {
		return gateError("", first)
	}
	msg := first.Error()
	if i := strings.Index(msg, recording.ErrInvalid.Error()+": "); i >= 0 {
		msg = msg[i+len(recording.ErrInvalid.Error())+2:]
	}
	return invalid("recording_id", "the recording cannot be linked: %s (send the dial so an unregistered recording can be registered for its callee)", msg)
}

// flatten returns the leaves of a tree of errors.Join'ed errors.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// streamShutdownMsg is the message of the Unavailable status a CheckStream
// ends with at shutdown.
const streamShutdownMsg = "server shutting down; reconnect to another sidecar"
