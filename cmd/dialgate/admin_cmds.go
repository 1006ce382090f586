package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/sidecar"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/recording"
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
	// Step, At and Resolution are a complaint step's, as the local
	// complaint forward|resolve|answer --json prints them; At is the
	// sidecar's instant of the step.
	Step       string    `json:"step,omitempty"`
	At         time.Time `json:"at,omitzero"`
	Resolution string    `json:"resolution,omitempty"`
	// ReceivedAt is a filed complaint's receipt as the sidecar stored it
	// (--at, or its clock; a retry's, the first filing's), as the local
	// complaint add --json prints it.
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// SHA256 and ReplacedSHA256 are a complaint repair's, as the local
	// complaint repair --json prints them: the hex SHA-256 of the file
	// given and of the damaged bytes replaced.
	SHA256         string `json:"sha256,omitempty"`
	ReplacedSHA256 string `json:"replaced_sha256,omitempty"`
	// RequestedAt is consent revoke's --at when it was before 2000 (sent
	// unset: revoked as of the sidecar's clock), as the local consent
	// revoke --json prints it.
	RequestedAt time.Time `json:"requested_at,omitzero"`
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
change is idempotent; give complaint add an --id, or the sidecar picks a new
one and a retry files a second complaint) and do not dial the number
meanwhile.

Connection: --addr (default 127.0.0.1:7443) or --unix PATH, as dialgate serve
--listen or --unix. The bearer token (admin scope, from the sidecar's tokens
file) is read from --token-file (a file other users cannot read: one they
can is refused, exit 2) or the DIALGATE_TOKEN environment variable; never
give it on the command line. A plaintext connection to an address that
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
	complaintCmd := &cobra.Command{Use: "complaint", Short: "File complaints and record their handling steps"}
	complaintCmd.AddCommand(a.adminComplaintAddCmd(af),
		a.adminComplaintStepCmd(af, "forward", "Record that a complaint was forwarded to its handler (ForwardComplaint)"),
		a.adminComplaintStepCmd(af, "resolve", "Record that a complaint was verified and handled, with --resolution (ResolveComplaint)"),
		a.adminComplaintStepCmd(af, "answer", "Record that the complainant was answered, closing the complaint (AnswerComplaint)"),
		a.adminComplaintListCmd(af),
		a.adminComplaintRepairCmd(af))
	ledgerCmd := &cobra.Command{Use: "ledger", Short: "Add caller IDs to a tenant's ledger"}
	ledgerCmd.AddCommand(a.adminLedgerAddCmd(af))
	recCmd := &cobra.Command{Use: "recordings", Short: "Register and end recordings, place and release legal holds, sweep expired recordings"}
	recCmd.AddCommand(a.adminRecRegisterCmd(af), a.adminRecEndCmd(af), a.adminRecHoldCmd(af), a.adminRecReleaseCmd(af), a.adminRecSweepCmd(af))
	cmd.AddCommand(dncCmd, consentCmd, complaintCmd, ledgerCmd, recCmd)
	return cmd
}

// adminCall sends one request to the AdminService.
type adminCall func(context.Context, pb.AdminServiceClient) error

// send returns the adminCall that sends req with the method m (a method
// expression: pb.AdminServiceClient.AddDncEntry), dropping its empty
// response.
func send[Req, Resp any](m func(pb.AdminServiceClient, context.Context, Req, ...grpc.CallOption) (Resp, error), req Req) adminCall {
	return func(ctx context.Context, c pb.AdminServiceClient) error {
		_, err := m(c, ctx, req)
		return err
	}
}

// adminSub describes one admin subcommand: one AdminService RPC.
type adminSub struct {
	use, short, long string
	args             cobra.PositionalArgs // default: none
	jsonHelp         string               // the keys --json prints
	// fields maps the request fields whose flag is not the field's own
	// name to their flag or argument (see flagOfField).
	fields map[string]string
	// flags registers the subcommand's own flags.
	flags func(cmd *cobra.Command)
	// prepare validates the flags and arguments (bad input is a usageErr
	// naming the flag) and returns the call, the --json result (which the
	// call may complete) and the text printed on success.
	prepare func(cmd *cobra.Command, args []string) (adminCall, *adminResult, func(where string) string, error)
}

// adminSubCmd builds the command of s: it prepares the request, opens the
// connection the admin flags af name, sends it and prints the result.
func (a *app) adminSubCmd(af *adminFlags, s adminSub) *cobra.Command {
	var asJSON bool
	args := s.args
	if args == nil {
		args = cobra.NoArgs
	}
	cmd := &cobra.Command{
		Use:   s.use,
		Short: s.short,
		Long:  s.long,
		Args:  argsUsage(args),
		RunE: func(cmd *cobra.Command, args []string) error {
			call, res, text, err := s.prepare(cmd, args)
			if err != nil {
				return err
			}
			c, err := af.connect(cmd)
			if err != nil {
				return err
			}
			defer c.close()
			if err := c.call(cmd.Context(), s.fields, func(ctx context.Context) error { return call(ctx, c) }); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(res)
			}
			fmt.Fprintln(a.stdout, text(c.where))
			return nil
		},
	}
	s.flags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what was done as JSON: "+s.jsonHelp)
	return cmd
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

