package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/internal/textsafe"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// tokenEnv is the environment variable that holds the admin bearer token
// when --token-file is not given.
const tokenEnv = "DIALGATE_TOKEN"

// defaultAdminTimeout bounds one admin RPC, connecting included.
const defaultAdminTimeout = 10 * time.Second

// maxTokenFile is the most read of a --token-file: a token is a line.
const maxTokenFile = 4 << 10

// adminFlags are the connection flags of dialgate admin: where the sidecar
// listens, how to secure the connection, where the bearer token is.
type adminFlags struct {
	addr, unix, tokenFile              string
	caFile, certFile, keyFile, srvName string
	useTLS, insecure                   bool
	timeout                            time.Duration
	// health: the flags of dialgate health, which sends no token (the
	// health service needs none) and changes nothing.
	health bool
}

// register adds the connection flags to cmd, for every admin subcommand.
func (f *adminFlags) register(cmd *cobra.Command) {
	p := cmd.PersistentFlags()
	f.registerOn(p, defaultAdminTimeout)
	p.StringVar(&f.tokenFile, "token-file", "", "file holding the bearer token (admin scope; other users must not be able to read it); default: the "+tokenEnv+" environment variable")
}

// registerHealth adds the connection flags of dialgate health to cmd:
// admin's, without the token, with a shorter --timeout.
func (f *adminFlags) registerHealth(cmd *cobra.Command) {
	f.health = true
	f.registerOn(cmd.Flags(), defaultHealthTimeout)
}

// registerOn adds the flags that say where the sidecar is and how to
// secure the connection to p, and --timeout with its default.
func (f *adminFlags) registerOn(p *pflag.FlagSet, timeout time.Duration) {
	p.StringVar(&f.addr, "addr", sidecar.DefaultListen, "the sidecar's TCP host:port (dialgate serve --listen)")
	p.StringVar(&f.unix, "unix", "", "connect to the sidecar's Unix socket instead of --addr (dialgate serve --unix)")
	p.BoolVar(&f.useTLS, "tls", false, "use TLS, verifying the server with the system's CAs (implied by --tls-ca, --tls-cert, --server-name)")
	p.StringVar(&f.caFile, "tls-ca", "", "PEM CA bundle that verifies the server's certificate (implies --tls)")
	p.StringVar(&f.certFile, "tls-cert", "", "PEM client certificate chain, for a server that requires mTLS (with --tls-key)")
	p.StringVar(&f.keyFile, "tls-key", "", "PEM client key (with --tls-cert)")
	p.StringVar(&f.srvName, "server-name", "", "name the server's certificate must carry (default: the host of --addr, localhost with --unix)")
	if f.health {
		p.BoolVar(&f.insecure, "insecure", false, "allow a plaintext connection to a non-loopback address (its answer could be forged on the way)")
	} else {
		p.BoolVar(&f.insecure, "insecure", false, "allow a plaintext connection to a non-loopback address (the token and the numbers cross the network unencrypted)")
	}
	p.DurationVar(&f.timeout, "timeout", timeout, "longest wait for the sidecar's answer, connecting included")
}

// tlsWanted reports whether the connection uses TLS.
func (f *adminFlags) tlsWanted() bool {
	return f.useTLS || f.caFile != "" || f.certFile != "" || f.srvName != ""
}

// adminConn is an open client of a sidecar's AdminService.
type adminConn struct {
	pb.AdminServiceClient
	conn    *grpc.ClientConn
	where   string // "the sidecar at ADDR", for messages
	token   string // "" sends none
	timeout time.Duration
	tls     bool // the connection uses TLS (for the hint on a transport mismatch)
	cert    bool // a client certificate was given (--tls-cert)
	// srvName is --server-name, "" when not given (for the hint on a
	// certificate that does not carry the name checked).
	srvName string
}

// close closes the connection.
func (c *adminConn) close() { _ = c.conn.Close() }

// call runs rpc with the token and the timeout, and maps its error to an exit
// code (see rpcErr); fields maps request fields to the flags that set them.
func (c *adminConn) call(ctx context.Context, fields map[string]string, rpc func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if c.token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)
	}
	if err := rpc(ctx); err != nil {
		return c.rpcErr(err, fields)
	}
	return nil
}

