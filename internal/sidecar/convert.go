package sidecar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/textsafe"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// maxIDLen bounds ids that come over the wire (decision, request, consent and
// recording ids). It is dialgate.MaxDecisionIDLen, the longest id a Gate
// issues, so that every decision id the sidecar sends can be released and
// reported back (the two arrays below fail to compile if they differ).
const maxIDLen = 128

var (
	_ [maxIDLen - dialgate.MaxDecisionIDLen]struct{}
	_ [dialgate.MaxDecisionIDLen - maxIDLen]struct{}
)

// invalid returns an InvalidArgument status naming field.
func invalid(field, format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, "%s: %s", field, fmt.Sprintf(format, args...))
}

// parseNumber parses an E.164 number field. The error names the field
// (field+sub: the concatenation is made only for an error, off the Check
// path's allocations) and the problem but never echoes the digits (they may
// be a callee's). purposeFromProto, routeFromProto and timeFromProto name
// their field the same way.
func parseNumber(field, sub, s string, required bool) (dialgate.Number, error) {
	if s == "" {
		if required {
			return dialgate.Number{}, invalid(field+sub, "missing")
		}
		return dialgate.Number{}, nil
	}
	n, err := dialgate.ParseNumber(s)
	if err != nil {
		var ne *dialgate.NumberError
		if errors.As(err, &ne) {
			return dialgate.Number{}, invalid(field+sub, "invalid number: %s", ne.Problem)
		}
		return dialgate.Number{}, invalid(field+sub, "invalid number")
	}
	return n, nil
}

func purposeFromProto(field, sub string, p pb.Purpose) (dialgate.Purpose, error) {
	switch p {
	case pb.Purpose_PURPOSE_MARKETING:
		return dialgate.PurposeMarketing, nil
	case pb.Purpose_PURPOSE_SERVICE:
		return dialgate.PurposeService, nil
	case pb.Purpose_PURPOSE_CALLBACK:
		return dialgate.PurposeCallback, nil
	case pb.Purpose_PURPOSE_COLLECTIONS:
		return dialgate.PurposeCollections, nil
	case pb.Purpose_PURPOSE_SURVEY:
		return dialgate.PurposeSurvey, nil
	case pb.Purpose_PURPOSE_UNSPECIFIED:
		return "", invalid(field+sub, "missing")
	}
	return "", invalid(field+sub, "unknown enum value %d", int32(p))
}

func routeFromProto(field, sub string, r pb.Route) (dialgate.Route, error) {
	switch r {
	case pb.Route_ROUTE_UNSPECIFIED:
		return "", nil
	case pb.Route_ROUTE_DOMESTIC:
		return dialgate.RouteDomestic, nil
	case pb.Route_ROUTE_INTERNATIONAL:
		return dialgate.RouteInternational, nil
	}
	return "", invalid(field+sub, "unknown enum value %d", int32(r))
}

func timeFromProto(field, sub string, ts *timestamppb.Timestamp) (time.Time, error) {
	if ts == nil {
		return time.Time{}, nil
	}
	if err := ts.CheckValid(); err != nil {
		return time.Time{}, invalid(field+sub, "invalid timestamp: %v", err)
	}
	t := ts.AsTime()
	if t.Before(minTimestamp) {
		// A zero Timestamp (1970) is what a client sends when it fills the
		// field by mistake; taken literally it would, say, end a DNC
		// entry's removal hold or a recording's retention at once.
		return time.Time{}, invalid(field+sub, "%s is before %s: a zero or unset timestamp?", t.Format(time.RFC3339), minTimestamp.Format("2006-01-02"))
	}
	return t, nil
}

// minTimestamp is the earliest instant a request may carry: before any
// do-not-call registry, consent or recording dialgate deals with.
var minTimestamp = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// checkID validates an id or another one-line identifier a request writes:
// at most maxIDLen bytes, and none of the characters textsafe.Line refuses
// (controls, C1 controls, bidirectional formatting characters, line and
// paragraph separators), which would make the record display other than it
// holds.
func checkID(field, s string, required bool) error {
	if s == "" {
		if required {
			return invalid(field, "missing")
		}
		return nil
	}
	if len(s) > maxIDLen {
		return invalid(field, "longer than %d bytes", maxIDLen)
	}
	if p := textsafe.Problem(s, textsafe.Line); p != "" {
		return invalid(field, "%s", p)
	}
	return nil
}

// checkRefID validates an id that names a record already stored (a
// recording to hold, end or release): as checkID, but only ASCII control
// characters are refused, as before textsafe, so that a record an earlier
// build stored with a C1 control or a bidirectional character in its id can
// still be held, ended and released.
func checkRefID(field, s string, required bool) error {
	if s == "" {
		if required {
			return invalid(field, "missing")
		}
		return nil
	}
	if len(s) > maxIDLen {
		return invalid(field, "longer than %d bytes", maxIDLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return invalid(field, "control character at byte %d", i)
		}
	}
	return nil
}

