package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/internal/textsafe"
)

// defaultHealthTimeout bounds dialgate health's question, connecting
// included: short, as a container's HEALTHCHECK wants.
const defaultHealthTimeout = 5 * time.Second

// healthCmd is `dialgate health`: the standard gRPC health check of a
// running sidecar.
func (a *app) healthCmd() *cobra.Command {
	hf := &adminFlags{}
	var service string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Ask a running sidecar whether it is serving (the gRPC health service), for probes and HEALTHCHECKs",
		Long: `Ask a running dialgate serve whether it is serving, over the standard gRPC
health service (grpc.health.v1.Health/Check), overall or for one service:

  dialgate health --addr 127.0.0.1:7443
  dialgate health --addr 127.0.0.1:7443 --tls-ca ca.pem --tls-cert client.pem --tls-key client.key --service component/store

Services: "" (overall, the default), dialgate.v1.GateService,
dialgate.v1.AdminService, and one per probe: component/store,
component/audit and, when configured, component/blackouts, component/redis
and component/postgres. The overall status is SERVING only when every probe
passes; every status is NOT_SERVING while the sidecar drains for shutdown.

Connection: the flags of dialgate admin (--addr or --unix, --tls, --tls-ca,
--tls-cert/--tls-key for a sidecar that requires client certificates,
--server-name, --insecure). The health service needs no token: none is
sent, and DIALGATE_TOKEN is not read.

Prints SERVING on stdout when the sidecar is serving; with --json, whenever
it answers a status: {"service": "", "status": "NOT_SERVING",
"failing": ["component/redis"]} (failing: overall, the components not
serving).

Exit codes: 0 SERVING; 1 anything else — NOT_SERVING (naming the failing
components), UNKNOWN, a service the sidecar does not report, the sidecar
unreachable or refusing the connection, no answer within --timeout — with
the problem on stderr; 2 bad input (an unknown flag, a bad --addr or
--timeout, a --service that is not UTF-8 or holds control characters, TLS
files that do not load), naming the flag.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Not UTF-8, the request could not be sent (the sidecar
			// would seem to fail); a control character would be echoed
			// to the terminal in the answer naming it.
			if !utf8.ValidString(service) {
				return usageErr("--service: %q is not UTF-8", service)
			}
			if p := textsafe.Problem(service, textsafe.Line); p != "" {
				return usageErr("--service: %q: %s", service, p)
			}
			c, err := hf.connect(cmd)
			if err != nil {
				return err
			}
			defer c.close()
			return a.checkHealth(cmd.Context(), c, service, asJSON)
		},
	}
	hf.registerHealth(cmd)
	cmd.Flags().StringVar(&service, "service", "", `the service to ask about: "" (overall), dialgate.v1.GateService, dialgate.v1.AdminService or component/<name> (store, audit, blackouts, redis, postgres)`)
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the status the sidecar answers as JSON: service, status (SERVING, NOT_SERVING, UNKNOWN) and, overall, failing (the components not serving)`)
	return cmd
}

// healthResult is the --json output of dialgate health.
type healthResult struct {
	Service string   `json:"service"`
	Status  string   `json:"status"`
	Failing []string `json:"failing,omitempty"`
}

// checkHealth asks c's health service about service and maps the answer to
// the exit codes of dialgate health.
func (a *app) checkHealth(ctx context.Context, c *adminConn, service string, asJSON bool) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hc := healthpb.NewHealthClient(c.conn)
	what := "overall"
	if service != "" {
		what = fmt.Sprintf("service %q", service)
	}
	resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return c.healthErr(ctx, hc, service, err)
	}
	st := resp.GetStatus()
	res := healthResult{Service: service, Status: st.String()}
	var failure error
	switch st {
	case healthpb.HealthCheckResponse_SERVING:
	case healthpb.HealthCheckResponse_NOT_SERVING:
		detail, failing := notServingDetail(ctx, hc, service)
		res.Failing = failing
		failure = failErr(fmt.Errorf("%s: %s: NOT_SERVING%s", c.where, what, detail))
	default:
		failure = failErr(fmt.Errorf("%s: %s: %s (its status is not known: not SERVING)", c.where, what, st))
	}
	switch {
	case asJSON:
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return failErr(err)
		}
		fmt.Fprintf(a.stdout, "%s\n", jsonEscapeDisplay(b))
	case failure == nil:
		fmt.Fprintln(a.stdout, "SERVING")
	}
	return failure
}