// read is call for a read (ListComplaints): its errors are mapped by
// readErr, which speaks of nothing read rather than of a change.
func (c *adminConn) read(ctx context.Context, fields map[string]string, rpc func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if c.token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)
	}
	if err := rpc(ctx); err != nil {
		return c.readErr(err, fields)
	}
	return nil
}

// readErr is rpcErr for a read, which changes nothing: a failure says
// nothing was read and that a retry is safe, never that a change may or
// may not have been applied; a token bound to tenants is told to name one
// of them.
func (c *adminConn) readErr(err error, fields map[string]string) error {
	st, ok := status.FromError(err)
	if !ok {
		return failErr(fmt.Errorf("%s: %w (nothing was read)", c.where, err))
	}
	msg := textsafe.Escape(st.Message(), textsafe.Line) // the sidecar's text, shown as it holds
	switch st.Code() {
	case codes.InvalidArgument, codes.Unauthenticated:
		return c.rpcErr(err, fields)
	case codes.PermissionDenied:
		return failErr(fmt.Errorf("%s refused the request: permission denied: %s (this needs a token with the admin scope; one bound to tenants reads only its tenants': give --tenant, one of them)", c.where, msg))
	case codes.DeadlineExceeded:
		return failErr(fmt.Errorf("no answer from %s within --timeout %s: nothing was read; retry", c.where, c.timeout))
	case codes.Unavailable:
		if hint := transportMismatch(msg, c.tls, c.srvName); hint != "" {
			return failErr(fmt.Errorf("%s unavailable: %s: %s (nothing was read)", c.where, msg, hint))
		}
		if hint := closedAfterHandshake(msg, c.tls, c.cert); hint != "" {
			return failErr(fmt.Errorf("%s unavailable: %s: nothing was read; %s", c.where, msg, hint))
		}
		return failErr(fmt.Errorf("%s unavailable: %s: nothing was read; retry", c.where, msg))
	case codes.Canceled:
		return failErr(fmt.Errorf("cancelled: nothing was read"))
	}
	return failErr(fmt.Errorf("%s refused the request: %s: %s (nothing was read)", c.where, st.Code(), msg))
}

// rpcErr maps an AdminService error to the CLI's exit codes: InvalidArgument
// is bad input (exit 2) naming the flag of the field the server names;
// everything else is a failure (exit 1) that says whether to retry (a
// refusal by the stored state — FailedPrecondition, AlreadyExists,
// NotFound — says a retry will not help). The
// server's message never holds the token; neither does this one.
func (c *adminConn) rpcErr(err error, fields map[string]string) error {
	st, ok := status.FromError(err)
	if !ok {
		return failErr(fmt.Errorf("%s: %w", c.where, err))
	}
	msg := textsafe.Escape(st.Message(), textsafe.Line) // the sidecar's text, shown as it holds
	switch st.Code() {
	case codes.InvalidArgument:
		field, rest, found := strings.Cut(msg, ": ")
		if !found {
			return usageErr("%s refused the request: %s", c.where, msg)
		}
		return usageErr("%s: %s (refused by %s)", flagOfField(field, fields), rest, c.where)
	case codes.Unauthenticated:
		return failErr(fmt.Errorf("%s refused the token: %s; give a token with the admin scope in --token-file or %s", c.where, msg, tokenEnv))
	case codes.PermissionDenied:
		return failErr(fmt.Errorf("%s refused the request: permission denied: %s (this needs a token with the admin scope, and one bound to tenants writes only for them)", c.where, msg))
	case codes.FailedPrecondition, codes.AlreadyExists, codes.NotFound:
		if strings.Contains(msg, "listed all the same") {
			// A complaint refused for its id: its number was listed
			// first, as every filing's is; "not applied" would deny it.
			return failErr(fmt.Errorf("%s refused the request: %s: %s (a retry with the same id will not succeed)", c.where, st.Code(), msg))
		}
		if strings.Contains(msg, "another writer changed it") {
			// A ledger entry changed by another writer between the
			// server's read and its write (callerid.ConflictError).
			return failErr(fmt.Errorf("%s refused the request: %s: %s (not applied; run the command again: it compares with what the ledger holds then)", c.where, st.Code(), msg))
		}
		return failErr(fmt.Errorf("%s refused the request: %s: %s (not applied; a retry will not succeed until that changes)", c.where, st.Code(), msg))
	case codes.DeadlineExceeded:
		return failErr(fmt.Errorf("no answer from %s within --timeout %s: the change may not have been applied; retry it (it is idempotent)", c.where, c.timeout))
	case codes.Unavailable:
		// An audit log failure: the sidecar says whether the change was
		// applied (one that denies more is made anyway) or not (one that
		// may allow a dial is made only once recorded).
		if strings.Contains(msg, ": applied and in force") {
			return failErr(fmt.Errorf("%s: %s (the change is in force; its audit record is missing)", c.where, msg))
		}
		if strings.Contains(msg, ": not applied: the audit log") {
			return failErr(fmt.Errorf("%s: %s", c.where, msg))
		}
		if strings.Contains(msg, ": may have been applied: ") {
			// The sidecar's store lost its answer (storage.ErrMaybeApplied):
			// the change may be in force; "may not have been applied"
			// would have an opt-out removal taken for one not made.
			return failErr(fmt.Errorf("%s: %s (the change may be in force; run the command again: the same request is safe, and records what it finds)", c.where, msg))
		}
		if hint := transportMismatch(msg, c.tls, c.srvName); hint != "" {
			return failErr(fmt.Errorf("%s unavailable: %s: %s (not applied: the request was not sent)", c.where, msg, hint))
		}
		if hint := closedAfterHandshake(msg, c.tls, c.cert); hint != "" {
			return failErr(fmt.Errorf("%s unavailable: %s: the change may not have been applied; %s; otherwise retry it (it is idempotent)", c.where, msg, hint))
		}
		return failErr(fmt.Errorf("%s unavailable: %s: the change may not have been applied; retry it (it is idempotent)", c.where, msg))
	case codes.Canceled:
		return failErr(fmt.Errorf("cancelled: the change may not have been applied; retry it (it is idempotent)"))
	}
	return failErr(fmt.Errorf("%s: %s: %s", c.where, st.Code(), msg))
}