// numberScope parses --number (required) and --scope (required, or ""
// for the sidecar's default, global).
func numberScope(number, scope string, scopeRequired bool) (string, string, error) {
	if number == "" {
		return "", "", usageErr("--number: missing")
	}
	n, err := dialgate.ParseNumber(number)
	if err != nil {
		return "", "", usageErr("--number: %v", err)
	}
	if scope == "" {
		if scopeRequired {
			return "", "", usageErr("--scope: missing (global, industry:X, business:X, tenant:X or campaign:X)")
		}
		return n.String(), "", nil
	}
	sc, err := dnc.ParseScope(scope)
	if err != nil {
		return "", "", usageErr("--scope: %v", err)
	}
	return n.String(), sc.String(), nil
}

func (a *app) adminDNCAddCmd(af *adminFlags) *cobra.Command {
	var number, scope, source, at string
	return a.adminSubCmd(af, adminSub{
		use:   "add --number N --scope S [--source SRC] [--at T]",
		short: "Put a number on a do-not-call list (an opt-out); the next Check of it in scope denies",
		long: `Put a number on the sidecar's do-not-call list in a scope (AddDncEntry). It
is durable, and the next Check of the number in the scope denies
(dnc.listed), when the command exits 0.`,
		jsonHelp: `{"rpc", "number", "scope"}`,
		fields:   map[string]string{"added_at": "--at"},
		flags: func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&number, "number", "", "the number, E.164 (required)")
			f.StringVar(&scope, "scope", "", "scope: global, industry:X, business:X, tenant:X or campaign:X (required)")
			f.StringVar(&source, "source", "", "where the entry comes from: opt_out, complaint, import...")
			f.StringVar(&at, "at", "", "when the callee refused, RFC 3339 (default: the sidecar's clock; not in the future)")
		},
		prepare: func(*cobra.Command, []string) (adminCall, *adminResult, func(string) string, error) {
			n, sc, err := numberScope(number, scope, true)
			if err != nil {
				return nil, nil, nil, err
			}
			if err := checkText("--source", source); err != nil {
				return nil, nil, nil, err
			}
			ts, err := optTime("at", at, true)
			if err != nil {
				return nil, nil, nil, err
			}
			req := &pb.AddDncEntryRequest{Number: n, Scope: sc, Source: source, AddedAt: ts}
			return send(pb.AdminServiceClient.AddDncEntry, req), &adminResult{RPC: "AddDncEntry", Number: n, Scope: sc}, func(where string) string {
				return fmt.Sprintf("added %s to the do-not-call list (%s) on %s", n, sc, where)
			}, nil
		},
	})
}

func (a *app) adminDNCRemoveCmd(af *adminFlags) *cobra.Command {
	var number, scope string
	return a.adminSubCmd(af, adminSub{
		use:   "remove --number N --scope S",
		short: "Take a number off a do-not-call list (after re-consent); an absent entry is not an error",
		long: `Take a number off the sidecar's do-not-call list in a scope (RemoveDncEntry).
An entry still within its minimum hold is not removed (exit 1, a refusal by
the stored state: the message names the end of the hold, and a retry will
not succeed before it).`,
		jsonHelp: `{"rpc", "number", "scope"}`,
		flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&number, "number", "", "the number, E.164 (required)")
			cmd.Flags().StringVar(&scope, "scope", "", "the scope it was added with (required)")
		},
		prepare: func(*cobra.Command, []string) (adminCall, *adminResult, func(string) string, error) {
			n, sc, err := numberScope(number, scope, true)
			if err != nil {
				return nil, nil, nil, err
			}
			req := &pb.RemoveDncEntryRequest{Number: n, Scope: sc}
			return send(pb.AdminServiceClient.RemoveDncEntry, req), &adminResult{RPC: "RemoveDncEntry", Number: n, Scope: sc}, func(where string) string {
				return fmt.Sprintf("removed %s from the do-not-call list (%s) on %s", n, sc, where)
			}, nil
		},
	})
}

