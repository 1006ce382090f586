package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// adminResult is the --json output of every admin subcommand: the RPC that
// succeeded and what it was asked to do. Keys are those of the local
// commands' --json where they have one (consent add, ledger add,
// recordings hold and release).
type adminResult struct {
	RPC       string    `json:"rpc"`
	ID        string    `json:"id,omitempty"`
	Number    string    `json:"number,omitempty"`
	Scope     string    `json:"scope,omitempty"`
	Tenant    string    `json:"tenant,omitempty"`
	Method    string    `json:"method,omitempty"`
	Type      string    `json:"type,omitempty"`
	Hold      string    `json:"hold,omitempty"`
	Released  bool      `json:"released,omitempty"`
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
}

// adminCmd is `dialgate admin`: the AdminService of a running sidecar.
func (a *app) adminCmd() *cobra.Command {
	af := &adminFlags{}
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Change a running sidecar's state over gRPC (opt-outs, consents, complaints, ledger, recordings)",
		Long: `Send changes to a running dialgate serve over its AdminService (gRPC), for
the state its store holds: while the sidecar runs, its --data is locked and
the local commands (consent add, ledger add, recordings register...) cannot
open it; these reach the same store through the sidecar.

  dialgate admin dnc add --number +8613900139000 --scope global --source opt_out

A change is durable, and in force for the next Check, when the command
exits 0. Any other exit means it may not have been applied: retry it (every
change is idempotent) and do not dial the number meanwhile.

Connection: --addr (default 127.0.0.1:7443) or --unix PATH, as dialgate serve
--listen or --unix. The bearer token (admin scope, from the sidecar's tokens
file) is read from --token-file or the DIALGATE_TOKEN environment variable;
never give it on the command line. A plaintext connection to an address that
is not loopback is refused (exit 2) unless --insecure: use --tls-ca (the CA
of the sidecar's --tls-cert; --tls alone uses the system's CAs), and
--tls-cert/--tls-key where the sidecar requires client certificates
(--tls-client-ca).

Exit codes: 0 applied; 1 not applied or not known to be (no answer within
--timeout, the sidecar unavailable, the token missing, unknown or without
the admin scope, an unknown record, a conflict); 2 bad input, naming the
flag (the sidecar's InvalidArgument names the field; its flag is named).`,
	}
	af.register(cmd)
	dncCmd := &cobra.Command{Use: "dnc", Short: "Add and remove do-not-call entries (opt-outs)"}
	dncCmd.AddCommand(a.adminDNCAddCmd(af), a.adminDNCRemoveCmd(af))
	consentCmd := &cobra.Command{Use: "consent", Short: "Grant and revoke consents"}
	consentCmd.AddCommand(a.adminConsentAddCmd(af), a.adminConsentRevokeCmd(af))
	complaintCmd := &cobra.Command{Use: "complaint", Short: "File complaints"}
	complaintCmd.AddCommand(a.adminComplaintAddCmd(af))
	ledgerCmd := &cobra.Command{Use: "ledger", Short: "Add caller IDs to a tenant's ledger"}
	ledgerCmd.AddCommand(a.adminLedgerAddCmd(af))
	recCmd := &cobra.Command{Use: "recordings", Short: "Register and end recordings, place and release legal holds"}
	recCmd.AddCommand(a.adminRecRegisterCmd(af), a.adminRecEndCmd(af), a.adminRecHoldCmd(af), a.adminRecReleaseCmd(af))
	cmd.AddCommand(dncCmd, consentCmd, complaintCmd, ledgerCmd, recCmd)
	return cmd
}