// transportMismatch returns the fix for a connection that failed because the
// client and the sidecar disagree on TLS — a plaintext client whose HTTP/2
// preface a TLS server drops, or a TLS client answered in plaintext — and ""
// for any other failure. Retrying cannot fix either.
func transportMismatch(msg string, useTLS bool, srvName string) string {
	switch {
	case !useTLS && strings.Contains(msg, "error reading server preface"):
		return "the sidecar closed the plaintext connection at once, as a sidecar serving TLS does: give --tls-ca with the CA of its certificate (serve's tls.cert_file), or --tls for the system's CAs"
	case useTLS && strings.Contains(msg, "first record does not look like a TLS handshake"):
		return "the sidecar serves plaintext (no tls.cert_file): drop --tls-ca, --tls, --tls-cert and --server-name"
	// The TLS handshake failed, so nothing was sent: the client refused the
	// sidecar's certificate, or the sidecar refused the client's.
	case useTLS && strings.Contains(msg, "x509: certificate signed by unknown authority"):
		return "the sidecar's certificate is not signed by a CA of --tls-ca (the system's CAs with --tls alone): give --tls-ca the CA that signed serve's tls.cert_file"
	case useTLS && strings.Contains(msg, "x509: certificate is valid for") && srvName != "":
		return fmt.Sprintf("the sidecar's certificate does not carry --server-name %q: give --server-name a name it carries (the names it is valid for are above), or leave it out to check the host of --addr", srvName)
	case useTLS && strings.Contains(msg, "x509: certificate is valid for"):
		return "the sidecar's certificate does not carry the host of --addr (localhost with --unix): give --server-name with a name it carries"
	case useTLS && strings.Contains(msg, "x509: certificate has expired or is not yet valid"):
		return "the sidecar's certificate is out of its validity (or this host's clock is wrong): install a current tls.cert_file on the sidecar"
	case useTLS && strings.Contains(msg, "tls: certificate required"):
		return "the sidecar requires a client certificate (serve's tls.client_ca_file): give --tls-cert and --tls-key"
	case useTLS && (strings.Contains(msg, "tls: unknown certificate authority") || strings.Contains(msg, "tls: bad certificate") ||
		strings.Contains(msg, "tls: expired certificate") || strings.Contains(msg, "tls: unsupported certificate")):
		return "the sidecar refused the client certificate of --tls-cert: give one signed by a CA of serve's tls.client_ca_file, current, for client authentication"
	}
	return ""
}