func (a *app) adminConsentAddCmd(af *adminFlags) *cobra.Command {
	var cf consentFlags
	return a.adminSubCmd(af, adminSub{
		use:      "add --id ID --number N --scope S [--tenant NAME] --method M --granted-at T [flags]",
		short:    "Grant a consent (GrantConsent), with the flags of consent add",
		jsonHelp: `{"rpc", "id", "number", "scope", "tenant" (when given), "method"}`,
		fields:   map[string]string{"evidence_sha256": "--disclosure-sha256"},
		flags:    cf.register,
		prepare: func(cmd *cobra.Command, _ []string) (adminCall, *adminResult, func(string) string, error) {
			r, err := cf.record(cmd)
			if err != nil {
				return nil, nil, nil, err
			}
			method, err := protoEnum("--method", "CONSENT_METHOD_", string(r.Method), pb.ConsentMethod_value)
			if err != nil {
				return nil, nil, nil, err
			}
			req := &pb.GrantConsentRequest{Id: r.ID, Number: r.Number.String(), Scope: string(r.Scope), Tenant: r.Tenant,
				GrantedAt: timestamppb.New(r.GrantedAt), ExpiresAt: optProto(r.ExpiresAt), EvidenceSha256: r.DisclosureSHA256,
				Method: pb.ConsentMethod(method), EvidenceUri: r.EvidenceURI, Channel: r.Channel}
			res := &adminResult{RPC: "GrantConsent", ID: r.ID, Number: req.Number, Scope: req.Scope, Tenant: r.Tenant, Method: string(r.Method)}
			return send(pb.AdminServiceClient.GrantConsent, req), res, func(where string) string {
				return consentAddedText(r) + " on " + where
			}, nil
		},
	})
}

// optProto returns t as a proto timestamp, nil for the zero time (unset).
func optProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
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
	return a.adminSubCmd(af, adminSub{
		use:   "revoke ID [--at T] [--channel C]",
		short: "Revoke a consent (RevokeConsent); every Check after exit 0 sees it",
		long: `Revoke the consent ID at --at (default: the sidecar's clock). Revoking a
revoked consent changes nothing: the first withdrawal stands. --at before the
consent's grant revokes it as of its grant; --at after the sidecar's clock
(a mistyped year or offset) revokes it as of the sidecar's clock, and so
does --at before 2000 (a zero or unset time; the command says so). An
unknown ID exits 1.`,
		args:     cobra.ExactArgs(1),
		jsonHelp: `{"rpc", "id"}`,
		fields:   map[string]string{"id": "ID", "revoked_at": "--at"},
		flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&at, "at", "", "instant of the withdrawal, RFC 3339 (default: the sidecar's clock)")
			cmd.Flags().StringVar(&channel, "channel", "", "how the withdrawal arrived (call, sms, web, complaint...)")
		},
		prepare: func(_ *cobra.Command, args []string) (adminCall, *adminResult, func(string) string, error) {
			if err := checkText("ID", args[0], "--channel", channel); err != nil {
				return nil, nil, nil, err
			}
			var ts *timestamppb.Timestamp
			var unset time.Time // --at when it was before 2000: revoked as of the sidecar's clock
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return nil, nil, nil, usageErr("--at: %q is not an RFC 3339 time (want e.g. 2026-12-05T09:05:00+08:00)", at)
				}
				if t.Before(minTime) {
					// A zero Unix time a script filled in, a clock reset:
					// a withdrawal is never refused for its instant (the
					// local consent revoke --at takes it as now, as the
					// sidecar's RevokeConsent does). Sent unset, it is
					// revoked as of the sidecar's clock.
					unset = t
				} else {
					ts = timestamppb.New(t)
				}
			}
			req := &pb.RevokeConsentRequest{Id: args[0], RevokedAt: ts, Channel: channel}
			return send(pb.AdminServiceClient.RevokeConsent, req), &adminResult{RPC: "RevokeConsent", ID: args[0], RequestedAt: unset}, func(where string) string {
				if !unset.IsZero() {
					return fmt.Sprintf("revoked consent %s on %s as of its clock (--at %s is before 2000: a zero or unset time?)", args[0], where, unset.Format(time.RFC3339))
				}
				return fmt.Sprintf("revoked consent %s on %s", args[0], where)
			}, nil
		},
	})
}