// adminRun is the RunE of an admin subcommand: it opens the connection,
// calls rpc (whose request fields map to flags as fields says, see
// flagOfField) and, on success, prints res as JSON when asJSON, else text.
func (a *app) adminRun(cmd *cobra.Command, af *adminFlags, fields map[string]string, rpc func(context.Context, *adminConn) error, asJSON bool, res *adminResult, text func(where string) string) error {
	c, err := af.connect(cmd)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.call(cmd.Context(), fields, func(ctx context.Context) error { return rpc(ctx, c) }); err != nil {
		return err
	}
	if asJSON {
		return a.printJSON(res)
	}
	fmt.Fprintln(a.stdout, text(c.where))
	return nil
}

// optTime parses an optional RFC 3339 flag: nil when empty (the sidecar's
// clock then stands for it). past refuses an instant after now (see
// parsePast).
func optTime(flag, s string, past bool) (*timestamppb.Timestamp, error) {
	if s == "" {
		return nil, nil
	}
	parse := parseAt
	if past {
		parse = parsePast
	}
	t, err := parse(flag, s)
	if err != nil {
		return nil, err
	}
	return timestamppb.New(t), nil
}

// adminNumber parses --number (required).
func adminNumber(s string) (dialgate.Number, error) {
	if s == "" {
		return dialgate.Number{}, usageErr("--number: missing")
	}
	n, err := dialgate.ParseNumber(s)
	if err != nil {
		return n, usageErr("--number: %v", err)
	}
	return n, nil
}

// adminScope parses --scope; required or "" (global).
func adminScope(s string, required bool) (string, error) {
	if s == "" {
		if required {
			return "", usageErr("--scope: missing (global, industry:X, business:X, tenant:X or campaign:X)")
		}
		return "", nil
	}
	sc, err := dnc.ParseScope(s)
	if err != nil {
		return "", usageErr("--scope: %v", err)
	}
	return sc.String(), nil
}

