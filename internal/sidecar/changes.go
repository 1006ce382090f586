package sidecar

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/dialgate/dialgate/auditlog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// ChangeRecorder records AdminService writes in the audit log
// (auditlog.Log.RecordChange): durably, in the same group commit as
// decisions, before it returns nil.
type ChangeRecorder = auditlog.ChangeRecorder

// adminAuth is what the server requires of every AdminService call, from
// its configuration: a bearer token (a tokens file), a verified client
// certificate (mTLS), both or neither.
type adminAuth struct{ tokens, mtls bool }

// changeActor returns who makes a change in ctx (see
// auditlog.ChangeRecord.Actor): the token's name, else "mtls:" and the
// verified client certificate's name, else "unauthenticated:" and how the
// client reached a server that requires neither; and the verified client
// certificate, if any. A call to a server that requires a token or a
// certificate reaches a handler only with it (tokenAuth, the TLS
// handshake): one without it is a fault, refused (Internal) rather than
// recorded under no name or another's.
func (s *adminServer) changeActor(ctx context.Context, op string) (string, *auditlog.ClientCert, error) {
	tok, _ := ctx.Value(tokenKey{}).(*tokenEntry)
	var leaf *x509.Certificate
	p, _ := peer.FromContext(ctx)
	if p != nil {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.VerifiedChains) > 0 && len(ti.State.VerifiedChains[0]) > 0 {
			leaf = ti.State.VerifiedChains[0][0]
		}
	}
	switch {
	case s.auth.tokens && tok == nil:
		return "", nil, status.Errorf(codes.Internal, "%s: not applied: the call carries no token, which this server requires (a server fault)", op)
	case s.auth.mtls && leaf == nil:
		return "", nil, status.Errorf(codes.Internal, "%s: not applied: the call carries no verified client certificate, which this server requires (a server fault)", op)
	}
	var cert *auditlog.ClientCert
	if leaf != nil {
		sum := sha256.Sum256(leaf.Raw)
		cert = &auditlog.ClientCert{Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(),
			Serial: leaf.SerialNumber.Text(16), SHA256: hex.EncodeToString(sum[:])}
		if len(leaf.URIs) > 0 {
			cert.URI = leaf.URIs[0].String()
		}
	}
	switch {
	case tok != nil:
		return tok.name, cert, nil
	case leaf != nil:
		return "mtls:" + certActorName(leaf), cert, nil
	}
	how := "unknown"
	if p != nil {
		switch a := p.Addr.(type) {
		case *net.UnixAddr:
			how = "unix"
		case *net.TCPAddr:
			how = "network"
			if a.IP.IsLoopback() {
				how = "loopback"
			}
		}
	}
	return auditlog.ActorUnauthenticated + how, nil, nil
}