func (a *app) adminComplaintAddCmd(af *adminFlags) *cobra.Command {
	var number, scope, channel, decision, id, tenant, details, at string
	return a.adminSubCmd(af, adminSub{
		use:   "add --number N [--scope S] [--channel C] [--decision-id D] [--at T] [flags]",
		short: "File a complaint (FileComplaint): the number is listed at once, its recordings held",
		long: `File a complaint on the sidecar: the number goes on its do-not-call list at
once (the next Check of it in --scope denies), every recording of the callee
is held ("complaint:<id>"), and the handling deadlines start from its
receipt: --at (a complaint taken by phone and entered later; not before
2000, nor more than a minute after the clock, as for the local complaint
add --at), or the sidecar's clock. Filing again with the same --id keeps the
complaint and the receipt first stored whatever --at says (it lists the
number again and holds recordings registered since); without --id the
sidecar picks one (give --id to make a retry safe).`,
		jsonHelp: `{"rpc", "id", "number", "scope", "tenant", "received_at"}`,
		fields:   map[string]string{"call_decision_id": "--decision-id", "note": "--details", "complaint_id": "--id", "received_at": "--at"},
		flags: func(cmd *cobra.Command) {
			fl := cmd.Flags()
			fl.StringVar(&number, "number", "", "the complainant's number, E.164 (required)")
			fl.StringVar(&scope, "scope", "", "do-not-call scope: global (default), industry:X, business:X, tenant:X, campaign:X")
			fl.StringVar(&channel, "channel", "phone", "how it arrived: phone, web, app, regulator, agent")
			fl.StringVar(&decision, "decision-id", "", "the decision of the call complained about")
			fl.StringVar(&id, "id", "", "complaint id, which makes a retry safe (default: the sidecar picks one)")
			fl.StringVar(&tenant, "tenant", "", "the tenant complained about")
			fl.StringVar(&details, "details", "", "what the complainant said")
			fl.StringVar(&at, "at", "", "when it was received, RFC 3339 (default: the sidecar's clock; not in the future)")
		},
		prepare: func(*cobra.Command, []string) (adminCall, *adminResult, func(string) string, error) {
			n, sc, err := numberScope(number, scope, false)
			if err != nil {
				return nil, nil, nil, err
			}
			if err := checkText("--id", id, "--tenant", tenant, "--decision-id", decision, "--details", details); err != nil {
				return nil, nil, nil, err
			}
			ts, err := optTime("at", at, true)
			if err != nil {
				return nil, nil, nil, err
			}
			req := &pb.FileComplaintRequest{Number: n, Scope: sc, CallDecisionId: decision, Tenant: tenant, Note: details, ComplaintId: id, Channel: channel, ReceivedAt: ts}
			res := &adminResult{RPC: "FileComplaint", Number: n, Scope: sc, Tenant: tenant}
			if sc == "" {
				res.Scope = "global" // the sidecar's default
			}
			call := func(ctx context.Context, c pb.AdminServiceClient) error {
				r, err := c.FileComplaint(ctx, req)
				res.ID = r.GetComplaintId()
				if r.GetReceivedAt() != nil {
					res.ReceivedAt = r.GetReceivedAt().AsTime()
				}
				return err
			}
			return call, res, func(where string) string {
				msg := fmt.Sprintf("complaint %s filed on %s: number listed (%s), its recordings held", res.ID, where, res.Scope)
				if !res.ReceivedAt.IsZero() {
					// A sidecar of an earlier build answers no receipt.
					msg += "; received " + res.ReceivedAt.Format(time.RFC3339)
				}
				return msg
			}, nil
		},
	})
}

// adminComplaintStepCmd is admin complaint forward, resolve or answer: the
// local complaint step's command through the sidecar, at its clock.
func (a *app) adminComplaintStepCmd(af *adminFlags, step, short string) *cobra.Command {
	var resolution string
	rpc := map[string]string{"forward": "ForwardComplaint", "resolve": "ResolveComplaint", "answer": "AnswerComplaint"}[step]
	use, jsonHelp := step+" ID", `{"rpc", "id", "step", "at"}`
	if step == "resolve" {
		use, jsonHelp = "resolve ID --resolution TEXT", `{"rpc", "id", "step", "at", "resolution"}`
	}
	return a.adminSubCmd(af, adminSub{
		use:   use,
		short: short,
		long: short + `.

The step is recorded at the sidecar's clock (there is no --at: a step dated
by the client could show a deadline met that was not; to record a step made
earlier, use the local complaint ` + step + ` --at with the sidecar stopped),
in its store and, as complaint.` + step + `, in its audit log with the token's
name. Repeating the step the complaint is at (a retry) changes nothing and
prints the instant first recorded; a step the complaint's status does not
allow (answering before resolving, resolving again with another text) exits
1, as does an unknown ID.`,
		args:     cobra.ExactArgs(1),
		jsonHelp: jsonHelp,
		fields:   map[string]string{"complaint_id": "ID"},
		flags: func(cmd *cobra.Command) {
			if step == "resolve" {
				cmd.Flags().StringVar(&resolution, "resolution", "", "how the complaint was verified and handled (required)")
			}
		},
		prepare: func(_ *cobra.Command, args []string) (adminCall, *adminResult, func(string) string, error) {
			id := args[0]
			// Empty or blank is bad input, as for the local steps
			// (checkComplaintArg), not an unknown complaint.
			if err := checkComplaintArg(id); err != nil {
				return nil, nil, nil, err
			}
			if err := checkText("ID", id, "--resolution", resolution); err != nil {
				return nil, nil, nil, err
			}
			if step == "resolve" && strings.TrimSpace(resolution) == "" {
				return nil, nil, nil, usageErr("--resolution: missing (say how the complaint was handled)")
			}
			res := &adminResult{RPC: rpc, ID: id, Step: step, Resolution: resolution}
			call := func(ctx context.Context, c pb.AdminServiceClient) error {
				var (
					at  *timestamppb.Timestamp
					err error
				)
				switch step {
				case "forward":
					var r *pb.ForwardComplaintResponse
					r, err = c.ForwardComplaint(ctx, &pb.ForwardComplaintRequest{ComplaintId: id})
					at = r.GetForwardedAt()
				case "resolve":
					var r *pb.ResolveComplaintResponse
					r, err = c.ResolveComplaint(ctx, &pb.ResolveComplaintRequest{ComplaintId: id, Resolution: resolution})
					at = r.GetHandledAt()
				default:
					var r *pb.AnswerComplaintResponse
					r, err = c.AnswerComplaint(ctx, &pb.AnswerComplaintRequest{ComplaintId: id})
					at = r.GetAnsweredAt()
				}
				if at != nil {
					res.At = at.AsTime()
				}
				return err
			}
			return call, res, func(where string) string {
				return fmt.Sprintf("complaint %s: %s at %s on %s", id, step, res.At.Format(time.RFC3339), where)
			}, nil
		},
	})
}