func (a *app) adminDNCAddCmd(af *adminFlags) *cobra.Command {
	var number, scope, source, at string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add --number N --scope S [--source SRC] [--at T]",
		Short: "Put a number on a do-not-call list (an opt-out); the next Check of it in scope denies",
		Long: `Put a number on the sidecar's do-not-call list in a scope (AddDncEntry). It
is durable, and the next Check of the number in the scope denies
(dnc.listed), when the command exits 0.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := adminNumber(number)
			if err != nil {
				return err
			}
			sc, err := adminScope(scope, true)
			if err != nil {
				return err
			}
			if err := checkText("--source", source); err != nil {
				return err
			}
			ts, err := optTime("at", at, true)
			if err != nil {
				return err
			}
			req := &pb.AddDncEntryRequest{Number: n.String(), Scope: sc, Source: source, AddedAt: ts}
			res := &adminResult{RPC: "AddDncEntry", Number: req.Number, Scope: sc}
			return a.adminRun(cmd, af, map[string]string{"added_at": "--at"}, func(ctx context.Context, c *adminConn) error {
				_, err := c.AddDncEntry(ctx, req)
				return err
			}, asJSON, res, func(where string) string {
				return fmt.Sprintf("added %s to the do-not-call list (%s) on %s", req.Number, sc, where)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&number, "number", "", "the number, E.164 (required)")
	f.StringVar(&scope, "scope", "", "scope: global, industry:X, business:X, tenant:X or campaign:X (required)")
	f.StringVar(&source, "source", "", "where the entry comes from: opt_out, complaint, import...")
	f.StringVar(&at, "at", "", "when the callee refused, RFC 3339 (default: the sidecar's clock; not in the future)")
	f.BoolVar(&asJSON, "json", false, `print what was added as JSON: {"rpc", "number", "scope"}`)
	return cmd
}

func (a *app) adminDNCRemoveCmd(af *adminFlags) *cobra.Command {
	var number, scope string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "remove --number N --scope S",
		Short: "Take a number off a do-not-call list (after re-consent); an absent entry is not an error",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := adminNumber(number)
			if err != nil {
				return err
			}
			sc, err := adminScope(scope, true)
			if err != nil {
				return err
			}
			req := &pb.RemoveDncEntryRequest{Number: n.String(), Scope: sc}
			res := &adminResult{RPC: "RemoveDncEntry", Number: req.Number, Scope: sc}
			return a.adminRun(cmd, af, nil, func(ctx context.Context, c *adminConn) error {
				_, err := c.RemoveDncEntry(ctx, req)
				return err
			}, asJSON, res, func(where string) string {
				return fmt.Sprintf("removed %s from the do-not-call list (%s) on %s", req.Number, sc, where)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&number, "number", "", "the number, E.164 (required)")
	f.StringVar(&scope, "scope", "", "the scope it was added with (required)")
	f.BoolVar(&asJSON, "json", false, `print what was removed as JSON: {"rpc", "number", "scope"}`)
	return cmd
}

// consentFields maps GrantConsent's fields to consent add's flags.
var consentFields = map[string]string{"evidence_sha256": "--disclosure-sha256"}

func (a *app) adminConsentAddCmd(af *adminFlags) *cobra.Command {
	var cf consentFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add --id ID --number N --scope S [--tenant NAME] --method M --granted-at T [flags]",
		Short: "Grant a consent (GrantConsent), with the flags of consent add",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := cf.record(cmd)
			if err != nil {
				return err
			}
			method, err := protoEnum("--method", "CONSENT_METHOD_", string(r.Method), pb.ConsentMethod_value)
			if err != nil {
				return err
			}
			req := &pb.GrantConsentRequest{Id: r.ID, Number: r.Number.String(), Scope: string(r.Scope), Tenant: r.Tenant,
				GrantedAt: timestamppb.New(r.GrantedAt), EvidenceSha256: r.DisclosureSHA256, Method: pb.ConsentMethod(method),
				EvidenceUri: r.EvidenceURI, Channel: r.Channel}
			if !r.ExpiresAt.IsZero() {
				req.ExpiresAt = timestamppb.New(r.ExpiresAt)
			}
			res := &adminResult{RPC: "GrantConsent", ID: r.ID, Number: req.Number, Scope: req.Scope, Tenant: r.Tenant, Method: string(r.Method)}
			return a.adminRun(cmd, af, consentFields, func(ctx context.Context, c *adminConn) error {
				_, err := c.GrantConsent(ctx, req)
				return err
			}, asJSON, res, func(where string) string {
				return consentAddedText(r) + " on " + where
			})
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, `print what was added as JSON: {"rpc", "id", "number", "scope", "tenant" (when given), "method"}`)
	return cmd
}

// protoEnum returns the value of the proto enum constant prefix+upper(v)
// (CONSENT_METHOD_WEB_FORM for web_form), or bad input naming flag.
func protoEnum(flag, prefix, v string, values map[string]int32) (int32, error) {
	n, ok := values[prefix+strings.ToUpper(v)]
	if !ok || n == 0 {
		return 0, usageErr("%s: unknown value %q", flag, v)
	}
	return n, nil
}

func (a *app) adminConsentRevokeCmd(af *adminFlags) *cobra.Command {
	var at, channel string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "revoke ID [--at T] [--channel C]",
		Short: "Revoke a consent (RevokeConsent); every Check after exit 0 sees it",
		Long: `Revoke the consent ID at --at (default: the sidecar's clock). Revoking a
revoked consent changes nothing: the first withdrawal stands. --at before the
consent's grant revokes it as of its grant. An unknown ID exits 1.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkText("ID", args[0], "--channel", channel); err != nil {
				return err
			}
			ts, err := optTime("at", at, false)
			if err != nil {
				return err
			}
			req := &pb.RevokeConsentRequest{Id: args[0], RevokedAt: ts, Channel: channel}
			res := &adminResult{RPC: "RevokeConsent", ID: args[0]}
			return a.adminRun(cmd, af, map[string]string{"id": "ID", "revoked_at": "--at"}, func(ctx context.Context, c *adminConn) error {
				_, err := c.RevokeConsent(ctx, req)
				return err
			}, asJSON, res, func(where string) string {
				return fmt.Sprintf("revoked consent %s on %s", args[0], where)
			})
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "instant of the withdrawal, RFC 3339 (default: the sidecar's clock)")
	cmd.Flags().StringVar(&channel, "channel", "", "how the withdrawal arrived (call, sms, web, complaint...)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print what was revoked as JSON: {"rpc", "id"}`)
	return cmd
}