// closedAfterHandshake returns a hint for a TLS connection the sidecar
// closed under the client's first write ("broken pipe", "connection reset
// by peer"): how a sidecar that requires client certificates refuses a
// missing or foreign one when its alert is not read first. The same error
// can come from a sidecar stopped at that moment, so the hint says "if",
// and the write may have been sent: the caller keeps "may not have been
// applied". "" when it does not apply.
func closedAfterHandshake(msg string, useTLS, cert bool) string {
	if !useTLS || !(strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset by peer")) {
		return ""
	}
	if !cert {
		return "if the sidecar requires client certificates (serve's tls.client_ca_file), it refused this connection for having none: give --tls-cert and --tls-key"
	}
	return "if the sidecar requires client certificates (serve's tls.client_ca_file), it refused the one of --tls-cert: give one signed by a CA of that file, current, for client authentication"
}

// flagOfField names the flag (or argument) that sets a request field the
// server names: fields holds those whose flag is not the field's own name
// ("added_at": "--at"); an index ("purposes[0]") names the flag of the
// list.
func flagOfField(field string, fields map[string]string) string {
	base, _, _ := strings.Cut(field, "[")
	if f, ok := fields[base]; ok {
		return f
	}
	return flagOf(base)
}

// connect opens a client of the sidecar the flags name. Flags that do not
// fit together, a token or TLS file that does not load, or a plaintext
// connection to a non-loopback address without --insecure are bad input
// (exit 2) naming the flag.
func (f *adminFlags) connect(cmd *cobra.Command) (*adminConn, error) {
	if f.timeout <= 0 {
		return nil, usageErr("--timeout: %s is not positive", f.timeout)
	}
	if f.unix != "" && cmd.Flags().Changed("addr") {
		return nil, usageErr("--unix: give --unix or --addr, not both")
	}
	// The global --data would be ignored: the write goes to whichever
	// sidecar answers at --addr or --unix, maybe not the one serving that
	// directory.
	if d := cmd.Flag("data"); d != nil && d.Changed {
		if f.health {
			return nil, usageErr("--data: dialgate health opens no data directory: it asks the sidecar at --addr (or --unix); name the sidecar serving %s there", d.Value.String())
		}
		return nil, usageErr("--data: dialgate admin opens no data directory: it writes through the sidecar at --addr (or --unix); name the sidecar serving %s there", d.Value.String())
	}
	token := ""
	if !f.health {
		var err error
		if token, err = f.token(); err != nil {
			return nil, err
		}
	}
	network, address, host := "tcp", f.addr, ""
	if f.unix != "" {
		network, address, host = "unix", f.unix, "localhost"
	} else {
		h, port, err := net.SplitHostPort(f.addr)
		if err != nil || port == "" || h == "" {
			return nil, usageErr("--addr: %q is not host:port", f.addr)
		}
		// A port that is not one (7443x, 70000) would fail every dial,
		// reported as the sidecar unavailable and worth a retry. A
		// service name (https) is one, as serve --listen takes it.
		n, err := strconv.Atoi(port)
		if err != nil {
			if n, err = net.DefaultResolver.LookupPort(cmd.Context(), "tcp", port); err != nil {
				return nil, usageErr("--addr: %q: port %q is neither a number from 1 to 65535 nor a service name this host knows (/etc/services): give the port number of serve's --listen", f.addr, port)
			}
		}
		if n < 1 || n > 65535 {
			return nil, usageErr("--addr: %q: port %q is not a number from 1 to 65535", f.addr, port)
		}
		host = h
	}
	var creds credentials.TransportCredentials
	plainRemote := false
	if f.tlsWanted() {
		tc, err := f.tlsConfig(host)
		if err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(tc)
	} else {
		creds = insecure.NewCredentials()
		if network == "tcp" && !f.insecure {
			if !loopbackHost(host) {
				if f.health {
					return nil, usageErr("--addr: %q is not a loopback address: refusing a plaintext connection (its answer could be forged on the way); use --tls-ca (or --tls), or --insecure to override", f.addr)
				}
				return nil, usageErr("--addr: %q is not a loopback address: refusing a plaintext connection (the token and the numbers would cross the network unencrypted); use --tls-ca (or --tls), or --insecure to override", f.addr)
			}
			plainRemote = true
		}
	}
	dial := func(ctx context.Context, _ string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, address)
		if err != nil || !plainRemote {
			return conn, err
		}
		// "localhost" passed by its name; the address it resolved to is
		// judged again before anything is sent.
		if ap, perr := netip.ParseAddrPort(conn.RemoteAddr().String()); perr != nil || !ap.Addr().Unmap().IsLoopback() {
			_ = conn.Close()
			return nil, fmt.Errorf("%s resolved to %s, not a loopback address: refusing a plaintext connection (use TLS, or --insecure)", f.addr, conn.RemoteAddr())
		}
		return conn, nil
	}
	target := "passthrough:///" + address
	if network == "unix" {
		target = "passthrough:///localhost"
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds), grpc.WithContextDialer(dial))
	if err != nil {
		return nil, usageErr("--addr: %v", err)
	}
	where := "the sidecar at " + address
	return &adminConn{AdminServiceClient: pb.NewAdminServiceClient(conn), conn: conn, where: where, token: token, timeout: f.timeout, tls: f.tlsWanted(), cert: f.certFile != "", srvName: f.srvName}, nil
}