// adminComplaintRepairCmd is admin complaint repair: the local complaint
// repair through the sidecar's RepairComplaint, with the same input.
func (a *app) adminComplaintRepairCmd(af *adminFlags) *cobra.Command {
	var from string
	return a.adminSubCmd(af, adminSub{
		use:   "repair ID --from-json FILE",
		short: "Replace a damaged complaint whole (RepairComplaint), the sidecar running",
		long: `Replace a complaint damaged in the running sidecar's store (it does not
decode, or names an unknown status, no callee…: it fails every listing that
reaches it, and a recording of its callee is refused) whole with the
complaint FILE holds ("-": stdin), as the local complaint repair does with
the sidecar stopped, and with the same input: JSON as complaint add --json
prints it, every field (the deadlines, scope and dnc_listed included), the
id ID. A partial complaint or another id is refused before anything is sent
(exit 2); a complaint the store reads as sound (change it through its
steps), an unknown ID, or another callee than the one the store still files
it under exits 1. The same repair run again (its answer was lost) is a
retry: a complaint stored exactly as FILE gives it, whose damaged bytes the
store kept from a repair, exits 0, recorded, with the first run's answer.

The damaged bytes are kept in the store (boltstore: the bucket
complaints.replaced; pgstore: the row). Audit: the sidecar records
complaint.repair first (requested, with the SHA-256 of FILE and the token's
name), and changes nothing when it cannot; then applied or failed. The token
must have the admin scope and be bound to no tenant.`,
		args:     cobra.ExactArgs(1),
		jsonHelp: `{"rpc", "id", "sha256", "replaced_sha256"}`,
		fields:   map[string]string{"complaint_id": "ID", "complaint_json": "--from-json"},
		flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&from, "from-json", "", `the whole complaint as JSON (as complaint add --json prints it); "-" reads stdin`)
		},
		prepare: func(_ *cobra.Command, args []string) (adminCall, *adminResult, func(string) string, error) {
			id := args[0]
			if from == "" {
				return nil, nil, nil, usageErr("--from-json: missing (the whole complaint, as complaint add --json prints it)")
			}
			data, err := a.readInput(from)
			if err != nil {
				return nil, nil, nil, usageErr("--from-json: %v", err)
			}
			// The sidecar decodes it the same way; refusing here sends
			// nothing that would be refused.
			if _, err := complaint.DecodeRepair(data, id); err != nil {
				return nil, nil, nil, usageErr("--from-json: %s", strings.TrimPrefix(err.Error(), complaint.ErrInvalid.Error()+": "))
			}
			res := &adminResult{RPC: "RepairComplaint", ID: id}
			var replaced int64
			call := func(ctx context.Context, c pb.AdminServiceClient) error {
				r, err := c.RepairComplaint(ctx, &pb.RepairComplaintRequest{ComplaintId: id, ComplaintJson: data})
				res.SHA256, res.ReplacedSHA256, replaced = r.GetSha256(), r.GetReplacedSha256(), r.GetReplacedBytes()
				return err
			}
			return call, res, func(where string) string {
				return fmt.Sprintf("complaint %s repaired on %s: replaced %d damaged bytes (SHA-256 %s, kept in the store) with the complaint of %s",
					id, where, replaced, res.ReplacedSHA256, from)
			}, nil
		},
	})
}

// adminComplaint is one complaint of admin complaint list --json: the keys
// of complaint list --json, less the callee's hash and the free texts,
// which the sidecar does not send.
type adminComplaint struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant,omitempty"`
	Scope       string    `json:"scope"`
	Channel     string    `json:"channel"`
	DecisionID  string    `json:"decision_id,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
	ForwardBy   time.Time `json:"forward_by"`
	HandleBy    time.Time `json:"handle_by"`
	AnswerBy    time.Time `json:"answer_by"`
	ForwardedAt time.Time `json:"forwarded_at,omitzero"`
	HandledAt   time.Time `json:"handled_at,omitzero"`
	AnsweredAt  time.Time `json:"answered_at,omitzero"`
	Status      string    `json:"status"`
	Overdue     []string  `json:"overdue,omitempty"`
}

// asTime returns ts as a time, the zero time when unset.
func asTime(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// adminComplaintListCmd is admin complaint list: ListComplaints.
func (a *app) adminComplaintListCmd(af *adminFlags) *cobra.Command {
	var status, tenant string
	var overdueOnly, asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--status S] [--tenant T] [--overdue] [--json]",
		Short: "List the sidecar's complaints with the deadlines they have missed (ListComplaints)",
		Long: `List the complaints of the running sidecar (ListComplaints), each with the