func (a *app) adminComplaintAddCmd(af *adminFlags) *cobra.Command {
	var number, scope, channel, decision, id, tenant, details string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add --number N [--scope S] [--channel C] [--decision-id D] [flags]",
		Short: "File a complaint (FileComplaint): the number is listed at once, its recordings held",
		Long: `File a complaint on the sidecar: the number goes on its do-not-call list at
once (the next Check of it in --scope denies), every recording of the callee
is held ("complaint:<id>"), and the handling deadlines start. Filing again
with the same --id changes nothing; without --id the sidecar picks one (give
--id to make a retry safe).`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := adminNumber(number)
			if err != nil {
				return err
			}
			sc, err := adminScope(scope, false)
			if err != nil {
				return err
			}
			if err := checkText("--id", id, "--tenant", tenant, "--decision-id", decision, "--details", details); err != nil {
				return err
			}
			req := &pb.FileComplaintRequest{Number: n.String(), Scope: sc, CallDecisionId: decision, Tenant: tenant, Note: details, ComplaintId: id, Channel: channel}
			res := &adminResult{RPC: "FileComplaint", Number: req.Number, Scope: sc, Tenant: tenant}
			if sc == "" {
				res.Scope = "global" // the sidecar's default
			}
			fields := map[string]string{"call_decision_id": "--decision-id", "note": "--details", "complaint_id": "--id"}
			return a.adminRun(cmd, af, fields, func(ctx context.Context, c *adminConn) error {
				r, err := c.FileComplaint(ctx, req)
				res.ID = r.GetComplaintId()
				return err
			}, asJSON, res, func(where string) string {
				return fmt.Sprintf("complaint %s filed on %s: number listed (%s), its recordings held", res.ID, where, res.Scope)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&number, "number", "", "the complainant's number, E.164 (required)")
	fl.StringVar(&scope, "scope", "", "do-not-call scope: global (default), industry:X, business:X, tenant:X, campaign:X")
	fl.StringVar(&channel, "channel", "phone", "how it arrived: phone, web, app, regulator, agent")
	fl.StringVar(&decision, "decision-id", "", "the decision of the call complained about")
	fl.StringVar(&id, "id", "", "complaint id, which makes a retry safe (default: the sidecar picks one)")
	fl.StringVar(&tenant, "tenant", "", "the tenant complained about")
	fl.StringVar(&details, "details", "", "what the complainant said")
	fl.BoolVar(&asJSON, "json", false, `print the complaint as JSON: {"rpc", "id", "number", "scope", "tenant"}`)
	return cmd
}

func (a *app) adminLedgerAddCmd(af *adminFlags) *cobra.Command {
	var lf ledgerFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add --tenant T --number N --holder H --purposes P[,P…] [flags]",
		Short: "Add or replace a caller ID in a tenant's ledger (AddLedgerEntry), with the flags of ledger add",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := lf.entry()
			if err != nil {
				return err
			}
			typ, err := protoEnum("--type", "NUMBER_TYPE_", string(e.Type), pb.NumberType_value)
			if err != nil {
				return err
			}
			req := &pb.AddLedgerEntryRequest{Tenant: e.Tenant, Number: e.Number.String(), Type: pb.NumberType(typ), Holder: e.Holder,
				Access: e.Access, Qualification: e.Qualification, OfficeUseOnly: e.OfficeUseOnly}
			for _, p := range e.Purposes {
				v, err := protoEnum("--purposes", "PURPOSE_", string(p), pb.Purpose_value)
				if err != nil {
					return err
				}
				req.Purposes = append(req.Purposes, pb.Purpose(v))
			}
			if !e.ValidFrom.IsZero() {
				req.ValidFrom = timestamppb.New(e.ValidFrom)
			}
			if !e.ValidUntil.IsZero() {
				req.ValidUntil = timestamppb.New(e.ValidUntil)
			}
			res := &adminResult{RPC: "AddLedgerEntry", Tenant: e.Tenant, Number: req.Number, Type: string(e.Type)}
			return a.adminRun(cmd, af, nil, func(ctx context.Context, c *adminConn) error {
				_, err := c.AddLedgerEntry(ctx, req)
				return err
			}, asJSON, res, func(where string) string {
				return fmt.Sprintf("added %s (%s) for tenant %q on %s", req.Number, e.Type, e.Tenant, where)
			})
		},
	}
	lf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, `print what was added as JSON: {"rpc", "tenant", "number", "type"}`)
	return cmd
}