// loopbackHost reports whether host is a loopback IP or "localhost" (whose
// address the dialer checks once resolved).
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// token returns the bearer token: the content of --token-file, else
// $DIALGATE_TOKEN, else "" (the sidecar then answers Unauthenticated when it
// has tokens). A file other users can read is refused. The token is never
// printed: errors name the file or variable.
func (f *adminFlags) token() (string, error) {
	if f.tokenFile == "" {
		t, ok := os.LookupEnv(tokenEnv)
		if !ok {
			return "", nil
		}
		return checkToken(tokenEnv, t)
	}
	file, err := os.Open(f.tokenFile)
	if err != nil {
		return "", usageErr("--token-file: %v", err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return "", usageErr("--token-file: %v", err)
	}
	if st.IsDir() {
		return "", usageErr("--token-file: %s is a directory", f.tokenFile)
	}
	// As ssh refuses such a key: every local user could take the token (or,
	// writing it, make this command authenticate as another); the rule of
	// the sidecar's secret files.
	if mode := st.Mode().Perm(); runtime.GOOS != "windows" && mode&0o006 != 0 {
		what := "readable by other users (mode %04o), who could take the token"
		if mode&0o002 != 0 {
			what = "writable by other users (mode %04o), who could replace the token"
		}
		return "", usageErr("--token-file: %s is "+what+": chmod 600 (or 640 for its group)", f.tokenFile, mode)
	}
	b, err := io.ReadAll(io.LimitReader(file, maxTokenFile+1))
	if err != nil {
		return "", usageErr("--token-file: %v", err)
	}
	if len(b) > maxTokenFile {
		return "", usageErr("--token-file: %s: larger than 4 KiB (it holds one token)", f.tokenFile)
	}
	return checkToken("--token-file", string(b))
}

// checkToken trims the white space around a token (a file's final newline)
// and refuses an empty one or one that holds white space or control
// characters: it would not be sent as written.
func checkToken(from, t string) (string, error) {
	t = strings.TrimSpace(t)
	if t == "" {
		return "", usageErr("%s: empty token", from)
	}
	for _, r := range t {
		if r <= ' ' || r == 0x7f {
			return "", usageErr("%s: the token holds white space or control characters (one token, on one line)", from)
		}
	}
	return t, nil
}

// tlsConfig builds the client TLS configuration: the server verified against
// --tls-ca (or the system's CAs) under --server-name (or host), and the
// client certificate of --tls-cert/--tls-key for mTLS.
func (f *adminFlags) tlsConfig(host string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if f.srvName != "" {
		tc.ServerName = f.srvName
	}
	if f.caFile != "" {
		b, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, usageErr("--tls-ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, usageErr("--tls-ca: %s holds no PEM certificate", f.caFile)
		}
		tc.RootCAs = pool
	}
	if (f.certFile == "") != (f.keyFile == "") {
		return nil, usageErr("--tls-cert: give --tls-cert and --tls-key together")
	}
	if f.certFile != "" {
		cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) && pe.Path == f.keyFile {
				return nil, usageErr("--tls-key: %v", err)
			}
			return nil, usageErr("--tls-cert: %v", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