deadlines it has missed at the sidecar's clock (there is no --at: for a list
as of another instant, use the local complaint list --at with the sidecar
stopped). --overdue keeps those past a deadline, as complaint list --overdue
does. The sidecar sends neither the number (nor its hash) nor the
complaint's account or resolution. A token bound to tenants must give
--tenant, one of its tenants. The sidecar answers a page at a time (at most
1000 complaints); the command reads every page before it prints, each within
--timeout, and prints nothing when one fails.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkText("--tenant", tenant); err != nil {
				return err
			}
			switch status {
			case "", "open", "forwarded", "handled", "answered":
			default:
				return usageErr("--status: unknown status %q (want open, forwarded, handled or answered)", status)
			}
			c, err := af.connect(cmd)
			if err != nil {
				return err
			}
			defer c.close()
			listed, err := c.listComplaints(cmd.Context(), &pb.ListComplaintsRequest{Status: status, Tenant: tenant, Overdue: overdueOnly,
				PageSize: cmp.Or(a.complaintPageSize, sidecar.MaxComplaintPageSize)})
			if err != nil {
				return err
			}
			out := make([]adminComplaint, 0, len(listed))
			for _, l := range listed {
				out = append(out, adminComplaint{ID: l.GetComplaintId(), Tenant: l.GetTenant(), Scope: l.GetScope(), Channel: l.GetChannel(),
					DecisionID: l.GetCallDecisionId(), ReceivedAt: asTime(l.GetReceivedAt()), ForwardBy: asTime(l.GetForwardBy()),
					HandleBy: asTime(l.GetHandleBy()), AnswerBy: asTime(l.GetAnswerBy()), ForwardedAt: asTime(l.GetForwardedAt()),
					HandledAt: asTime(l.GetHandledAt()), AnsweredAt: asTime(l.GetAnsweredAt()), Status: l.GetStatus(), Overdue: l.GetOverdue()})
			}
			if asJSON {
				return a.printJSON(out)
			}
			rows := make([]complaintRow, len(out))
			for i, l := range out {
				rows[i] = complaintRow{ID: l.ID, ReceivedAt: l.ReceivedAt, Status: l.Status, Channel: l.Channel, Scope: l.Scope, Overdue: l.Overdue}
			}
			return writeComplaintTable(a.stdout, rows)
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only complaints in this status: open, forwarded, handled or answered")
	f.StringVar(&tenant, "tenant", "", "only this tenant's complaints (required with a token bound to tenants)")
	f.BoolVar(&overdueOnly, "overdue", false, "only complaints past a deadline at the sidecar's clock")
	f.BoolVar(&asJSON, "json", false, "print JSON: the keys of complaint list --json, less callee, details and resolution")
	return cmd
}

// listComplaints reads every page of ListComplaints from req on, each
// within the timeout, and returns the complaints in order.
func (c *adminConn) listComplaints(ctx context.Context, req *pb.ListComplaintsRequest) ([]*pb.ListedComplaint, error) {
	var listed []*pb.ListedComplaint
	for {
		var r *pb.ListComplaintsResponse
		if err := c.read(ctx, map[string]string{"status": "--status", "tenant": "--tenant"}, func(ctx context.Context) error {
			var err error
			r, err = c.ListComplaints(ctx, req)
			return err
		}); err != nil {
			return nil, err
		}
		listed = append(listed, r.GetComplaints()...)
		next := r.GetNextPageToken()
		if next == "" {
			return listed, nil
		}
		if next == req.GetPageToken() {
			// The same page again: following it would never end.
			return nil, failErr(fmt.Errorf("%s answered the same next_page_token twice: nothing was read", c.where))
		}
		req.PageToken = next
	}
}