// dialFromProto converts a wire Dial; field is its name in the request
// ("dial"). Field-level checks the Gate does itself (lengths, callbacks) are
// left to Dial.Validate, whose errors gateError maps.
func dialFromProto(field string, p *pb.Dial) (dialgate.Dial, error) {
	if p == nil {
		return dialgate.Dial{}, invalid(field, "missing")
	}
	var (
		d   dialgate.Dial
		err error
	)
	if d.To, err = parseNumber(field, ".to", p.GetTo(), true); err != nil {
		return d, err
	}
	if d.From, err = parseNumber(field, ".from", p.GetFrom(), false); err != nil {
		return d, err
	}
	if d.Purpose, err = purposeFromProto(field, ".purpose", p.GetPurpose()); err != nil {
		return d, err
	}
	if d.Route, err = routeFromProto(field, ".route", p.GetRoute()); err != nil {
		return d, err
	}
	if d.TriggerAt, err = timeFromProto(field, ".trigger_at", p.GetTriggerAt()); err != nil {
		return d, err
	}
	d.Tenant = p.GetTenant()
	d.Industry = p.GetIndustry()
	d.BusinessLine = p.GetBusinessLine()
	d.Campaign = p.GetCampaign()
	d.Subject = p.GetSubject()
	d.ConsentID = p.GetConsentId()
	d.LeadID = p.GetLeadId()
	d.CalleeZone = p.GetCalleeZone()
	d.AgentReserved = p.GetAgentReserved()
	if err := d.Validate(); err != nil {
		return d, gateError(field, err)
	}
	return d, nil
}

func tsOrNil(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func evidenceToProto(ev []dialgate.Evidence) []*pb.Evidence {
	if len(ev) == 0 {
		return nil
	}
	out := make([]*pb.Evidence, len(ev))
	for i, e := range ev {
		out[i] = &pb.Evidence{Key: wireString(e.Key), Value: wireString(e.Value)}
	}
	return out
}

// wireString returns s with each byte that is not part of a UTF-8 character
// replaced by U+FFFD, as the audit log's JSON writes it; s itself when it is
// UTF-8 (nearly always: no copy). A proto string must be UTF-8, and the
// text of a decision comes from its checks — a custom check may quote a
// CRM's Latin-1 text —: gRPC cannot marshal an answer holding other bytes,
// which failed the Check Internal and ended a CheckStream with every
// request in flight on it.
func wireString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func decisionToProto(d dialgate.Decision) *pb.Decision {
	out := &pb.Decision{
		Id:            wireString(d.ID),
		At:            tsOrNil(d.At),
		Allowed:       d.Allowed,
		Shadow:        d.Shadow,
		Evidence:      evidenceToProto(d.Evidence),
		PolicyVersion: wireString(d.PolicyVersion),
		// Unset on a deny: the Gate sets ValidUntil only on an allow.
		ValidUntil: tsOrNil(d.ValidUntil),
	}
	if len(d.Reasons) > 0 {
		out.Reasons = make([]*pb.Reason, len(d.Reasons))
		for i, r := range d.Reasons {
			out.Reasons[i] = &pb.Reason{
				Code:          wireString(string(r.Code)),
				Check:         wireString(r.Check),
				Message:       wireString(r.Message),
				NextAllowedAt: tsOrNil(r.NextAllowedAt),
				Evidence:      evidenceToProto(r.Evidence),
			}
		}
	}
	return out
}

func outcomeFromProto(p *pb.ReportOutcomeRequest) (dialgate.Outcome, error) {
	var o dialgate.Outcome
	if err := checkID("decision_id", p.GetDecisionId(), true); err != nil {
		return o, err
	}
	o.DecisionID = p.GetDecisionId()
	if p.GetDial() != nil {
		d, err := dialFromProto("dial", p.GetDial())
		if err != nil {
			return o, err
		}
		o.Dial = d
	}
	if rd := p.GetRingDuration(); rd != nil {
		if err := rd.CheckValid(); err != nil {
			return o, invalid("ring_duration", "invalid duration: %v", err)
		}
		if max := int64(dialgate.MaxRingDuration / time.Second); rd.GetSeconds() > max || (rd.GetSeconds() == max && rd.GetNanos() > 0) {
			// Judged before AsDuration, which saturates past 292 years.
			return o, invalid("ring_duration", "%ds is more than a day (no call rings that long: milliseconds given as seconds?)", rd.GetSeconds())
		}
		o.RingDuration = rd.AsDuration()
		if o.RingDuration < 0 {
			return o, invalid("ring_duration", "negative (%v)", o.RingDuration)
		}
	}
	if err := checkFreeText("disposition", p.GetDisposition(), 256, false); err != nil {
		return o, err
	}
	if err := checkID("recording_id", p.GetRecordingId(), false); err != nil {
		return o, err
	}
	o.Answered = p.GetAnswered()
	o.Conversation = p.GetConversation()
	o.Abandoned = p.GetAbandoned()
	o.AbandonMessage = p.GetAbandonMessage()
	if o.AbandonMessage && !o.Abandoned {
		return o, invalid("abandon_message", "set on a call not reported abandoned (the recorded message is for an abandoned call)")
	}
	o.Refused = p.GetRefused()
	o.Disposition = p.GetDisposition()
	o.RecordingID = p.GetRecordingId()
	return o, nil
}

// gateError maps an error of the Gate (or of Dial.Validate) to a status:
// InvalidArgument naming the field for a malformed dial or outcome,
// Unavailable for an audit failure, the context's code when the client gave
// up, Internal otherwise. prefix is the request field the dial came in
// ("dial"), prepended to the field name.
func gateError(prefix string, err error) error {
	var fe *dialgate.FieldError
	switch {
	case errors.As(err, &fe) && (errors.Is(err, dialgate.ErrInvalidDial) || errors.Is(err, dialgate.ErrInvalidOutcome)):
		field := fe.Field
		if prefix != "" && errors.Is(err, dialgate.ErrInvalidDial) {
			field = prefix + "." + field
		}
		return invalid(field, "%s", fe.Problem)
	case errors.Is(err, dialgate.ErrInvalidDial), errors.Is(err, dialgate.ErrInvalidOutcome):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, dialgate.ErrAuditUnavailable):
		return status.Error(codes.Unavailable, "audit log unavailable: the decision could not be recorded; do not dial")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled; do not dial")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded; do not dial")
	}
	return status.Error(codes.Internal, "internal error; do not dial")
}