func (a *app) adminRecRegisterCmd(af *adminFlags) *cobra.Command {
	var id, number, started, ended, retention, decision, tenant string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "register --id ID --number N --started-at T [--ended-at T] [flags]",
		Short: "Register a recording (RegisterRecording); it is kept the retention after the call ended",
		Long: `Register a recording on the sidecar. Its retention (the profile's, or
--retention if longer) counts from --ended-at; without it, from when the
sidecar receives the request: register after the call, or give its end later
with admin recordings end.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return usageErr("--id: missing")
			}
			if err := checkText("--id", id, "--tenant", tenant, "--decision-id", decision); err != nil {
				return err
			}
			n, err := adminNumber(number)
			if err != nil {
				return err
			}
			if started == "" {
				return usageErr("--started-at: missing")
			}
			st, err := optTime("started-at", started, false)
			if err != nil {
				return err
			}
			en, err := optTime("ended-at", ended, true)
			if err != nil {
				return err
			}
			req := &pb.RegisterRecordingRequest{Id: id, Number: n.String(), StartedAt: st, EndedAt: en, DecisionId: decision, Tenant: tenant}
			if retention != "" {
				d, err := dialgate.ParseDuration(retention)
				if err != nil {
					return usageErr("--retention: %v", err)
				}
				days := d.Std() / (24 * time.Hour)
				if d.Std()%(24*time.Hour) != 0 || days < 30 || days > 1<<30 {
					return usageErr("--retention: %s is not a whole number of days of at least 30 (337号 CN-S6)", retention)
				}
				req.RetentionDays = int32(days)
			}
			res := &adminResult{RPC: "RegisterRecording", ID: id, Tenant: tenant, StartedAt: st.AsTime(), EndedAt: timeOf(en)}
			fields := map[string]string{"retention_days": "--retention"}
			return a.adminRun(cmd, af, fields, func(ctx context.Context, c *adminConn) error {
				_, err := c.RegisterRecording(ctx, req)
				return err
			}, asJSON, res, func(where string) string {
				return fmt.Sprintf("registered %s on %s", id, where)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&id, "id", "", "recording id (required)")
	f.StringVar(&number, "number", "", "callee number, E.164 (required)")
	f.StringVar(&started, "started-at", "", "when the recording started, RFC 3339 (required)")
	f.StringVar(&ended, "ended-at", "", "when the call ended, RFC 3339: the retention counts from it (default: when the sidecar receives the request)")
	f.StringVar(&retention, "retention", "", "keep longer than the profile's retention, whole days, e.g. 90d (never less than 30d)")
	f.StringVar(&decision, "decision-id", "", "the decision that allowed the call")
	f.StringVar(&tenant, "tenant", "", "tenant")
	f.BoolVar(&asJSON, "json", false, `print what was registered as JSON: {"rpc", "id", "tenant", "started_at", "ended_at" (when given)}`)
	return cmd
}

// timeOf returns ts as a time, or the zero time for nil.
func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func (a *app) adminRecEndCmd(af *adminFlags) *cobra.Command {
	var ended string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "end ID --ended-at T",
		Short: "Record when a recording's call ended (EndRecording); the retention only lengthens",
		Args:  argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ended == "" {
				return usageErr("--ended-at: missing (when the call ended, RFC 3339)")
			}
			en, err := optTime("ended-at", ended, true)
			if err != nil {
				return err
			}
			if err := checkText("ID", args[0]); err != nil {
				return err
			}
			req := &pb.EndRecordingRequest{Id: args[0], EndedAt: en}
			res := &adminResult{RPC: "EndRecording", ID: args[0], EndedAt: en.AsTime()}
			return a.adminRun(cmd, af, map[string]string{"id": "ID"}, func(ctx context.Context, c *adminConn) error {
				_, err := c.EndRecording(ctx, req)
				return err
			}, asJSON, res, func(where string) string {
				return fmt.Sprintf("ended %s at %s on %s", args[0], en.AsTime().Format(time.RFC3339), where)
			})
		},
	}
	cmd.Flags().StringVar(&ended, "ended-at", "", "when the call ended, RFC 3339 (required; not in the future)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print what was recorded as JSON: {"rpc", "id", "ended_at"}`)
	return cmd
}