func (a *app) adminLedgerAddCmd(af *adminFlags) *cobra.Command {
	var (
		lf      ledgerFlags
		replace bool
	)
	return a.adminSubCmd(af, adminSub{
		use:      "add --tenant T --number N --holder H --purposes P[,P…] [--replace] [flags]",
		short:    "Add a caller ID to a tenant's ledger, or replace one with --replace (AddLedgerEntry), with the flags of ledger add",
		jsonHelp: `{"rpc", "tenant", "number", "type"}`,
		flags: func(cmd *cobra.Command) {
			lf.register(cmd)
			cmd.Flags().BoolVar(&replace, "replace", false, "replace the tenant's entry for the number if it differs (without it the sidecar refuses a different entry, exit 1)")
		},
		prepare: func(*cobra.Command, []string) (adminCall, *adminResult, func(string) string, error) {
			e, err := lf.entry()
			if err != nil {
				return nil, nil, nil, err
			}
			typ, err := protoEnum("--type", "NUMBER_TYPE_", string(e.Type), pb.NumberType_value)
			if err != nil {
				return nil, nil, nil, err
			}
			req := &pb.AddLedgerEntryRequest{Tenant: e.Tenant, Number: e.Number.String(), Type: pb.NumberType(typ), Holder: e.Holder,
				Access: e.Access, Qualification: e.Qualification, OfficeUseOnly: e.OfficeUseOnly,
				ValidFrom: optProto(e.ValidFrom), ValidUntil: optProto(e.ValidUntil), Replace: replace}
			for _, p := range e.Purposes {
				v, err := protoEnum("--purposes", "PURPOSE_", string(p), pb.Purpose_value)
				if err != nil {
					return nil, nil, nil, err
				}
				req.Purposes = append(req.Purposes, pb.Purpose(v))
			}
			res := &adminResult{RPC: "AddLedgerEntry", Tenant: e.Tenant, Number: req.Number, Type: string(e.Type)}
			return send(pb.AdminServiceClient.AddLedgerEntry, req), res, func(where string) string {
				return fmt.Sprintf("added %s (%s) for tenant %q on %s", req.Number, e.Type, e.Tenant, where)
			}, nil
		},
	})
}

// retentionDays parses --retention as a whole number of days, at least 30.
func retentionDays(s string) (int32, error) {
	d, err := dialgate.ParseDuration(s)
	if err != nil {
		return 0, usageErr("--retention: %v", err)
	}
	const day = 24 * time.Hour
	if days := d.Std() / day; d.Std()%day == 0 && days >= 30 && days <= 1<<30 {
		return int32(days), nil
	}
	return 0, usageErr("--retention: %s is not a whole number of days of at least 30 (337号 CN-S6)", s)
}

func (a *app) adminRecRegisterCmd(af *adminFlags) *cobra.Command {
	var rf recRegFlags
	return a.adminSubCmd(af, adminSub{
		use:   "register --id ID --number N --started-at T [--ended-at T] [flags]",
		short: "Register a recording (RegisterRecording); it is kept the retention after the call ended",
		long: `Register a recording on the sidecar, with the flags of recordings register
(but --media-uri and --at). Its retention (the profile's, or --retention if
longer, in whole days) counts from --ended-at; without it, from when the
sidecar receives the request: register after the call, or give its end
later with admin recordings end.`,
		jsonHelp: `{"rpc", "id", "tenant", "started_at", "ended_at" (when given)}`,
		fields:   map[string]string{"retention_days": "--retention"},
		flags:    func(cmd *cobra.Command) { rf.register(cmd, "when the sidecar receives the request") },
		prepare: func(*cobra.Command, []string) (adminCall, *adminResult, func(string) string, error) {
			n, st, en, err := rf.parse()
			if err != nil {
				return nil, nil, nil, err
			}
			req := &pb.RegisterRecordingRequest{Id: rf.id, Number: n.String(), StartedAt: timestamppb.New(st), EndedAt: optProto(en),
				DecisionId: rf.decision, Tenant: rf.tenant}
			if rf.retention != "" {
				if req.RetentionDays, err = retentionDays(rf.retention); err != nil {
					return nil, nil, nil, err
				}
			}
			res := &adminResult{RPC: "RegisterRecording", ID: rf.id, Tenant: rf.tenant, StartedAt: st, EndedAt: en}
			return send(pb.AdminServiceClient.RegisterRecording, req), res, func(where string) string {
				return fmt.Sprintf("registered %s on %s", rf.id, where)
			}, nil
		},
	})
}

func (a *app) adminRecEndCmd(af *adminFlags) *cobra.Command {
	var ended string
	return a.adminSubCmd(af, adminSub{
		use:      "end ID --ended-at T",
		short:    "Record when a recording's call ended (EndRecording); the retention only lengthens",
		args:     cobra.ExactArgs(1),
		jsonHelp: `{"rpc", "id", "ended_at"}`,
		fields:   map[string]string{"id": "ID"},
		flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&ended, "ended-at", "", "when the call ended, RFC 3339 (required; not in the future)")
		},
		prepare: func(_ *cobra.Command, args []string) (adminCall, *adminResult, func(string) string, error) {
			if ended == "" {
				return nil, nil, nil, usageErr("--ended-at: missing (when the call ended, RFC 3339)")
			}
			en, err := optTime("ended-at", ended, true)
			if err != nil {
				return nil, nil, nil, err
			}
			if err := checkText("ID", args[0]); err != nil {
				return nil, nil, nil, err
			}
			req := &pb.EndRecordingRequest{Id: args[0], EndedAt: en}
			return send(pb.AdminServiceClient.EndRecording, req), &adminResult{RPC: "EndRecording", ID: args[0], EndedAt: en.AsTime()}, func(where string) string {
				return fmt.Sprintf("ended %s at %s on %s", args[0], en.AsTime().Format(time.RFC3339), where)
			}, nil
		},
	})
}

// holdFields maps the hold RPCs' fields to their flag and argument.
var holdFields = map[string]string{"id": "ID", "hold_id": "--hold"}

