// Command sidecar-client shows a dialer's side of the dialgate sidecar in Go:
// ask Check before every call and dial only on an OK response whose decision
// allows it, and only before the decision's valid_until (after it — a queue
// that held the decision, a retry — Check again). ANY error — the sidecar
// down, a timeout, bad input, a missing token — means: do not dial. So does
// an allow without valid_until (a sidecar older than the field): nothing
// says how long it holds.
//
//	sidecar-client -addr 127.0.0.1:7443 -to +8613900139000 -from +861058001234 -purpose service -lead crm-42 -campaign winter
//
// A sidecar with TLS and a tokens file (docs/deploy.md), over TCP or its
// Unix socket; the token is read from a file (or $DIALGATE_TOKEN), never
// given on the command line, where it would show in ps and shell history:
//
//	sidecar-client -addr 127.0.0.1:7443 -tls-ca ca.pem -token-file gate.token -to +8613900139000 ...
//	sidecar-client -unix /run/dialgate/dg.sock -tls-ca ca.pem -token-file gate.token -to +8613900139000 ...
//
// A sidecar that requires client certificates (mTLS, tls.client_ca_file)
// also takes -tls-cert and -tls-key, the client's certificate and key:
//
//	sidecar-client -addr 127.0.0.1:7443 -tls-ca ca.pem -tls-cert client.pem -tls-key client.key -token-file gate.token -to ...
//
// A token goes in plaintext only to a loopback -addr or the Unix socket;
// to any other address give -tls-ca. An argument that is not a flag (a
// value split by an unquoted space) is refused: the flags after it would
// go unread.
//
// It prints "DIAL <decision id>" or "DO NOT DIAL: <why>" and exits 0 or 1.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stdout, "DO NOT DIAL:", err)
		os.Exit(1)
	}
}

// mayDial asks the sidecar whether the dial may be placed. It returns the
// decision id when it may; every other outcome — a deny, any RPC error, a
// timeout — is an error, and the caller must not dial.
func mayDial(ctx context.Context, gate pb.GateServiceClient, d *pb.Dial) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := gate.Check(ctx, &pb.CheckRequest{Dial: d})
	if err != nil {
		return "", fmt.Errorf("sidecar error (fail closed): %w", err)
	}
	dec := resp.GetDecision()
	if dec == nil || !dec.GetAllowed() {
		var codes []string
		for _, r := range dec.GetReasons() {
			codes = append(codes, r.GetCode())
		}
		return "", fmt.Errorf("denied: %s", strings.Join(codes, ", "))
	}
	if err := dialable(dec, time.Now()); err != nil {
		return "", err
	}
	return dec.GetId(), nil
}

// dialable returns nil when the allow dec may still be dialled at now: now
// is before its valid_until. Call it again right before placing the call
// when the dialer holds the decision (a queue, a retry). A now before 2000
// (a clock reset, a zero time) is not a clock reading: it is before every
// valid_until and would keep the allow dialable for ever
// (dialgate.Decision.DialableAt refuses it too).
func dialable(dec *pb.Decision, now time.Time) error {
	if now.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) {
		return fmt.Errorf("this host's clock reads %s, before 2000: set the clock; no allow is dialable on it", now.UTC().Format(time.RFC3339))
	}
	vu := dec.GetValidUntil()
	if vu == nil {
		return fmt.Errorf("allowed without valid_until (a sidecar older than this client): nothing says how long the allow holds; upgrade the sidecar")
	}
	if err := vu.CheckValid(); err != nil {
		return fmt.Errorf("allowed with an invalid valid_until: %w", err)
	}
	if !now.Before(vu.AsTime()) {
		return fmt.Errorf("the allow expired at %s (valid_until): Check again", vu.AsTime().UTC().Format(time.RFC3339))
	}
	return nil
}

