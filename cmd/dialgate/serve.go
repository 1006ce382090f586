package main

import (
	"errors"
	"net"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/policy"
	"github.com/spf13/cobra"
)

// serveCmd is `dialgate serve`: the gRPC sidecar (internal/sidecar).
func (a *app) serveCmd() *cobra.Command {
	var (
		configFile string
		cfg        sidecar.Config
		grace      string
		drain      string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gRPC sidecar (GateService, AdminService, health, metrics)",
		Long: `Run the dialgate gRPC sidecar for dialers not written in Go.

It serves GateService and AdminService (proto/dialgate/v1) on 127.0.0.1:7443
(or --unix PATH) over the embedded store in --data (and a fleet's Redis or
PostgreSQL named in --config) with the profile cn, the standard gRPC health
service, and Prometheus metrics on 127.0.0.1:9464.
Any RPC error means the client must not dial. A profile that requires a
registry (us: us-national-dnc) denies every dial (dnc.registry_stale) until
--registry (or the config's registries) gives a current copy.

The --unix socket is mode 0660 (its owner and group may connect) from its
first moment, whatever the umask. A stale socket at PATH is replaced; a
socket another server answers on, or anything at PATH that is not a socket
(a file, a directory, a symlink), is refused and left as it is; so is a
PATH in a directory other users may write (/tmp: they could put their own
socket there while the sidecar is stopped), or under one they may write
without the sticky bit: use a directory such as /run/dialgate.

The profile it runs (its name, policy version, and the built-in name or the
absolute path of the file it was given as) is recorded in
DIR/serve-profile.json, replaced at a start with another one: the commands on
the same --data (recordings, complaint, dnc import, check) use it by default
and refuse another where their records would follow it.

A non-loopback --listen is refused unless TLS (--tls-cert/--tls-key) and a
tokens file (--tokens) are given, or --insecure. The TLS key, the config's
hmac_key_file and the keys in DIR/keys are refused when other users can
read or write them (chmod 600, or 640 for the group; a Kubernetes secret
volume needs defaultMode 0400, or 0440 with fsGroup), the mTLS client CA
bundle (--tls-client-ca) and the --config file when other users can write
them, and so is a server
certificate already expired or not yet valid: the server does not start. Flags override the YAML
--config file. A flag given an empty value (an unset shell variable) is refused: leave it
out for the config's setting. SIGTERM or Ctrl-C: health goes NOT_SERVING for --drain; then
health watches and CheckStreams end (Unavailable) once their dials in
flight are answered, other calls in flight finish (up to --shutdown-grace),
the audit log is flushed, the stores closed.

Rotated files are picked up without a restart: the registry snapshots
(--registry), the tokens file and the TLS files are looked at every
registry_reload (config file, default 1m) and at once on SIGHUP. New tokens
apply to the next call, new certificates and client CAs to the next
connection. A file that fails to load is refused and logged, and the copy
in force stays (not so the blackouts file, below). A tokens file other
users can write, or read while it gives a token in plain text, fails to
load; "tokens: []" loads and refuses every token (revoke them all). So
does a TLS key file other users can read or write, and a server
certificate expired or not yet valid. A
registry copy listing more than registry_max_shrink (config file, default
0.05) fewer numbers than the copy it replaces, or than the registry's
high-water mark (the most numbers a copy listed since the last
acknowledged shrink: small shrinks add up), is refused too, at a reload
and at start (compared with the copy last in force and the mark, recorded
in the data directory), unless it was built with dnc build
--accept-shrink-from naming the copy it replaces (which resets the mark to
the new copy's count); so is a copy that lacks more than
registry_max_shrink of a sample of the numbers of the copy it replaces
(numbers dropped and as many others added keep the count; at start the
sample recorded in the data directory), with the same acknowledgement; so
is a copy built in another scope than the copy it replaces (--scope; a
copy widened to global is not refused), with the same acknowledgement; so
is a copy older than the loaded one (at start: than the copy last in
force). A damaged record of the copies last in force (registry-copies.json
in the data directory) stops the start: restore it, or delete it to accept
the copies given; so does one that cannot be read (fix its permissions).
A reload records a new copy there before it goes into force, and refuses
the copy when the record cannot be written.

Declared no-call periods (a state of emergency) go in a blackouts file
(--blackouts, config blackouts_file; schema dialgate.blackouts.v1), looked
at with the others: a changed copy is in force without a restart. While it
cannot be read or parsed, every dial the profile's schedule judges is
denied (schedule.unavailable): write "blackouts: []" to lift them all.

Exit codes: 0 stopped by SIGTERM or Ctrl-C, 1 the server failed (a store or
a fleet back-end it cannot open, a port in use, a --unix socket another
server answers on), 2 bad input: a flag, the config file, or a file they
name that is missing or does not load (profile, registry snapshots — also
one far smaller than the copy last in force — tokens,
TLS files, HMAC key file, blackouts file; also a secret file other users
can read or write, or a certificate out of its validity), or a --unix path
that is not a socket, refused before the data directory or its keys are
made (the keys in DIR/keys: when they are loaded).

Limits (config file): max_message_bytes (default 64 KiB) per message,
max_streams (default 1024) calls open at once on one connection (a client
over it waits), max_connections (default 1024) connections held at once (one
over it is not accepted until another closes; a handshake must finish
within 10s), first_message_timeout (default 10s) for the request of a call
that sends one message (unary calls, health Watch; not CheckStream),
max_header_bytes (default 16 KiB) of a call's metadata. The metrics server
has read (10s), write (30s) and idle (1m) timeouts.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// An empty value (an unset shell variable: --tokens "$TOKENS")
			// would replace the config file's setting with none: no
			// config, no tokens, no mTLS, the default profile. Refused,
			// as --data "" is.
			for _, e := range []struct{ flag, v string }{
				{"config", configFile}, {"tokens", cfg.TokensFile}, {"tls-cert", cfg.TLS.CertFile},
				{"tls-key", cfg.TLS.KeyFile}, {"tls-client-ca", cfg.TLS.ClientCAFile},
				{"blackouts", cfg.BlackoutsFile}, {"unix", cfg.Unix}, {"profile", cfg.Profile},
			} {
				if cmd.Flags().Changed(e.flag) && e.v == "" {
					return usageErr("--%s: empty (leave the flag out to use the config file's setting or the default)", e.flag)
				}
			}
			for _, r := range cfg.Registries {
				if r == "" {
					return usageErr("--registry: empty (want a registry snapshot file)")
				}
			}
			base := sidecar.Config{}
			if configFile != "" {
				c, err := sidecar.LoadConfig(configFile)
				if err != nil {
					return usageErr("--config: %v", err)
				}
				base = c
			}
			f := cmd.Flags()
			set := func(name string, apply func()) {
				if f.Changed(name) {
					apply()
				}
			}
			set("listen", func() { base.Listen = cfg.Listen })
			set("unix", func() { base.Unix = cfg.Unix })
			set("profile", func() { base.Profile = cfg.Profile })
			set("insecure", func() { base.Insecure = cfg.Insecure })
			set("reflection", func() { base.Reflection = cfg.Reflection })
			set("tls-cert", func() { base.TLS.CertFile = cfg.TLS.CertFile })
			set("tls-key", func() { base.TLS.KeyFile = cfg.TLS.KeyFile })
			set("tls-client-ca", func() { base.TLS.ClientCAFile = cfg.TLS.ClientCAFile })
			set("tokens", func() { base.TokensFile = cfg.TokensFile })
			set("blackouts", func() { base.BlackoutsFile = cfg.BlackoutsFile })
			set("max-message-bytes", func() { base.MaxMessageBytes = cfg.MaxMessageBytes })
			set("metrics-listen", func() { base.MetricsListen = cfg.MetricsListen })
			set("shadow", func() { base.Shadow = cfg.Shadow })
			set("log-level", func() { base.LogLevel = cfg.LogLevel })
			set("registry", func() { base.Registries = append(base.Registries, cfg.Registries...) })
			for _, d := range []struct {
				flag, v string
				dst     *sidecar.Duration
			}{{"shutdown-grace", grace, &base.ShutdownGrace}, {"drain", drain, &base.Drain}} {
				if !f.Changed(d.flag) {
					continue
				}
				v, err := time.ParseDuration(d.v)
				if err != nil {
					return usageErr("--%s: invalid duration %q (want e.g. \"10s\" or \"500ms\")", d.flag, d.v)
				}
				*d.dst = sidecar.Duration(v)
			}
			if base.Data == "" || cmd.Flags().Changed("data") {
				base.Data = a.data
			}
			// Validate refuses unix with listen (from flags or the file):
			// the address would be dropped without a word.
			if err := base.Validate(); err != nil {
				return usageErr("%v", err)
			}
			// An unknown profile, or a profile file that does not load, is
			// bad input (exit 2) as for check, found before the data
			// directory is made.
			if _, err := policy.Load(base.WithDefaults().Profile); err != nil {
				return usageErr("--profile (or the config's profile): %v", err)
			}
			// A file the operator named that is missing or bad (a registry
			// snapshot, the tokens file, the TLS files, the HMAC key file, the
			// blackouts file)
			// is bad input (exit 2), refused before anything is made.
			err := sidecar.Serve(cmd.Context(), base, a.stderr, func(g, m net.Addr) {})
			if errors.Is(err, sidecar.ErrConfig) {
				return usageErr("%v", err)
			}
			if err != nil {
				return failErr(err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "YAML config file (flags override it)")
	f.StringVar(&cfg.Listen, "listen", sidecar.DefaultListen, "TCP host:port to listen on")
	f.StringVar(&cfg.Unix, "unix", "", "listen on this Unix socket instead of TCP (not with --listen or the config's listen)")
	f.StringVar(&cfg.Profile, "profile", sidecar.DefaultProfile, "built-in profile name or profile file")
	f.BoolVar(&cfg.Insecure, "insecure", false, "allow a non-loopback listener without TLS and tokens")
	f.BoolVar(&cfg.Reflection, "reflection", false, "enable gRPC reflection (admin scope)")
	f.StringVar(&cfg.TLS.CertFile, "tls-cert", "", "PEM server certificate chain")
	f.StringVar(&cfg.TLS.KeyFile, "tls-key", "", "PEM server key")
	f.StringVar(&cfg.TLS.ClientCAFile, "tls-client-ca", "", "PEM CA bundle; require client certificates (mTLS)")
	f.StringVar(&cfg.TokensFile, "tokens", "", "bearer tokens file with gate/admin scopes")
	f.StringVar(&cfg.BlackoutsFile, "blackouts", "", "declared no-call periods file (schema dialgate.blackouts.v1), reloaded without a restart")
	f.IntVar(&cfg.MaxMessageBytes, "max-message-bytes", sidecar.DefaultMaxMessageBytes, "largest request accepted")
	f.StringVar(&cfg.MetricsListen, "metrics-listen", sidecar.DefaultMetricsListen, `loopback host:port of /metrics, or "off"`)
	f.BoolVar(&cfg.Shadow, "shadow", false, "shadow mode: evaluate and record, never deny")
	f.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	f.StringArrayVar(&cfg.Registries, "registry", nil, "registry snapshot file (dnc build), repeatable; adds to the config's registries")
	f.StringVar(&grace, "shutdown-grace", "10s", "longest wait for calls in flight at shutdown")
	f.StringVar(&drain, "drain", "0s", "time to report NOT_SERVING before stopping")
	return cmd
}