// jsonEscapeDisplay returns the JSON document b with the display controls
// encoding/json leaves raw (DEL, C1 controls, bidirectional formatting
// characters) written as \u escapes: the same values, read back exactly,
// but none of the sidecar's text reaches the terminal raw. Such characters
// occur only inside JSON strings, where a \u escape means the character.
func jsonEscapeDisplay(b []byte) []byte {
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r >= 0x7f && textsafe.Problem(string(r), textsafe.Line) != "" {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

// healthErr describes a failed health Check (exit 1).
func (c *adminConn) healthErr(ctx context.Context, hc healthpb.HealthClient, service string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return failErr(fmt.Errorf("%s: %w", c.where, err))
	}
	// The message is the sidecar's (or a proxy's) text: shown with its
	// display controls escaped, as every text of the answer is.
	raw := st.Message()
	msg := textsafe.Escape(raw, textsafe.Line)
	switch st.Code() {
	case codes.NotFound:
		known := ""
		if names, _ := healthServices(ctx, hc); len(names) > 0 {
			quoted := make([]string, len(names))
			for i, n := range names {
				quoted[i] = fmt.Sprintf("%q", n)
			}
			known = "; it reports " + strings.Join(quoted, ", ")
		}
		return failErr(fmt.Errorf("%s does not report service %q (--service)%s", c.where, service, known))
	case codes.DeadlineExceeded:
		return failErr(fmt.Errorf("no answer from %s within --timeout %s", c.where, c.timeout))
	case codes.Unavailable:
		if hint := transportMismatch(raw, c.tls, c.srvName); hint != "" {
			return failErr(fmt.Errorf("%s unavailable: %s: %s", c.where, msg, hint))
		}
		if hint := closedAfterHandshake(raw, c.tls, c.cert); hint != "" {
			return failErr(fmt.Errorf("%s unavailable: %s: %s", c.where, msg, hint))
		}
		return failErr(fmt.Errorf("%s unavailable: %s", c.where, msg))
	case codes.Unimplemented:
		return failErr(fmt.Errorf("%s does not serve the gRPC health service (is it a dialgate sidecar?): %s", c.where, msg))
	case codes.Canceled:
		return failErr(fmt.Errorf("cancelled"))
	}
	return failErr(fmt.Errorf("%s: %s: %s", c.where, st.Code(), msg))
}

// healthServices lists the services the sidecar's health service reports
// (its List method), sorted, with their statuses; nil when it cannot tell.
func healthServices(ctx context.Context, hc healthpb.HealthClient) ([]string, map[string]healthpb.HealthCheckResponse_ServingStatus) {
	r, err := hc.List(ctx, &healthpb.HealthListRequest{})
	if err != nil {
		return nil, nil
	}
	names := make([]string, 0, len(r.GetStatuses()))
	statuses := make(map[string]healthpb.HealthCheckResponse_ServingStatus, len(r.GetStatuses()))
	for n, s := range r.GetStatuses() {
		names = append(names, n)
		statuses[n] = s.GetStatus()
	}
	sort.Strings(names)
	return names, statuses
}

// notServingDetail says, for the overall status, which components fail —
// or that every service is NOT_SERVING, as while the sidecar drains for
// shutdown; "" when the sidecar cannot tell or for one service. failing
// lists, overall, the components not serving.
func notServingDetail(ctx context.Context, hc healthpb.HealthClient, service string) (detail string, failing []string) {
	names, statuses := healthServices(ctx, hc)
	if len(names) == 0 {
		return "", nil
	}
	all := true
	for _, n := range names {
		if statuses[n] != healthpb.HealthCheckResponse_SERVING {
			if strings.HasPrefix(n, sidecar.HealthComponentPrefix) {
				failing = append(failing, n)
			}
		} else {
			all = false
		}
	}
	if service != "" {
		failing = nil
	}
	switch {
	case all:
		return " (every service is NOT_SERVING: the sidecar is draining for shutdown, or every probe fails; see its log)", failing
	case len(failing) > 0:
		// The names are the sidecar's text: escaped for the terminal
		// (--json prints them as they are, JSON-encoded).
		shown := make([]string, len(failing))
		for i, n := range failing {
			shown[i] = textsafe.Escape(n, textsafe.Line)
		}
		return " (failing: " + strings.Join(shown, ", ") + `; see the sidecar's log, "component unhealthy")`, failing
	}
	return "", nil
}