var purposes = map[string]pb.Purpose{
	"marketing": pb.Purpose_PURPOSE_MARKETING, "service": pb.Purpose_PURPOSE_SERVICE,
	"callback": pb.Purpose_PURPOSE_CALLBACK, "collections": pb.Purpose_PURPOSE_COLLECTIONS,
	"survey": pb.Purpose_PURPOSE_SURVEY,
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sidecar-client", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:7443", "sidecar address (serve --listen)")
	unix := fs.String("unix", "", "the sidecar's Unix socket (serve --unix), instead of -addr")
	caFile := fs.String("tls-ca", "", "PEM CA bundle of the sidecar's certificate (serve tls.cert_file): connect with TLS")
	certFile := fs.String("tls-cert", "", "with -tls-ca: PEM client certificate chain, for a sidecar that requires client certificates (serve tls.client_ca_file; with -tls-key)")
	keyFile := fs.String("tls-key", "", "PEM key of -tls-cert")
	serverName := fs.String("server-name", "", "with -tls-ca: name the sidecar's certificate must carry (default: the host of -addr, localhost with -unix)")
	tokenFile := fs.String("token-file", "", "file holding the bearer token of the gate scope (default $DIALGATE_TOKEN)")
	to := fs.String("to", "", "callee, E.164")
	from := fs.String("from", "", "caller ID, E.164")
	purpose := fs.String("purpose", "service", "marketing, service, callback, collections or survey")
	lead := fs.String("lead", "", "CRM lead id (provenance)")
	tenant := fs.String("tenant", "", "tenant")
	campaign := fs.String("campaign", "", "campaign (the quarterly report counts abandoned calls and short rings per campaign)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Parsing stops at the first argument that is not a flag: a value split
	// by an unquoted space (-lead crm 1) would leave the flags after it —
	// -tls-ca among them — unread, and the call go out in plaintext. Named
	// by position only: a stray value may be a secret.
	if fs.NArg() > 0 {
		return fmt.Errorf("argument %d: not a flag (flags after it would be ignored; quote a value holding spaces)", len(args)-fs.NArg()+1)
	}
	// A connection flag given empty (an empty shell variable in quotes,
	// -tls-ca "$CA") is not the flag left out: -tls-ca "" would connect
	// in plaintext without checking the sidecar's certificate, -unix "" or
	// -addr "" reach another sidecar than meant, -token-file "" send
	// $DIALGATE_TOKEN.
	var empty error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "addr", "unix", "tls-ca", "tls-cert", "tls-key", "server-name", "token-file":
			if empty == nil && f.Value.String() == "" {
				empty = fmt.Errorf("-%s: given without a value (an empty variable?): give its value or leave the flag out", f.Name)
			}
		}
	})
	if empty != nil {
		return empty
	}
	p, ok := purposes[*purpose]
	if !ok {
		return fmt.Errorf("-purpose: unknown %q", *purpose)
	}
	target := *addr
	if *unix != "" {
		addrGiven := false
		fs.Visit(func(f *flag.Flag) { addrGiven = addrGiven || f.Name == "addr" })
		if addrGiven {
			return fmt.Errorf("-unix: give -unix or -addr, not both")
		}
		target = "unix:" + *unix
	}
	token := os.Getenv("DIALGATE_TOKEN")
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("-token-file: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	if (*certFile == "") != (*keyFile == "") {
		return fmt.Errorf("-tls-cert: give -tls-cert and -tls-key together")
	}
	creds := insecure.NewCredentials()
	if *caFile == "" {
		if *serverName != "" {
			return fmt.Errorf("-server-name: only with -tls-ca (it names the certificate TLS checks)")
		}
		if *certFile != "" {
			return fmt.Errorf("-tls-cert: only with -tls-ca (a client certificate is sent over TLS)")
		}
		// In plaintext anyone on the path could read the token and use it.
		if token != "" && *unix == "" && !isLoopback(*addr) {
			return fmt.Errorf("-addr: %s is not a loopback address: refusing to send the token in plaintext; use -tls-ca", *addr)
		}
	} else {
		pemBytes, err := os.ReadFile(*caFile)
		if err != nil {
			return fmt.Errorf("-tls-ca: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemBytes) {
			return fmt.Errorf("-tls-ca: %s holds no PEM certificate", *caFile)
		}
		name := *serverName
		if name == "" && *unix != "" {
			name = "localhost"
		}
		cfg := &tls.Config{RootCAs: roots, ServerName: name, MinVersion: tls.VersionTLS12}
		if *certFile != "" {
			pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
			if err != nil {
				return fmt.Errorf("-tls-cert: %w", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		creds = credentials.NewTLS(cfg)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if token != "" && *caFile == "" && *unix == "" {
		// "localhost" is judged again by the address it resolves to.
		opts = append(opts, grpc.WithContextDialer(dialLoopbackOnly))
	}
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return err
	}
	defer conn.Close()
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	id, err := mayDial(ctx, pb.NewGateServiceClient(conn), &pb.Dial{
		To: *to, From: *from, Purpose: p, LeadId: *lead, Tenant: *tenant, Campaign: *campaign})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "DIAL", id)
	return nil
}

// dialLoopbackOnly dials addr (host:port as resolved) and refuses the
// connection, before anything is sent on it, unless its peer is a loopback
// address: a token goes in plaintext only to this host, whatever
// "localhost" resolves to.
func dialLoopbackOnly(ctx context.Context, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if ap, perr := netip.ParseAddrPort(conn.RemoteAddr().String()); perr != nil || !ap.Addr().Unmap().IsLoopback() {
		_ = conn.Close()
		return nil, fmt.Errorf("%s is not a loopback address: refusing to send the token in plaintext; use -tls-ca", conn.RemoteAddr())
	}
	return conn, nil
}

// isLoopback reports whether addr (host:port) names this host: localhost or
// a loopback IP.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return host == "localhost" || (err == nil && ip.IsLoopback())
}
