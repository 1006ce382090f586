package sidecar

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/textsafe"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// adminServer implements pb.AdminServiceServer over the Backend's admin
// adapters. A nil adapter answers Unimplemented. Every write that passes
// validation is recorded in the audit log through Backend.Changes
// (applyThenRecord, recordThenApply).
type adminServer struct {
	pb.UnimplementedAdminServiceServer
	be  *Backend
	now func() time.Time
	log *slog.Logger // never nil
	// owners is the gate's memory of decision owners (nil: none), so that
	// a tenant-bound token links no recording to another tenant's decision.
	owners *decisionOwners
	// auth is what the server requires of a caller (changeActor).
	auth adminAuth
}

func (s *adminServer) unimplemented(method, pkg string) error {
	if why := s.be.Unwired[pkg]; why != "" {
		return status.Errorf(codes.Unimplemented, "%s: this server has no %s backend: %s", method, pkg, why)
	}
	return status.Errorf(codes.Unimplemented, "%s: this server has no %s backend (package %s is not wired into the sidecar yet)", method, pkg, pkg)
}

// adminError maps an adapter's error to a status. A failure a retry may
// cure (a store, a back-end) is Unavailable saying so, its cause logged
// but not sent: store and driver errors name the server's files and
// back-end addresses, which are no business of a client (GateService
// answers "internal error" likewise). A damaged stored record
// (storage.RecordError) is Unavailable too, like every store failure, but
// names the record and its bad field (kind, key and field only).
func (s *adminServer) adminError(method string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	var fe *dialgate.FieldError
	switch {
	case errors.As(err, &fe):
		return invalid(fe.Field, "%s", fe.Problem)
	case errors.Is(err, ErrNotFound):
		return status.Errorf(codes.NotFound, "%s: %v", method, err)
	case errors.Is(err, ErrFailedPrecondition):
		return status.Errorf(codes.FailedPrecondition, "%s: %v", method, err)
	case errors.Is(err, ErrAlreadyExists):
		return status.Errorf(codes.AlreadyExists, "%s: %v", method, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	if errors.Is(err, storage.ErrMaybeApplied) {
		// The store sent the write but lost its answer: it may be in
		// force. "Not applied" would have the client take an opt-out
		// removed (or a consent granted) for one still in place.
		s.log.Warn("sidecar: admin write may have been applied (the store's answer was lost)", "method", method, "err", err)
		return status.Errorf(codes.Unavailable, "%s: may have been applied: the store's answer was lost; retry (the same request again is safe; the cause is in the server's log)", method)
	}
	s.log.Warn("sidecar: admin write not applied", "method", method, "err", err)
	if re := (*storage.RecordError)(nil); errors.As(err, &re) {
		// A stored record that is damaged or foreign: the record error
		// names its kind, key and bad field, and no file or address, so
		// the client is told which record to correct.
		return status.Errorf(codes.Unavailable, "%s: not applied: %v; the record is left as stored: correct or replace it, then retry", method, re)
	}
	return status.Errorf(codes.Unavailable, "%s: not applied; retry (the cause is in the server's log)", method)
}

// checkScope validates a scope string a request writes: global, or
// kind:name with kind one of industry, business, tenant, campaign, and the
// name checked as checkID checks an id.
func checkScope(field, s string, required bool) (string, error) {
	return checkScopeWith(field, s, required, checkID)
}

// checkRefScope validates a scope naming entries already stored (a
// removal): as checkScope, but the name checked as checkRefID checks an id,
// so that an entry an earlier build stored in a scope whose name holds a
// C1 control or a bidirectional character can still be removed.
func checkRefScope(field, s string, required bool) (string, error) {
	return checkScopeWith(field, s, required, checkRefID)
}

func checkScopeWith(field, s string, required bool, checkName func(field, s string, required bool) error) (string, error) {
	if s == "" {
		if required {
			return "", invalid(field, "missing")
		}
		return "global", nil
	}
	if s == "global" {
		return s, nil
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok {
		return "", invalid(field, "%q is not global or kind:name", s)
	}
	switch kind {
	case "industry", "business", "tenant", "campaign":
	default:
		return "", invalid(field, "unknown scope kind %q (want global, industry, business, tenant or campaign)", kind)
	}
	if name == "" || len(name) > 128 {
		return "", invalid(field, "scope name must be 1–128 bytes")
	}
	if err := checkName(field, name, true); err != nil {
		return "", err
	}
	if strings.TrimSpace(name) != name {
		// The do-not-call and complaint domains refuse it too (dnc.ParseScope),
		// with a message that does not name the request field.
		return "", invalid(field, "scope name has leading or trailing spaces")
	}
	return s, nil
}

// maxTenantLen is the longest tenant a request may name: as Dial.tenant
// (dialgate.Dial.Validate) and GrantConsentRequest.tenant take.
const maxTenantLen = 256

// checkTenant validates an optional tenant field: at most maxTenantLen
// bytes, no control character. A tenant a dial may name must be one every
// request naming a tenant takes: a complaint about its call refused for
// its tenant's length is an opt-out not listed.
func checkTenant(field, s string) error {
	if len(s) > maxTenantLen {
		return invalid(field, "longer than %d bytes", maxTenantLen)
	}
	if p := textsafe.Problem(s, textsafe.Line); p != "" {
		return invalid(field, "%s", p)
	}
	return nil
}

// clip shortens s for an error message to at most 32 bytes and "…", cut
// at a character boundary (a split character would show as \x escapes, or
// make the status message invalid UTF-8 where it is not quoted).
func clip(s string) string {
	const limit = 32
	if len(s) <= limit {
		return s
	}
	return cutUTF8(s, limit) + "…"
}

// cutUTF8 returns the longest prefix of s of at most limit bytes that does
// not end inside a multibyte character: s cut at byte limit could split one, and
// the piece would show as \x escapes or make a message or proto string
// invalid UTF-8.
func cutUTF8(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func checkText(field, s string, max int) error {
	if len(s) > max {
		return invalid(field, "longer than %d bytes", max)
	}
	return nil
}

// checkFreeText validates a free-text field: at most max bytes, and no
// control character (a NUL, an escape sequence that rewrites a terminal
// showing the record) but, when multiline, tab, line feed and carriage
// return. The stores keep these fields as given, and the CLI, the reports
// and the audit log print them.
func checkFreeText(field, s string, max int, multiline bool) error {
	if err := checkText(field, s, max); err != nil {
		return err
	}
	mode := textsafe.Line
	if multiline {
		mode = textsafe.Multiline
	}
	if p := textsafe.Problem(s, mode); p != "" {
		return invalid(field, "%s", p)
	}
	return nil
}

func purposesFromProto(field string, ps []pb.Purpose) ([]dialgate.Purpose, error) {
	out := make([]dialgate.Purpose, 0, len(ps))
	for i, p := range ps {
		d, err := purposeFromProto(fmt.Sprintf("%s[%d]", field, i), "", p)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// AddDncEntry validates the number, the scope (required) and the source,
// sets added_at to the server's clock when it is unset or after that clock,
// and adds the entry through Backend.DNC.
func (s *adminServer) AddDncEntry(ctx context.Context, req *pb.AddDncEntryRequest) (*pb.AddDncEntryResponse, error) {
	if s.be.DNC == nil {
		return nil, s.unimplemented("AddDncEntry", "dnc")
	}
	n, err := parseNumber("number", "", req.GetNumber(), true)
	if err != nil {
		return nil, err
	}
	scope, err := checkScope("scope", req.GetScope(), true)
	if err != nil {
		return nil, err
	}
	if err := checkID("source", req.GetSource(), false); err != nil {
		return nil, err
	}
	at, err := timeFromProto("added_at", "", req.GetAddedAt())
	if err != nil {
		return nil, err
	}
	if now := s.now(); at.IsZero() || at.After(now) {
		// A refusal dated after its receipt is a wrong clock or zone
		// offset. Refusing it would lose the opt-out, and storing it would
		// count the removal hold from an instant that has not come (past
		// the year 9999 the store cannot even write it): it is recorded as
		// of the server's clock, the latest it can have been made.
		at = now
	}
	ch, err := s.newChange(ctx, auditlog.OpDNCAdd)
	if err != nil {
		return nil, err
	}
	ch.Scope, ch.Number, ch.Source, ch.EffectiveAt = scope, n, req.GetSource(), at
	if err := s.applyThenRecord(ctx, "AddDncEntry", &ch, func() error {
		return s.be.DNC.AddDNC(ctx, DNCEntry{Number: n, Scope: scope, Source: req.GetSource(), AddedAt: at})
	}); err != nil {
		return nil, err
	}
	return &pb.AddDncEntryResponse{}, nil
}

// RemoveDncEntry validates the number and the scope (required) and removes
// the entry through Backend.DNC.
func (s *adminServer) RemoveDncEntry(ctx context.Context, req *pb.RemoveDncEntryRequest) (*pb.RemoveDncEntryResponse, error) {
	if s.be.DNC == nil {
		return nil, s.unimplemented("RemoveDncEntry", "dnc")
	}
	n, err := parseNumber("number", "", req.GetNumber(), true)
	if err != nil {
		return nil, err
	}
	scope, err := checkRefScope("scope", req.GetScope(), true)
	if err != nil {
		return nil, err
	}
	if err := adminScope(ctx, "scope", scope); err != nil {
		return nil, err
	}
	ch, err := s.newChange(ctx, auditlog.OpDNCRemove)
	if err != nil {
		return nil, err
	}
	ch.Scope, ch.Number = scope, n
	if err := s.recordThenApply(ctx, "RemoveDncEntry", ch, func() error {
		return s.be.DNC.RemoveDNC(ctx, n, scope, ch.At)
	}); err != nil {
		return nil, err
	}
	return &pb.RemoveDncEntryResponse{}, nil
}

var consentMethods = map[pb.ConsentMethod]string{
	pb.ConsentMethod_CONSENT_METHOD_WEB_FORM:        "web_form",
	pb.ConsentMethod_CONSENT_METHOD_IVR_KEYPRESS:    "ivr_keypress",
	pb.ConsentMethod_CONSENT_METHOD_RECORDED_VERBAL: "recorded_verbal",
	pb.ConsentMethod_CONSENT_METHOD_WRITTEN:         "written",
	pb.ConsentMethod_CONSENT_METHOD_IN_APP:          "in_app",
}

// GrantConsent validates the request (id, number, scope, method and
// granted_at required, granted_at not after the server's clock; expires_at
// after granted_at; evidence_sha256 64 hex digits; tenant optional), checks
// that a token bound to tenants grants only for them (adminConsent), and
// stores the grant through Backend.Consents.
func (s *adminServer) GrantConsent(ctx context.Context, req *pb.GrantConsentRequest) (*pb.GrantConsentResponse, error) {
	if s.be.Consents == nil {
		return nil, s.unimplemented("GrantConsent", "consent")
	}
	var (
		c   ConsentGrant
		err error
	)
	if err = checkID("id", req.GetId(), true); err != nil {
		return nil, err
	}
	c.ID = req.GetId()
	if c.Number, err = parseNumber("number", "", req.GetNumber(), true); err != nil {
		return nil, err
	}
	if req.GetScope() == "" {
		return nil, invalid("scope", "missing")
	}
	if err = checkText("scope", req.GetScope(), 300); err != nil {
		return nil, err
	}
	if err = checkText("tenant", req.GetTenant(), 256); err != nil {
		return nil, err
	}
	if err = adminConsent(ctx, req.GetTenant(), req.GetScope()); err != nil {
		return nil, err
	}
	c.Scope, c.Tenant = req.GetScope(), req.GetTenant()
	if c.Method, err = enumName("method", req.GetMethod(), consentMethods); err != nil {
		return nil, err
	}
	if c.GrantedAt, err = requiredTime("granted_at", req.GetGrantedAt()); err != nil {
		return nil, err
	}
	if now := s.now(); c.GrantedAt.After(now) {
		// A consent dated in the future is a wrong clock or zone offset: it
		// would start allowing dials at an instant nobody agreed to.
		return nil, invalid("granted_at", "%s is after the server's clock %s: consent cannot be granted in the future (check the zone offset)",
			c.GrantedAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if c.ExpiresAt, err = timeFromProto("expires_at", "", req.GetExpiresAt()); err != nil {
		return nil, err
	}
	if !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(c.GrantedAt) {
		return nil, invalid("expires_at", "not after granted_at")
	}
	if h := req.GetEvidenceSha256(); h != "" {
		if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
			return nil, invalid("evidence_sha256", "want 64 hex digits")
		}
		c.EvidenceSHA256 = strings.ToLower(h)
	}
	if err = checkText("evidence_uri", req.GetEvidenceUri(), 2048); err != nil {
		return nil, err
	}
	if err = checkText("channel", req.GetChannel(), 64); err != nil {
		return nil, err
	}
	c.EvidenceURI, c.Channel = req.GetEvidenceUri(), req.GetChannel()
	ch, err := s.newChange(ctx, auditlog.OpConsentGrant)
	if err != nil {
		return nil, err
	}
	ch.ID, ch.Number, ch.Scope, ch.Tenant, ch.Source, ch.EffectiveAt = c.ID, c.Number, c.Scope, c.Tenant, c.Channel, c.GrantedAt
	if err := s.recordThenApply(ctx, "GrantConsent", ch, func() error {
		// A retry of the same grant stores nothing: it is recorded as
		// unchanged, and not counted as another grant.
		unchanged, err := s.be.Consents.GrantConsent(ctx, c)
		if err == nil && unchanged {
			return auditlog.ErrUnchanged
		}
		return err
	}); err != nil {
		return nil, err
	}
	return &pb.GrantConsentResponse{}, nil
}

// RevokeConsent validates the id, defaults revoked_at to the server's clock,
// and revokes through Backend.Consents. A withdrawal is never refused for its
// instant: a revoked_at before the consent's granted_at revokes the consent
// as of its grant (see consent.Store.RevokeConsent). One before 2000, which
// other requests refuse as a zero or unset timestamp (the zero Timestamp,
// 1970, a client sends when it fills the field by mistake), is the server's
// clock, as an absent one is: taken literally it revoked the consent as of
// its grant, and a withdrawal dated that early does not withdraw the
// consents granted since under the line's other spelling (a French overseas
// number), which kept allowing dials. One after the server's clock is the
// server's clock too, as for the local consent revoke --at.
func (s *adminServer) RevokeConsent(ctx context.Context, req *pb.RevokeConsentRequest) (*pb.RevokeConsentResponse, error) {
	if s.be.Consents == nil {
		return nil, s.unimplemented("RevokeConsent", "consent")
	}
	if err := checkID("id", req.GetId(), true); err != nil {
		return nil, err
	}
	var at time.Time
	if ts := req.GetRevokedAt(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return nil, invalid("revoked_at", "invalid timestamp: %v", err)
		}
		at = ts.AsTime()
	}
	// Before 2000 is unset; after the server's clock is a mistyped year or
	// offset (the local consent revoke takes it as now too): stored as
	// given it dated the withdrawal, its change record and the quarterly
	// report in a quarter to come.
	if now := s.now(); at.Before(minTimestamp) || at.After(now) {
		at = now
	}
	if err := checkFreeText("channel", req.GetChannel(), 64, false); err != nil {
		return nil, err
	}
	ch, err := s.newChange(ctx, auditlog.OpConsentRevoke)
	if err != nil {
		return nil, err
	}
	ch.ID, ch.Source, ch.EffectiveAt = req.GetId(), req.GetChannel(), at
	if err := s.applyThenRecord(ctx, "RevokeConsent", &ch, func() error {
		// The record names the consent's number, so that a number's
		// history holds its revocations too, and is dated as the
		// withdrawal is stored (as `dialgate consent revoke` dates it):
		// as of the grant for an at before it, as of the first
		// withdrawal for a consent revoked already.
		// A consent revoked already is recorded as unchanged (a retry,
		// or a second withdrawal): the first one stands and was counted.
		n, revokedAt, unchanged, err := s.be.Consents.RevokeConsent(ctx, req.GetId(), at, req.GetChannel())
		ch.Number = n
		if !revokedAt.IsZero() {
			ch.EffectiveAt = revokedAt
		}
		if err == nil && unchanged {
			return auditlog.ErrUnchanged
		}
		return err
	}); err != nil {
		return nil, err
	}
	return &pb.RevokeConsentResponse{}, nil
}

// maxReceiptSkew is how far after the server's clock a FileComplaint's
// received_at may be (a client's clock ahead), as `dialgate complaint add
// --at` allows after the local clock; it is then the server's clock.
const maxReceiptSkew = time.Minute

// FileComplaint validates the request (scope "global" when empty), dates it
// with its received_at (see receiptOf) or the server's clock and files it
// through Backend.Complaints, answering the complaint id and its receipt as
// stored.
func (s *adminServer) FileComplaint(ctx context.Context, req *pb.FileComplaintRequest) (*pb.FileComplaintResponse, error) {
	if s.be.Complaints == nil {
		return nil, s.unimplemented("FileComplaint", "complaint")
	}
	var (
		c   Complaint
		err error
	)
	if c.Number, err = parseNumber("number", "", req.GetNumber(), true); err != nil {
		return nil, err
	}
	if c.Scope, err = checkScope("scope", req.GetScope(), false); err != nil {
		return nil, err
	}
	if err = checkID("call_decision_id", req.GetCallDecisionId(), false); err != nil {
		return nil, err
	}
	if err = checkTenant("tenant", req.GetTenant()); err != nil {
		return nil, err
	}
	if req.GetTenant() != "" {
		// Filing is allowed in any scope (it only denies more), but a
		// complaint counts in its tenant's reports and overdue lists.
		if err = adminTenant(ctx, "tenant", req.GetTenant()); err != nil {
			return nil, err
		}
	}
	if err = checkFreeText("note", req.GetNote(), 4096, true); err != nil {
		return nil, err
	}
	if err = checkID("complaint_id", req.GetComplaintId(), false); err != nil {
		return nil, err
	}
	if id := req.GetComplaintId(); id != "" && strings.TrimSpace(id) == "" {
		// The complaint desk refuses it too, naming its own field ("id").
		return nil, invalid("complaint_id", "blank (unset, the server picks an id)")
	}
	switch ch := req.GetChannel(); ch {
	case "", "phone", "web", "app", "regulator", "agent":
		c.Channel = ch
	default:
		return nil, invalid("channel", "unknown channel %q (want phone, web, app, regulator or agent)", clip(ch))
	}
	ch, err := s.newChange(ctx, auditlog.OpComplaintFile)
	if err != nil {
		return nil, err
	}
	if c.At, err = receiptOf(req.GetReceivedAt(), ch.At); err != nil {
		return nil, err
	}
	c.ID = req.GetComplaintId()
	c.CallDecisionID, c.Tenant, c.Note = req.GetCallDecisionId(), req.GetTenant(), req.GetNote()
	ch.Number, ch.Scope, ch.Tenant, ch.DecisionID, ch.Source = c.Number, c.Scope, c.Tenant, c.CallDecisionID, c.Channel
	var (
		id       string
		received time.Time
		listed   bool
	)
	if err := s.applyThenRecord(ctx, "FileComplaint", &ch, func() error {
		var err error
		id, received, err = s.be.Complaints.FileComplaint(ctx, c)
		ch.ID = id
		if err == nil {
			// The receipt the deadlines run from, as stored: a retry's is
			// the first filing's, earlier than this record's at.
			ch.EffectiveAt = received.UTC()
		}
		listed = errors.Is(err, complaint.ErrListed)
		if err == nil && c.Tenant == "" {
			// A retry without its tenant is acknowledged: the record
			// names the complaint's tenant as stored.
			if tn, terr := s.be.Complaints.ComplaintTenant(ctx, id); terr == nil {
				ch.Tenant = tn
			}
		}
		return err
	}); err != nil {
		if listed {
			// The filing's id, the one the server picked when none was
			// given: the listing's record names it.
			c.ID = cmp.Or(c.ID, id)
			err = s.recordComplaintListing(ctx, c, err)
			if req.GetComplaintId() == "" && status.Code(err) == codes.Unavailable {
				// A retry without the id would file another complaint
				// (the first may be on record, its holds to complete).
				return nil, status.Errorf(codes.Unavailable, "%s (the number is listed; complaint %s: retry with this complaint_id)", status.Convert(err).Message(), c.ID)
			}
			return nil, err
		}
		if id != "" && status.Code(err) == codes.Unavailable {
			// Filed but not recorded: the id lets a retry name the same
			// complaint instead of filing another.
			return nil, status.Errorf(codes.Unavailable, "%s (complaint %s: retry with this complaint_id)", status.Convert(err).Message(), id)
		}
		return nil, err
	}
	return &pb.FileComplaintResponse{ComplaintId: id, ReceivedAt: optTimestamp(received)}, nil
}

// receiptOf returns the receipt of a FileComplaint: ts, or now when ts is
// unset. The rule of `dialgate complaint add --at`: ts before 2000 (a zero
// timestamp, a mistyped year) or more than maxReceiptSkew after now (a
// wrong year or zone offset, which would flag the deadlines only long
// after they were missed) is InvalidArgument naming received_at; one
// within the skew is now (a complaint is not received after it is filed).
func receiptOf(ts *timestamppb.Timestamp, now time.Time) (time.Time, error) {
	t, err := timeFromProto("received_at", "", ts)
	switch {
	case err != nil:
		return time.Time{}, err
	case t.IsZero():
		return now, nil
	case t.After(now.Add(maxReceiptSkew)):
		return time.Time{}, invalid("received_at", "%s is after the server's clock (%s): a complaint cannot be received before it is filed (check the year and the zone offset)",
			t.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339))
	case t.After(now):
		return now, nil
	}
	return t, nil
}

// recordComplaintListing records the opt-out of a filing refused once its
// number was listed (refused, the filing's error as the client gets it):
// the complaint is not on record, but the listing is in force, and a
// dnc.add change (source "complaint", the complaint id the filing gave) is
// its trail. When that record fails too, the error says so.
func (s *adminServer) recordComplaintListing(ctx context.Context, c Complaint, refused error) error {
	ch, err := s.newChange(ctx, auditlog.OpDNCAdd)
	if err == nil {
		ch.Number, ch.Scope, ch.Tenant, ch.ID, ch.Source, ch.EffectiveAt = c.Number, c.Scope, c.Tenant, c.ID, "complaint", c.At
		if ch.Scope == "" {
			ch.Scope = dnc.GlobalScope.String()
		}
		_, err = auditlog.ApplyThenRecord(ctx, adminRecorder{s}, &ch, func() error { return nil })
	}
	if err != nil {
		st := status.Convert(refused)
		return status.Errorf(st.Code(), "%s; and the listing was not recorded: the audit log is unavailable (%s)", st.Message(), auditCause(err))
	}
	return refused
}

// ForwardComplaint records that complaint_id was forwarded, at the server's
// clock (stepComplaint).
func (s *adminServer) ForwardComplaint(ctx context.Context, req *pb.ForwardComplaintRequest) (*pb.ForwardComplaintResponse, error) {
	at, err := s.stepComplaint(ctx, "ForwardComplaint", req.GetComplaintId(), StepForward, "")
	if err != nil {
		return nil, err
	}
	return &pb.ForwardComplaintResponse{ForwardedAt: timestamppb.New(at)}, nil
}

// ResolveComplaint records that complaint_id was handled, with its
// resolution (required, at most 4096 bytes), at the server's clock
// (stepComplaint).
func (s *adminServer) ResolveComplaint(ctx context.Context, req *pb.ResolveComplaintRequest) (*pb.ResolveComplaintResponse, error) {
	if s.be.Complaints == nil {
		return nil, s.unimplemented("ResolveComplaint", "complaint")
	}
	res := req.GetResolution()
	if strings.TrimSpace(res) == "" {
		return nil, invalid("resolution", "missing (say how the complaint was verified and handled)")
	}
	if err := checkFreeText("resolution", res, 4096, true); err != nil {
		return nil, err
	}
	at, err := s.stepComplaint(ctx, "ResolveComplaint", req.GetComplaintId(), StepResolve, res)
	if err != nil {
		return nil, err
	}
	return &pb.ResolveComplaintResponse{HandledAt: timestamppb.New(at)}, nil
}

// AnswerComplaint records that complaint_id's complainant was answered, at
// the server's clock (stepComplaint).
func (s *adminServer) AnswerComplaint(ctx context.Context, req *pb.AnswerComplaintRequest) (*pb.AnswerComplaintResponse, error) {
	at, err := s.stepComplaint(ctx, "AnswerComplaint", req.GetComplaintId(), StepAnswer, "")
	if err != nil {
		return nil, err
	}
	return &pb.AnswerComplaintResponse{AnsweredAt: timestamppb.New(at)}, nil
}

// stepOps are the change records of the complaint steps, those the local
// complaint forward|resolve|answer write.
var stepOps = map[ComplaintStep]string{
	StepForward: auditlog.OpComplaintForward,
	StepResolve: auditlog.OpComplaintResolve,
	StepAnswer:  auditlog.OpComplaintAnswer,
}

// stepComplaint validates the complaint id, checks that a token bound to
// tenants steps only its tenants' complaints, and makes the step at the
// server's clock through Backend.Complaints: made first, then recorded
// (applyThenRecord), as the local commands do, since a step only records
// the complaint's progress (the holds an answer lets go are lifted by a
// release, recorded on its own). The record names the complaint and the
// step's instant as stored (effective_at), not the resolution text (it may
// name the number; the complaint keeps it). It returns that instant.
func (s *adminServer) stepComplaint(ctx context.Context, method, id string, step ComplaintStep, resolution string) (time.Time, error) {
	if s.be.Complaints == nil {
		return time.Time{}, s.unimplemented(method, "complaint")
	}
	// The id names a stored complaint: one an earlier build stored with a
	// C1 control or a bidirectional character in its id must still be
	// stepped (answering it ends its recording holds).
	if err := checkRefID("complaint_id", id, true); err != nil {
		return time.Time{}, err
	}
	if boundToken(ctx) != nil {
		// Another tenant's complaint is not this token's to step: its
		// handling record would show another's work.
		tenant, err := s.be.Complaints.ComplaintTenant(ctx, id)
		if err != nil {
			return time.Time{}, s.adminError(method, err)
		}
		if e := boundToken(ctx); !e.tenants[tenant] {
			// The refusal names nothing of the complaint on record (its
			// tenant is another call centre's name), as FileComplaint's
			// refusal of another filing's id does not.
			return time.Time{}, status.Errorf(codes.PermissionDenied, "complaint_id: token %q is bound to tenants and may step only their complaints; complaint %s is not one of them", e.name, clip(id))
		}
	}
	ch, err := s.newChange(ctx, stepOps[step])
	if err != nil {
		return time.Time{}, err
	}
	ch.ID = id
	var at time.Time
	if err := s.applyThenRecord(ctx, method, &ch, func() error {
		var err error
		at, err = s.be.Complaints.StepComplaint(ctx, id, step, ch.At, resolution)
		ch.EffectiveAt = at.UTC()
		return err
	}); err != nil {
		return time.Time{}, err
	}
	return at, nil
}

// Bounds of a RepairComplaintRequest: complaint_id as a stored complaint's
// id (complaint.Validate), complaint_json far above any complaint's JSON.
const (
	maxRepairIDLen   = 256
	maxRepairJSONLen = 1 << 20
)

// RepairComplaint replaces a damaged complaint whole with the complaint
// complaint_json holds (complaint.DecodeRepair, the input of the local
// `complaint repair`) through the store's complaint.Repairer
// (ComplaintRepairer). Only a token bound to no tenant repairs: the tenant
// of a damaged record cannot be read. As the local command does, the
// change is recorded first (complaint.repair, requested, with the SHA-256
// of complaint_json) and not made when it cannot be, then as applied or
// failed (recordThenApply): a repair ends the refusals the damage caused
// (a recording of the callee registered again). It answers the SHA-256 of
// complaint_json and of the damaged bytes replaced (which the store keeps).
// The same repair again (a retry after a lost answer) is recorded and
// answered as the first: the store's Repairer returns the bytes it replaced
// again when the complaint stored is exactly the one given.
func (s *adminServer) RepairComplaint(ctx context.Context, req *pb.RepairComplaintRequest) (*pb.RepairComplaintResponse, error) {
	const method = "RepairComplaint"
	if s.be.Complaints == nil {
		return nil, s.unimplemented(method, "complaint")
	}
	id, data := req.GetComplaintId(), req.GetComplaintJson()
	switch {
	case id == "":
		return nil, invalid("complaint_id", "missing")
	case len(id) > maxRepairIDLen:
		return nil, invalid("complaint_id", "longer than %d bytes", maxRepairIDLen)
	case len(data) == 0:
		return nil, invalid("complaint_json", "missing (the whole complaint, as `dialgate complaint add --json` prints it)")
	case len(data) > maxRepairJSONLen:
		return nil, invalid("complaint_json", "%d bytes, more than %d", len(data), maxRepairJSONLen)
	}
	if e := boundToken(ctx); e != nil {
		return nil, status.Errorf(codes.PermissionDenied, "complaint_id: token %q is bound to tenants: the tenant of a damaged complaint cannot be read, so only a token bound to no tenant repairs one", e.name)
	}
	c, err := complaint.DecodeRepair(data, id)
	if err != nil {
		return nil, invalid("complaint_json", "%s", strings.TrimPrefix(err.Error(), complaint.ErrInvalid.Error()+": "))
	}
	r, ok := s.be.Complaints.(ComplaintRepairer)
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "%s: this server's complaint store cannot repair a complaint", method)
	}
	ch, err := s.newChange(ctx, auditlog.OpComplaintRepair)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	ch.ID, ch.Tenant, ch.Scope, ch.DecisionID, ch.Source = c.ID, c.Tenant, c.Scope, c.DecisionID, string(c.Channel)
	ch.SHA256 = hex.EncodeToString(sum[:])
	var replaced []byte
	if err := s.recordThenApply(ctx, method, ch, func() error {
		var err error
		replaced, err = r.RepairComplaint(ctx, c)
		return err
	}); err != nil {
		return nil, err
	}
	rsum := sha256.Sum256(replaced)
	return &pb.RepairComplaintResponse{Sha256: ch.SHA256, ReplacedSha256: hex.EncodeToString(rsum[:]),
		ReplacedBytes: int64(len(replaced)), ChangeId: ch.ChangeID}, nil
}

// ListComplaints lists a page of the complaints of the request's status
// and tenant (a token bound to tenants must name one of them), with the
// deadlines each has missed at the server's clock, keeping only the overdue
// ones when asked. A page starts after the complaint its page_token names
// and holds at most page_size complaints (DefaultComplaintPageSize,
// MaxComplaintPageSize), fewer when they would pass maxComplaintPageBytes.
// It sends no number, hash or free text.
func (s *adminServer) ListComplaints(ctx context.Context, req *pb.ListComplaintsRequest) (*pb.ListComplaintsResponse, error) {
	if s.be.Complaints == nil {
		return nil, s.unimplemented("ListComplaints", "complaint")
	}
	var f complaint.Filter
	switch st := complaint.Status(req.GetStatus()); st {
	case "", complaint.StatusOpen, complaint.StatusForwarded, complaint.StatusHandled, complaint.StatusAnswered:
		f.Status = st
	default:
		return nil, invalid("status", "unknown status %q (want open, forwarded, handled or answered)", clip(string(st)))
	}
	if err := checkTenant("tenant", req.GetTenant()); err != nil {
		return nil, err
	}
	if e := boundToken(ctx); e != nil && !e.tenants[req.GetTenant()] {
		return nil, status.Errorf(codes.PermissionDenied, "tenant: token %q is bound to tenants and may list only their complaints: name one of them in tenant (%q is not)", e.name, clip(req.GetTenant()))
	}
	f.Tenant = req.GetTenant()
	size := int(req.GetPageSize())
	switch {
	case size < 0:
		return nil, invalid("page_size", "%d is negative (0 means %d, at most %d)", size, DefaultComplaintPageSize, MaxComplaintPageSize)
	case size == 0:
		size = DefaultComplaintPageSize
	case size > MaxComplaintPageSize:
		size = MaxComplaintPageSize
	}
	listing := complaintListing{Status: req.GetStatus(), Overdue: req.GetOverdue(), Tenant: req.GetTenant()}
	after, err := decodeComplaintPage(req.GetPageToken(), listing)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if req.GetOverdue() {
		f.OverdueAt = now
	}
	// One more than the page: whether another page follows.
	ls, err := s.be.Complaints.ListComplaints(ctx, now, f, after, size+1)
	if err != nil {
		return nil, s.readError("ListComplaints", err)
	}
	out := &pb.ListComplaintsResponse{AsOf: timestamppb.New(now), Complaints: []*pb.ListedComplaint{}}
	n := 0
	for i, l := range ls {
		pc := &pb.ListedComplaint{
			ComplaintId: l.ID, Tenant: l.Tenant, Scope: l.Scope, Channel: string(l.Channel), CallDecisionId: l.DecisionID,
			Status: string(l.Status), ReceivedAt: optTimestamp(l.ReceivedAt), ForwardBy: optTimestamp(l.ForwardBy),
			HandleBy: optTimestamp(l.HandleBy), AnswerBy: optTimestamp(l.AnswerBy), ForwardedAt: optTimestamp(l.ForwardedAt),
			HandledAt: optTimestamp(l.HandledAt), AnsweredAt: optTimestamp(l.AnsweredAt), Overdue: l.Overdue,
		}
		// The page ends at size, or before it would pass the byte bound
		// (never empty: one complaint is far below it).
		n += protowire.SizeTag(1) + protowire.SizeBytes(proto.Size(pc))
		if i == size || (i > 0 && n > maxComplaintPageBytes) {
			tok, err := encodeComplaintPage(complaint.PositionOf(ls[i-1].Complaint), listing)
			if err != nil {
				s.log.Warn("sidecar: admin read failed", "method", "ListComplaints", "err", err)
				return nil, status.Errorf(codes.Unavailable, "ListComplaints: not read: %v; correct or replace the record, then retry", err)
			}
			out.NextPageToken = tok
			break
		}
		out.Complaints = append(out.Complaints, pc)
	}
	return out, nil
}

// readError is adminError for a read: a store failure is Unavailable
// saying nothing was read (a read changes nothing), its cause logged.
func (s *adminServer) readError(method string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	s.log.Warn("sidecar: admin read failed", "method", method, "err", err)
	if re := (*storage.RecordError)(nil); errors.As(err, &re) {
		return status.Errorf(codes.Unavailable, "%s: not read: %v; correct or replace the record, then retry", method, re)
	}
	return status.Errorf(codes.Unavailable, "%s: not read; retry (the cause is in the server's log)", method)
}

// optTimestamp returns t as a proto timestamp, nil for the zero time.
func optTimestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

var numberTypes = map[pb.NumberType]string{
	pb.NumberType_NUMBER_TYPE_95:              "95",
	pb.NumberType_NUMBER_TYPE_96:              "96",
	pb.NumberType_NUMBER_TYPE_400:             "400",
	pb.NumberType_NUMBER_TYPE_800:             "800",
	pb.NumberType_NUMBER_TYPE_FIXED:           "fixed",
	pb.NumberType_NUMBER_TYPE_MOBILE_BUSINESS: "mobile_business",
}

// AddLedgerEntry validates the request (number, type, holder and at least
// one purpose required; valid_until after valid_from), defaults valid_from
// to the server's clock, and stores the entry through Backend.Ledger: an
// entry the ledger holds with other facts is refused (AlreadyExists, naming
// the fields) unless replace is set.
func (s *adminServer) AddLedgerEntry(ctx context.Context, req *pb.AddLedgerEntryRequest) (*pb.AddLedgerEntryResponse, error) {
	if s.be.Ledger == nil {
		return nil, s.unimplemented("AddLedgerEntry", "callerid")
	}
	var (
		e   LedgerEntry
		err error
	)
	if err = checkTenant("tenant", req.GetTenant()); err != nil {
		return nil, err
	}
	if err = adminTenant(ctx, "tenant", req.GetTenant()); err != nil {
		return nil, err
	}
	e.Tenant = req.GetTenant()
	if e.Number, err = parseNumber("number", "", req.GetNumber(), true); err != nil {
		return nil, err
	}
	if e.Type, err = enumName("type", req.GetType(), numberTypes); err != nil {
		return nil, err
	}
	if req.GetHolder() == "" {
		return nil, invalid("holder", "missing")
	}
	for _, f := range []struct{ name, v string }{{"holder", req.GetHolder()}, {"access", req.GetAccess()}, {"qualification", req.GetQualification()}} {
		if err := checkText(f.name, f.v, 512); err != nil {
			return nil, err
		}
	}
	e.Holder, e.Access, e.Qualification = req.GetHolder(), req.GetAccess(), req.GetQualification()
	if len(req.GetPurposes()) == 0 {
		return nil, invalid("purposes", "missing (at least one)")
	}
	if e.Purposes, err = purposesFromProto("purposes", req.GetPurposes()); err != nil {
		return nil, err
	}
	if e.ValidFrom, err = timeFromProto("valid_from", "", req.GetValidFrom()); err != nil {
		return nil, err
	}
	if e.ValidFrom.IsZero() {
		e.ValidFrom, e.ValidFromNow = s.now(), true
	}
	if e.ValidUntil, err = timeFromProto("valid_until", "", req.GetValidUntil()); err != nil {
		return nil, err
	}
	if !e.ValidUntil.IsZero() && !e.ValidUntil.After(e.ValidFrom) {
		return nil, invalid("valid_until", "not after valid_from")
	}
	e.OfficeUseOnly, e.Replace = req.GetOfficeUseOnly(), req.GetReplace()
	ch, err := s.newChange(ctx, auditlog.OpLedgerAdd)
	if err != nil {
		return nil, err
	}
	ch.Tenant, ch.CallerID, ch.EffectiveAt, ch.Replace = e.Tenant, e.Number.String(), e.ValidFrom, e.Replace
	if e.Replace {
		// The ledger keeps no history: the record names the entry this
		// replaces, read now, and the write is made only if that is still
		// what it replaces. When it cannot be read the record names none,
		// and the write is made only if it replaces none.
		p, err := s.be.Ledger.LedgerPrior(ctx, e)
		if err != nil {
			// A malformed entry is refused by the write, naming the field.
			if fe := (*dialgate.FieldError)(nil); !errors.As(err, &fe) {
				s.log.Warn("sidecar: ledger entry to be replaced not read; the write replaces none", "err", err)
			}
			p = LedgerPrior{}
		}
		e.Prior = &p
		ch.Replaced, ch.ReplacedUnreadable = ReplacedLedgerEntry(p.Replaces), p.Unreadable
	}
	if err := s.recordThenApply(ctx, "AddLedgerEntry", ch, func() error { return s.be.Ledger.AddLedgerEntry(ctx, e) }); err != nil {
		return nil, err
	}
	return &pb.AddLedgerEntryResponse{}, nil
}

// maxRetentionDays bounds retention_days: 100 years, the longest duration
// dialgate reads anywhere (dialgate.ParseDuration).
const maxRetentionDays = 36600

// RegisterRecording validates the request (id, number and started_at
// required; retention_days 0 or at least 30; ended_at, when set, not before
// started_at nor in the future), stamps it with the server's clock and
// registers it through Backend.Recordings.
func (s *adminServer) RegisterRecording(ctx context.Context, req *pb.RegisterRecordingRequest) (*pb.RegisterRecordingResponse, error) {
	if s.be.Recordings == nil {
		return nil, s.unimplemented("RegisterRecording", "recording")
	}
	var (
		r   Recording
		err error
	)
	if err = checkID("id", req.GetId(), true); err != nil {
		return nil, err
	}
	r.ID = req.GetId()
	if r.Number, err = parseNumber("number", "", req.GetNumber(), true); err != nil {
		return nil, err
	}
	if r.StartedAt, err = requiredTime("started_at", req.GetStartedAt()); err != nil {
		return nil, err
	}
	// Before started_at or in the future, the Manager refuses it, naming it.
	if r.EndedAt, err = timeFromProto("ended_at", "", req.GetEndedAt()); err != nil {
		return nil, err
	}
	if d := req.GetRetentionDays(); d < 0 || (d > 0 && d < 30) {
		return nil, invalid("retention_days", "%d is below the 30-day floor (0 means the profile's retention)", d)
	} else if d > maxRetentionDays {
		// In nanoseconds a larger count overflows (213535 days read as 31).
		return nil, invalid("retention_days", "%d is more than %d (100 years)", d, maxRetentionDays)
	}
	r.RetentionDays = int(req.GetRetentionDays())
	if err = checkID("decision_id", req.GetDecisionId(), false); err != nil {
		return nil, err
	}
	r.DecisionID = req.GetDecisionId()
	if err = checkTenant("tenant", req.GetTenant()); err != nil {
		return nil, err
	}
	if err = adminTenant(ctx, "tenant", req.GetTenant()); err != nil {
		return nil, err
	}
	if err = s.mayLinkDecision(ctx, r.DecisionID, req.GetTenant()); err != nil {
		return nil, err
	}
	ch, err := s.newChange(ctx, auditlog.OpRecordingRegister)
	if err != nil {
		return nil, err
	}
	r.Tenant, r.At = req.GetTenant(), ch.At
	ch.ID, ch.Number, ch.Tenant, ch.DecisionID, ch.EffectiveAt = r.ID, r.Number, r.Tenant, r.DecisionID, r.StartedAt
	if err := s.applyThenRecord(ctx, "RegisterRecording", &ch, func() error {
		stored, err := s.be.Recordings.RegisterRecording(ctx, r)
		if err == nil {
			// A retry is recorded with the tenant and decision on record.
			ch.Tenant, ch.DecisionID = stored.Tenant, stored.DecisionID
		}
		return err
	}); err != nil {
		return nil, err
	}
	return &pb.RegisterRecordingResponse{}, nil
}

// mayLinkDecision reports PermissionDenied, naming decision_id, when ctx's
// token is bound to tenants and decision id is a remembered decision of
// another tenant, and InvalidArgument when it is a remembered decision of
// one of the token's tenants other than the recording's tenant: a recording
// registered under a decision is linked to it as ReportOutcome links one
// (see decisionOwners.mayReport), and one tenant must not attach recordings
// to another's decisions. A decision the server does not remember is
// accepted, as ReportOutcome accepts it.
func (s *adminServer) mayLinkDecision(ctx context.Context, id, tenant string) error {
	e := boundToken(ctx)
	if e == nil || id == "" || s.owners == nil {
		return nil
	}
	owner, ok := s.owners.tenant(id)
	if !ok {
		return nil
	}
	if !e.tenants[owner] {
		return status.Errorf(codes.PermissionDenied, "decision_id: token %q may not register a recording under another tenant's decision", e.name)
	}
	if owner != tenant {
		return invalid("decision_id", "decision %s was made for tenant %q, not the recording's tenant %q", id, owner, tenant)
	}
	return nil
}

// HoldRecording places a hold (hold_id DefaultHoldID when empty) at the
// server's clock through Backend.Recordings.
func (s *adminServer) HoldRecording(ctx context.Context, req *pb.HoldRecordingRequest) (*pb.HoldRecordingResponse, error) {
	if s.be.Recordings == nil {
		return nil, s.unimplemented("HoldRecording", "recording")
	}
	if err := checkRefID("id", req.GetId(), true); err != nil {
		return nil, err
	}
	if err := checkFreeText("reason", req.GetReason(), 1024, true); err != nil {
		return nil, err
	}
	hold, err := holdID(req.GetHoldId(), false)
	if err != nil {
		return nil, err
	}
	ch, err := s.newChange(ctx, auditlog.OpRecordingHold)
	if err != nil {
		return nil, err
	}
	ch.ID, ch.HoldID = req.GetId(), hold
	if err := s.applyThenRecord(ctx, "HoldRecording", &ch, func() error {
		return s.be.Recordings.HoldRecording(ctx, req.GetId(), hold, req.GetReason(), ch.At)
	}); err != nil {
		return nil, err
	}
	return &pb.HoldRecordingResponse{}, nil
}

// EndRecording records the end of a recording's call (id and ended_at
// required) at the server's clock through Backend.Recordings. A token bound
// to tenants ends only its tenants' recordings: the end (and an estimated
// start) is the record of when another tenant's call took place.
func (s *adminServer) EndRecording(ctx context.Context, req *pb.EndRecordingRequest) (*pb.EndRecordingResponse, error) {
	if s.be.Recordings == nil {
		return nil, s.unimplemented("EndRecording", "recording")
	}
	if err := checkRefID("id", req.GetId(), true); err != nil {
		return nil, err
	}
	ended, err := requiredTime("ended_at", req.GetEndedAt())
	if err != nil {
		return nil, err
	}
	if e := boundToken(ctx); e != nil {
		tenant, err := s.be.Recordings.RecordingTenant(ctx, req.GetId())
		if err != nil {
			return nil, s.adminError("EndRecording", err)
		}
		if !e.tenants[tenant] {
			// Names nothing of the recording on record (its tenant is
			// another call centre's name).
			return nil, status.Errorf(codes.PermissionDenied, "id: token %q is bound to tenants and may end only their recordings; recording %s is not one of them", e.name, clip(req.GetId()))
		}
	}
	ch, err := s.newChange(ctx, auditlog.OpRecordingEnd)
	if err != nil {
		return nil, err
	}
	ch.ID, ch.EffectiveAt = req.GetId(), ended
	if err := s.recordThenApply(ctx, "EndRecording", ch, func() error {
		return s.be.Recordings.EndRecording(ctx, req.GetId(), ended, ch.At)
	}); err != nil {
		return nil, err
	}
	return &pb.EndRecordingResponse{}, nil
}

// ReleaseRecordingHold lifts a hold (hold_id DefaultHoldID when empty)
// through Backend.Recordings.
func (s *adminServer) ReleaseRecordingHold(ctx context.Context, req *pb.ReleaseRecordingHoldRequest) (*pb.ReleaseRecordingHoldResponse, error) {
	if s.be.Recordings == nil {
		return nil, s.unimplemented("ReleaseRecordingHold", "recording")
	}
	if err := checkRefID("id", req.GetId(), true); err != nil {
		return nil, err
	}
	hold, err := holdID(req.GetHoldId(), true)
	if err != nil {
		return nil, err
	}
	if e := boundToken(ctx); e != nil {
		// Whose recording it is is not known here; lifting a legal hold is
		// for a token that answers for every tenant.
		return nil, status.Errorf(codes.PermissionDenied, "id: token %q is bound to tenants and may not lift a recording hold (use a token without tenants)", e.name)
	}
	ch, err := s.newChange(ctx, auditlog.OpRecordingReleaseHold)
	if err != nil {
		return nil, err
	}
	ch.ID, ch.HoldID = req.GetId(), hold
	if err := s.recordThenApply(ctx, "ReleaseRecordingHold", ch, func() error {
		return s.be.Recordings.ReleaseRecordingHold(ctx, req.GetId(), hold, ch.At)
	}); err != nil {
		return nil, err
	}
	return &pb.ReleaseRecordingHoldResponse{}, nil
}

// holdID validates the hold_id field; empty means DefaultHoldID. A new
// hold's id (ref false) is checked as checkID checks an id; one naming a
// hold already stored (ref true: a release) as checkRefID does, so that a
// hold an earlier build stored can still be released.
func holdID(s string, ref bool) (string, error) {
	if s == "" {
		return DefaultHoldID, nil
	}
	check := checkID
	if ref {
		check = checkRefID
	}
	if err := check("hold_id", s, true); err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		return "", invalid("hold_id", "blank")
	}
	return s, nil
}

// enumName returns the name names gives the enum value v of field: missing
// (the zero, UNSPECIFIED value) and unknown values are InvalidArgument
// naming the field.
func enumName[E ~int32](field string, v E, names map[E]string) (string, error) {
	if v == 0 {
		return "", invalid(field, "missing")
	}
	name, ok := names[v]
	if !ok {
		return "", invalid(field, "unknown enum value %d", int32(v))
	}
	return name, nil
}

// requiredTime is timeFromProto for a field that must be set.
func requiredTime(field string, ts *timestamppb.Timestamp) (time.Time, error) {
	if ts == nil {
		return time.Time{}, invalid(field, "missing")
	}
	return timeFromProto(field, "", ts)
}