func (a *app) adminRecHoldCmd(af *adminFlags) *cobra.Command {
	var hold, reason string
	return a.adminSubCmd(af, adminSub{
		use:      "hold ID --hold NAME [--reason TEXT]",
		short:    "Place a legal hold on a recording (HoldRecording); nothing deletes it while held",
		args:     cobra.ExactArgs(1),
		jsonHelp: `{"rpc", "id", "hold"}`,
		fields:   holdFields,
		flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&hold, "hold", "", "name of the hold (required)")
			cmd.Flags().StringVar(&reason, "reason", "", "why, in plain words")
		},
		prepare: func(_ *cobra.Command, args []string) (adminCall, *adminResult, func(string) string, error) {
			if hold == "" {
				return nil, nil, nil, usageErr("--hold: missing (name the hold, e.g. litigation-2026-04)")
			}
			if err := checkText("ID", args[0], "--hold", hold, "--reason", reason); err != nil {
				return nil, nil, nil, err
			}
			req := &pb.HoldRecordingRequest{Id: args[0], HoldId: hold, Reason: reason}
			return send(pb.AdminServiceClient.HoldRecording, req), &adminResult{RPC: "HoldRecording", ID: args[0], Hold: hold}, func(where string) string {
				return fmt.Sprintf("held %s (%s) on %s", args[0], hold, where)
			}, nil
		},
	})
}

func (a *app) adminRecReleaseCmd(af *adminFlags) *cobra.Command {
	var hold string
	return a.adminSubCmd(af, adminSub{
		use:      "release ID --hold NAME",
		short:    "Release one legal hold on a recording (ReleaseRecordingHold); other holds stay",
		args:     cobra.ExactArgs(1),
		jsonHelp: `{"rpc", "id", "hold", "released"}`,
		fields:   holdFields,
		flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&hold, "hold", "", "name of the hold (required)")
		},
		prepare: func(_ *cobra.Command, args []string) (adminCall, *adminResult, func(string) string, error) {
			if hold == "" {
				return nil, nil, nil, usageErr("--hold: missing")
			}
			if err := checkText("ID", args[0], "--hold", hold); err != nil {
				return nil, nil, nil, err
			}
			req := &pb.ReleaseRecordingHoldRequest{Id: args[0], HoldId: hold}
			res := &adminResult{RPC: "ReleaseRecordingHold", ID: args[0], Hold: hold, Released: true}
			return send(pb.AdminServiceClient.ReleaseRecordingHold, req), res, func(where string) string {
				return fmt.Sprintf("released hold %s on %s on %s", hold, args[0], where)
			}, nil
		},
	})
}

func (a *app) adminRecSweepCmd(af *adminFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sweep [--json]",
		Short: "Delete the sidecar's recordings whose retention is over and that are not held (SweepRecordings)",
		Long: `Sweep the running sidecar's recordings (SweepRecordings), as the local
recordings sweep does with the sidecar stopped: every recording whose
retention was over an hour before (recording.SweepMargin, for clocks
ahead) and that is not under a legal hold is deleted by the sidecar's
recording manager, at the sidecar's clock (there is no --at).
It prints the local sweep's report: what it deleted (ids), what it skipped
and why; a deletion that failed is listed (FAILED, the cause is in the
sidecar's log) and the command exits 1. The sidecar has no media store:
a recording with media (registered by the local command with --media-uri)
fails and is left; sweep those with the local command and --media-root.

Audit: the sidecar writes the local sweep's records in its audit log
(recording.sweep: requested, with the count and SHA-256 of the ids about to
be deleted, then applied or failed with those of the ids deleted; actor: the
token's name) and deletes nothing when the first cannot be written (exit 1).
Needs an admin token bound to no tenant: a sweep deletes every tenant's
recordings (a token bound to tenants is refused, exit 1).`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.connect(cmd)
			if err != nil {
				return err
			}
			defer c.close()
			var r *pb.SweepRecordingsResponse
			if err := c.call(cmd.Context(), nil, func(ctx context.Context) error {
				var err error
				r, err = c.SweepRecordings(ctx, &pb.SweepRecordingsRequest{})
				return err
			}); err != nil {
				return err
			}
			rep := recording.SweepReport{Deleted: r.GetDeleted()}
			for _, k := range r.GetSkipped() {
				rep.Skipped = append(rep.Skipped, recording.Skip{ID: k.GetId(), Reason: k.GetReason()})
			}
			for _, f := range r.GetFailed() {
				rep.Failed = append(rep.Failed, recording.Skip{ID: f.GetId(), Reason: f.GetReason()})
			}
			if err := a.printSweepReport(rep, asJSON); err != nil {
				return err
			}
			if len(rep.Failed) > 0 {
				return failErr(fmt.Errorf("%s: %d recordings could not be deleted and are left for the next sweep (the cause is in the sidecar's log)", c.where, len(rep.Failed)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON, as recordings sweep --json does")
	return cmd
}