// certActorName names a client certificate in a change's actor: its
// subject's common name, else its first URI (a SPIFFE ID), DNS name or
// e-mail address, else its whole subject, else "sha256:" and its
// fingerprint; never empty.
func certActorName(c *x509.Certificate) string {
	switch {
	case strings.TrimSpace(c.Subject.CommonName) != "":
		return c.Subject.CommonName
	case len(c.URIs) > 0:
		return c.URIs[0].String()
	case len(c.DNSNames) > 0 && c.DNSNames[0] != "":
		return c.DNSNames[0]
	case len(c.EmailAddresses) > 0 && c.EmailAddresses[0] != "":
		return c.EmailAddresses[0]
	}
	if subj := c.Subject.String(); subj != "" {
		return subj
	}
	sum := sha256.Sum256(c.Raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// newChange returns the change op made by ctx's caller (changeActor) at
// the server's clock, with a fresh change id.
func (s *adminServer) newChange(ctx context.Context, op string) (auditlog.Change, error) {
	actor, cert, err := s.changeActor(ctx, op)
	if err != nil {
		s.log.Error("sidecar: admin write refused: no identity", "op", op, "err", err)
		return auditlog.Change{}, err
	}
	id, err := auditlog.NewChangeID()
	if err != nil {
		return auditlog.Change{}, status.Errorf(codes.Unavailable, "%s: not applied: no change id: %v", op, err)
	}
	return auditlog.Change{Op: op, ChangeID: id, Actor: actor, ActorCert: cert, At: s.now()}, nil
}

// record writes c with result, logging why when it could not be; a nil
// Backend.Changes records nothing.
func (s *adminServer) record(ctx context.Context, c auditlog.Change, result string) error {
	if s.be.Changes == nil {
		return nil
	}
	c.Result = result
	err := s.be.Changes.RecordChange(ctx, c)
	if err != nil {
		s.log.Error("sidecar: admin change not recorded in the audit log", "op", c.Op, "change_id", c.ChangeID, "result", result, "err", err)
	}
	return err
}

// adminRecorder records through s.record: it logs a record that fails, and
// records nothing when Backend.Changes is nil.
type adminRecorder struct{ s *adminServer }

// RecordChange implements auditlog.ChangeRecorder.
func (r adminRecorder) RecordChange(ctx context.Context, c auditlog.Change) error {
	return r.s.record(ctx, c, c.Result)
}

// applyThenRecord makes a change that can only deny more dials or keep
// more data (an opt-out added, a consent revoked, a complaint filed, a
// recording registered, a hold placed): apply runs first, since such a
// change must never be refused because the audit log cannot be written,
// then c is recorded as applied. A change apply refuses is not recorded
// (nothing changed). When the record fails the change stays in force and
// the RPC is Unavailable saying so: a retry (these writes are idempotent)
// records it once the log is back.
//
// apply returns the adapter's error, and may complete c (a complaint's id)
// through a pointer before it is recorded.
func (s *adminServer) applyThenRecord(ctx context.Context, method string, c *auditlog.Change, apply func() error) error {
	aerr, rerr := auditlog.ApplyThenRecord(ctx, adminRecorder{s}, c, apply)
	if aerr != nil {
		return s.adminError(method, aerr)
	}
	if rerr != nil {
		return status.Errorf(codes.Unavailable, "%s: applied and in force, but not recorded: the audit log is unavailable (%s); retry to record it once the log is available", method, auditCause(rerr))
	}
	return nil
}

// failedCode returns the function naming the status code of an apply's
// error in a failed change record.
func (s *adminServer) failedCode(method string) func(error) string {
	return func(err error) string {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			// The client gave up while the request was being written.
			return status.FromContextError(err).Code().String()
		}
		return status.Code(s.adminError(method, err)).String()
	}
}

// notRecordedRequest is the status of a change not made because its
// request could not be recorded (qerr).
func notRecordedRequest(method string, qerr error) error {
	return status.Errorf(codes.Unavailable, "%s: not applied: the audit log could not record it (%s); a change that may allow a dial or delete a record is made only once it is recorded: retry once the log is available", method, auditCause(qerr))
}

// recordThenApply makes a change that may allow a dial, or lose a record
// (an opt-out removed, a consent granted, a ledger entry added, a
// recording's end set, a hold lifted): c is recorded as requested first,
// and a change that cannot be recorded is not made (Unavailable, "not
// applied"), as the Gate denies a dial it cannot record
// (audit.unavailable). After apply, c is recorded again with the same
// change id, as applied or failed (with the status code). When that
// second record fails, the RPC is Unavailable saying whether the change
// is in force; the requested record stands as its proof.
func (s *adminServer) recordThenApply(ctx context.Context, method string, c auditlog.Change, apply func() error) error {
	qerr, aerr, rerr := auditlog.RecordThenApply(ctx, adminRecorder{s}, c, s.failedCode(method), apply)
	if qerr != nil {
		return notRecordedRequest(method, qerr)
	}
	if aerr != nil {
		serr := s.adminError(method, aerr)
		if rerr != nil {
			return status.Errorf(status.Code(serr), "%s; and its failure was not recorded: the audit log is unavailable (%s)", status.Convert(serr).Message(), auditCause(rerr))
		}
		return serr
	}
	if rerr != nil {
		return status.Errorf(codes.Unavailable, "%s: applied and in force (recorded as requested, change %s), but its completion was not recorded: the audit log is unavailable (%s)", method, c.ChangeID, auditCause(rerr))
	}
	return nil
}

// auditCause says why a record failed without naming the server's files.
func auditCause(err error) string {
	switch {
	case errors.Is(err, auditlog.ErrInvalidRecord):
		return fmt.Sprintf("the record is invalid: %v", err)
	case errors.Is(err, auditlog.ErrClosed):
		return "the log is closed"
	case errors.Is(err, auditlog.ErrFailed):
		return "a write or fsync failed; the cause is in the server's log"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "the write was not confirmed in time"
	}
	return "the cause is in the server's log"
}