func (a *app) adminRecHoldCmd(af *adminFlags) *cobra.Command {
	var hold, reason string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "hold ID --hold NAME [--reason TEXT]",
		Short: "Place a legal hold on a recording (HoldRecording); nothing deletes it while held",
		Args:  argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if hold == "" {
				return usageErr("--hold: missing (name the hold, e.g. litigation-2026-04)")
			}
			if err := checkText("ID", args[0], "--hold", hold, "--reason", reason); err != nil {
				return err
			}
			req := &pb.HoldRecordingRequest{Id: args[0], HoldId: hold, Reason: reason}
			res := &adminResult{RPC: "HoldRecording", ID: args[0], Hold: hold}
			return a.adminRun(cmd, af, map[string]string{"id": "ID", "hold_id": "--hold"}, func(ctx context.Context, c *adminConn) error {
				_, err := c.HoldRecording(ctx, req)
				return err
			}, asJSON, res, func(where string) string {
				return fmt.Sprintf("held %s (%s) on %s", args[0], hold, where)
			})
		},
	}
	cmd.Flags().StringVar(&hold, "hold", "", "name of the hold (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, in plain words")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the hold placed as JSON: {"rpc", "id", "hold"}`)
	return cmd
}

func (a *app) adminRecReleaseCmd(af *adminFlags) *cobra.Command {
	var hold string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "release ID --hold NAME",
		Short: "Release one legal hold on a recording (ReleaseRecordingHold); other holds stay",
		Args:  argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if hold == "" {
				return usageErr("--hold: missing")
			}
			if err := checkText("ID", args[0], "--hold", hold); err != nil {
				return err
			}
			req := &pb.ReleaseRecordingHoldRequest{Id: args[0], HoldId: hold}
			res := &adminResult{RPC: "ReleaseRecordingHold", ID: args[0], Hold: hold, Released: true}
			return a.adminRun(cmd, af, map[string]string{"id": "ID", "hold_id": "--hold"}, func(ctx context.Context, c *adminConn) error {
				_, err := c.ReleaseRecordingHold(ctx, req)
				return err
			}, asJSON, res, func(where string) string {
				return fmt.Sprintf("released hold %s on %s on %s", hold, args[0], where)
			})
		},
	}
	cmd.Flags().StringVar(&hold, "hold", "", "name of the hold (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the hold released as JSON: {"rpc", "id", "hold", "released"}`)
	return cmd
}
