package sidecar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dialgate/dialgate"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/yamlx"
	yaml3 "go.yaml.in/yaml/v3"
)

// Defaults of the Config fields whose zero value means "the default".
const (
	DefaultListen          = "127.0.0.1:7443"
	DefaultMetricsListen   = "127.0.0.1:9464"
	DefaultData            = "./dialgate-data"
	DefaultProfile         = "cn"
	DefaultMaxMessageBytes = 64 << 10
	DefaultMaxStreams      = 1024
	DefaultMaxConnections  = 1024
	// DefaultFirstMessageTimeout is Config.FirstMessageTimeout's default.
	DefaultFirstMessageTimeout = 10 * time.Second
	DefaultMaxHeaderBytes      = 16 << 10
	DefaultShutdownGrace       = 10 * time.Second
	DefaultStreamWorkers       = 32
	DefaultHealthInterval      = 5 * time.Second
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("sidecar: invalid configuration")

// Duration is a time.Duration written as text ("10s", "500ms") in a config file.
type Duration time.Duration

// UnmarshalJSON parses a duration string such as "10s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"10s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. \"10s\" or \"500ms\")", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// TLSConfig names the server's certificate files. With ClientCAFile set the
// server requires and verifies client certificates (mTLS). `dialgate serve`
// reloads the files when their content changes (see Config.RegistryReload):
// new handshakes use the new copy, open connections keep theirs.
type TLSConfig struct {
	// CertFile and KeyFile are the PEM server certificate chain and key. Both or
	// neither.
	CertFile string `json:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty"` // see CertFile
	// ClientCAFile is a PEM bundle of CAs whose client certificates are
	// accepted; setting it turns on mTLS. Needs CertFile. A bundle other
	// users may write is refused (they could add a CA of their own).
	ClientCAFile string `json:"client_ca_file,omitempty"`
}

// Enabled reports whether TLS is configured.
func (t TLSConfig) Enabled() bool { return t.CertFile != "" }

// Config is the sidecar's configuration, read from a YAML file (LoadConfig)
// and overridden by `dialgate serve` flags. The zero Config is valid and means
// every default: 127.0.0.1:7443, plaintext on loopback, no tokens, profile cn,
// store ./dialgate-data, metrics on 127.0.0.1:9464.
type Config struct {
	// Listen is the TCP host:port (default DefaultListen, without Unix). A
	// non-loopback address needs TLS and a tokens file, or Insecure.
	Listen string `json:"listen,omitempty"`
	// Unix, when set, is a Unix socket path to listen on instead of TCP
	// (mode 0660: its owner and group may connect; see Server.Listen). Not
	// with Listen: the server listens on one or the other, and a config
	// setting both is refused. An abstract socket ("@name") is refused.
	Unix string `json:"unix,omitempty"`
	// Data is the embedded store's directory (default DefaultData).
	Data string `json:"data,omitempty"`
	// Profile is a built-in profile name or a profile file path (default cn).
	Profile string `json:"profile,omitempty"`
	// Insecure allows a non-loopback listener without TLS or tokens. It is
	// logged loudly, and each listener it lets open on a non-loopback
	// address is named at Warn.
	Insecure bool `json:"insecure,omitempty"`
	// Reflection turns on the gRPC reflection service (admin scope).
	Reflection bool `json:"reflection,omitempty"`
	// TLS configures TLS and mTLS.
	TLS TLSConfig `json:"tls,omitzero"`
	// TokensFile is the bearer-token file (see LoadTokens). Empty: no tokens
	// are required (allowed only on loopback or a Unix socket, or with Insecure).
	// `dialgate serve` reloads it when its content changes (see
	// RegistryReload): a token removed from the file is refused from the
	// next RPC on, and at the next message of a stream it opened. A file
	// other users may write, or read while it holds a plaintext token, is
	// refused (see LoadTokens).
	TokensFile string `json:"tokens_file,omitempty"`
	// MaxMessageBytes bounds a received message (default 64 KiB, 1 KiB–16 MiB);
	// larger ones get ResourceExhausted.
	MaxMessageBytes int `json:"max_message_bytes,omitempty"`
	// AuditLogID is the audit log's identity, written into every signed
	// checkpoint (auditlog.Options.LogID), such as the sidecar's host name:
	// `dialgate audit verify --log-id` then tells this sidecar's log from
	// another's signed with the same key. Empty: the log keeps the identity
	// its checkpoints carry (a random "dlg-…" one for a new log). Set it
	// before the first start: a log keeps one identity, and serve refuses an
	// id other than the one its checkpoints carry.
	AuditLogID string `json:"audit_log_id,omitempty"`
	// MaxStreams bounds the calls open at once on one connection (default
	// 1024, 1–1048576); a client over it waits for one to finish. Health
	// needs no token, so without a bound one connection could hold open any
	// number of Watch streams.
	MaxStreams int `json:"max_streams,omitempty"`
	// MaxConnections bounds the client connections the gRPC listener holds
	// at once (default 1024, 1–1048576): one over it is not accepted until
	// one closes (it waits in the kernel's backlog; a client's connect or
	// call deadline then fails it: do not dial). Health needs no token, so
	// without it any client that reaches the listener could open any number
	// of connections, each holding max_streams calls that never send their
	// request. A connection that has not finished its TLS and HTTP/2
	// handshake within ConnectionTimeout is closed.
	MaxConnections int `json:"max_connections,omitempty"`
	// FirstMessageTimeout bounds how long a call whose request is one
	// message (every unary call, and a server-streaming one such as the
	// health Watch) may wait for it once its headers are in (default 10s,
	// 100ms–10m); after it the call ends (Canceled), freeing its goroutine
	// and stream slot. Calls whose client streams (CheckStream) may wait
	// between messages and are not bounded.
	FirstMessageTimeout Duration `json:"first_message_timeout,omitempty"`
	// MaxHeaderBytes bounds the metadata (headers) of a call (default 16 KiB,
	// 1 KiB–1 MiB), read before the token is checked.
	MaxHeaderBytes int `json:"max_header_bytes,omitempty"`
	// MetricsListen is the loopback host:port of the Prometheus endpoint
	// /metrics (default DefaultMetricsListen); "off" disables it.
	MetricsListen string `json:"metrics_listen,omitempty"`
	// ShutdownGrace bounds the graceful stop (default 10s); after it, open
	// streams are cut.
	ShutdownGrace Duration `json:"shutdown_grace,omitempty"`
	// Drain is how long the server keeps answering while reporting
	// NOT_SERVING before it stops accepting work, so load balancers and
	// clients move away (default 0).
	Drain Duration `json:"drain,omitempty"`
	// CheckTimeout bounds one decision's checks (default: the Gate's, 500ms).
	CheckTimeout Duration `json:"check_timeout,omitempty"`
	// AllowLifetime is how long an allow stays good for (its valid_until:
	// the decision instant plus this, or the earliest end a passing check
	// tells, such as the calling window's end); default the Gate's,
	// dialgate.DefaultAllowLifetime (60s); at most dialgate.MaxAllowLifetime.
	AllowLifetime Duration `json:"allow_lifetime,omitempty"`
	// Shadow runs the gate in shadow mode: evaluate and record, never deny.
	Shadow bool `json:"shadow,omitempty"`
	// StreamWorkers bounds the dials of one CheckStream decided concurrently
	// (default 32).
	StreamWorkers int `json:"stream_workers,omitempty"`
	// HealthInterval is how often component probes run (default 5s).
	HealthInterval Duration `json:"health_interval,omitempty"`
	// LogLevel is debug, info (default), warn or error.
	LogLevel string `json:"log_level,omitempty"`
	// Redis, when set, is the URL of the Redis server a fleet shares
	// (storage/redisstore): frequency caps, segment counters, the
	// sweep.sequential run state and the shared DNC entries live there
	// instead of the embedded store (or the sidecar's memory).
	Redis string `json:"redis,omitempty"`
	// RedisPrefix is the key prefix of the fleet in Redis (default "dialgate").
	RedisPrefix string `json:"redis_prefix,omitempty"`
	// RedisRequireAOF, true unless set to false, refuses a Redis server that
	// does not persist every write (appendonly yes, appendfsync always or
	// everysec): the fleet's opt-outs, its cap counters and, without
	// postgres, its consents live there, and a Redis restart without the
	// append-only file would forget them all. false accepts that loss (a
	// cache-only Redis, a test server) and logs a warning at start.
	RedisRequireAOF *bool `json:"redis_require_aof,omitempty"`
	// RedisWaitReplicas, when positive, makes every DNC and consent write to
	// Redis wait until that many replicas acknowledged it (WAIT, at most 1 s;
	// redisstore.Options.WaitReplicas): fewer fails the write
	// (Unavailable), so that a failover to a replica (Sentinel) cannot lose
	// an acknowledged opt-out or consent revocation. 0 (default): no wait.
	RedisWaitReplicas int `json:"redis_wait_replicas,omitempty"`
	// RedisRequireEpoch refuses to start on a Redis store without its epoch
	// key (redisstore.Options.RequireEpoch): one whose server lost the
	// fleet's data (a restart without persistence, a flush) would otherwise
	// be taken for a new store, its caps counted from zero and its opt-outs
	// gone. Set it once the fleet's store exists (a sidecar started without
	// it sets the key). Running sidecars deny every dial on an emptied
	// store whatever this says.
	RedisRequireEpoch bool `json:"redis_require_epoch,omitempty"`
	// Postgres, when set, is the URL of the PostgreSQL database a fleet shares
	// (storage/pgstore): the caller-ID ledger, consents, recordings and
	// complaints, and the DNC entries, frequency caps, segment counters and
	// sweep.sequential run state when Redis is not set.
	Postgres string `json:"postgres,omitempty"`
	// PostgresSchema is the schema of the fleet (default "dialgate").
	PostgresSchema string `json:"postgres_schema,omitempty"`
	// PostgresRequireSchema refuses to start on a database without the
	// fleet's schema (pgstore.Options.RequireSchema) instead of creating
	// it: a server failed over to one without the data, a schema dropped,
	// or a URL naming the wrong database would otherwise be taken for a new
	// store, every opt-out, consent revocation and cap count gone. Set it
	// once the fleet's store exists (a sidecar started without it creates
	// it). Running sidecars deny every dial on a schema dropped or
	// re-created under them whatever this says.
	PostgresRequireSchema bool `json:"postgres_require_schema,omitempty"`
	// HMACKeyFile is a file holding the hex HMAC key that pseudonymises
	// callee numbers (in audit records, shared counters and lists). Every
	// sidecar of a fleet must use the same key, so it is required with redis or
	// postgres; without them the key in DATA/keys is used (created on first start).
	HMACKeyFile string `json:"hmac_key_file,omitempty"`
	// Registries are registry snapshot files (`dialgate dnc build`), loaded at
	// start, each named by its header. A profile that requires a registry
	// denies every dial (dnc.registry_stale) until a current copy is loaded.
	// A file replaced on disk is loaded again (see RegistryReload).
	Registries []string `json:"registries,omitempty"`
	// BlackoutsFile is a declarations file (schedule.ParseDeclarations):
	// declared no-call periods, such as a state of emergency, put in force
	// beside the profile's own blackouts without a restart. `dialgate serve`
	// reads it at start (a bad file refuses to start) and looks at it again
	// every RegistryReload and on SIGHUP: a changed copy is in force once it
	// has read the same for half a second. A copy that cannot be read or
	// parsed is NOT ignored: every dial the profile's schedule judges is
	// denied (schedule.unavailable) and the health component "blackouts"
	// fails until a good copy is in place — an emergency an operator tried
	// to declare is never missed for a typing error. To lift every
	// declaration write "blackouts: []"; do not delete the file. The profile
	// must have a schedule section.
	BlackoutsFile string `json:"blackouts_file,omitempty"`
	// RegistryReload is how often `dialgate serve` looks at the files it
	// reloads for a new copy (default 1m, at least 1s): the registry files
	// (size or modification time changed), the tokens file, the TLS files
	// and the blackouts file (content changed, compared by SHA-256 through any symlinks, as a
	// Kubernetes secret volume swaps them). SIGHUP looks at every file at
	// once. A registry copy that fails to load, is of another list, is
	// older than the loaded one, or lists far fewer numbers
	// (RegistryMaxShrink) is refused (logged, and
	// dialgate_registry_copy_refused is 1 until a copy on the path loads;
	// registries are not counted in dialgate_reloads_total) and the loaded
	// copy stays; so does a
	// tokens file that fails to parse, and a certificate and key that are
	// not a pair, or a certificate already expired (logged and counted in
	// dialgate_reloads_total). A blackouts file that cannot be loaded is
	// counted there too, but nothing stays in force: see BlackoutsFile.
	RegistryReload Duration `json:"registry_reload,omitempty"`
	// RegistryMaxShrink is the largest fraction by which a registry copy may
	// list fewer numbers than the copy it replaces, and than the registry's
	// high-water mark (default DefaultRegistryMaxShrink, 0.05; 0 < x ≤ 1, 1
	// turns the guard off): a new copy listing fewer than (1 − x) × the
	// loaded copy's count — a download cut short, a wrong filter — or
	// fewer than (1 − x) × the most numbers a copy listed since the last
	// acknowledged shrink — copies each a little smaller than the last — is
	// refused at a reload (logged, the loaded copy stays, and goes stale:
	// then every dial of the profile is denied) and at start (the count of
	// the copy last in force and the mark are recorded in the data
	// directory, RegistryCopiesFile; serve does not start). A copy built
	// with `dialgate dnc build --accept-shrink-from` naming the copy it
	// replaces is accepted whatever its count, and resets the mark to its
	// own count. Raising x does not reset the mark. The same limit applies
	// to the share of the copy in force's numbers a new copy lacks,
	// estimated from a sample of them (drawn at random: up to 65,536 at a
	// reload, the 4,096 recorded in RegistryCopiesFile at start): a copy
	// that drops numbers and adds as many others keeps its count; the same
	// acknowledgement accepts it.
	RegistryMaxShrink *float64 `json:"registry_max_shrink,omitempty"`
}

// DefaultRegistryMaxShrink is Config.RegistryMaxShrink's default: a copy
// may list at most 5 % fewer numbers than the copy it replaces. National
// registries change far more slowly (the US registry's net change is well
// under 1 % a month; its yearly purges of disconnected numbers a few % a
// year), while a truncated download or a wrong filter loses far more.
const DefaultRegistryMaxShrink = 0.05

// maxShrink returns RegistryMaxShrink, or its default when unset.
func (c Config) maxShrink() float64 {
	if c.RegistryMaxShrink == nil {
		return DefaultRegistryMaxShrink
	}
	return *c.RegistryMaxShrink
}

// LoadConfig reads a YAML config file. Unknown keys are errors, named with
// the file and line (path:3: …). A file other users may write is refused,
// wrapping ErrConfig (checkFileMode): it names the files the server takes
// its access control from (tokens, TLS, client CAs) and whether a
// non-loopback listener needs them, so whoever may write it could turn
// them off at the next start.
func LoadConfig(path string) (Config, error) {
	b, err := yamlx.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	if err := checkFileMode("config", path, "", ""); err != nil {
		return Config{}, err
	}
	return parseConfig(path, b)
}

// ParseConfig decodes YAML config text strictly: empty text (write "{}"
// for every default), an unknown key, a key in
// another case ("Profile:"), a wrong type, a bad duration, or a text value
// that YAML reads as a float ("data: 2.10", which would reach the Config as
// "2.1": it must be quoted) is an error naming the key.
func ParseConfig(b []byte) (Config, error) { return parseConfig("config", b) }

// parseConfig is ParseConfig with the errors' lines given as file:line.
func parseConfig(file string, b []byte) (Config, error) {
	var c Config
	// An empty file is more likely a write cut short or a missing mounted
	// key than a wish for every default (the embedded store in place of a
	// fleet's, no tokens, profile cn), and a file of comments only is
	// refused as an empty document: so is this. "{}" asks for the defaults.
	if len(bytes.TrimSpace(b)) == 0 {
		return Config{}, fmt.Errorf("%w: %s: empty (write {} for every default)", ErrConfig, file)
	}
	doc, err := yamlx.Parse(file, b)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	// A key written without a value ("tokens_file:", "~", "") is what a
	// template leaves for an unset variable: decoded, it is the key left
	// out — no tokens, no mTLS — so a sidecar asked for them would start
	// without. Refuse it, naming the key, as serve refuses an empty flag.
	if err := checkNoValue(doc, doc.Root, "", 0); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := doc.Decode(doc.Root, "", &c); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	// encoding/json also takes a key in another case ("Profile:"), and of
	// two spellings of one key keeps one without a word: refuse them.
	if err := doc.CheckKeys(doc.Root, reflect.TypeFor[Config](), ""); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	// A plain value YAML reads as a float reaches a string key re-spelt:
	// "data: 2.10" would name the directory "2.1" (another, empty store),
	// "redis_prefix: 1.10" another fleet's keys. Refuse it, naming the key.
	if err := doc.CheckStrings(doc.Root, reflect.TypeFor[Config](), ""); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, nil
}

// checkNoValue reports, as a *yamlx.Error with its line and path, the first
// key or list element below n written without a value: empty, "~", "null",
// or a text of white space only. Every config key is optional, so such a
// key is never needed; written, it most likely stands for a value that was
// meant to be there (a template's unset variable, a line cut short), and
// read as left out it would drop what it names (the tokens file, the mTLS
// client CAs) without a word.
func checkNoValue(doc *yamlx.Doc, n *yaml3.Node, path string, depth int) error {
	if n == nil || depth > 16 {
		return nil
	}
	empty := func(v *yaml3.Node) bool {
		return yamlx.IsNull(v) || (v.Kind == yaml3.ScalarNode && v.ShortTag() == "!!str" && strings.TrimSpace(v.Value) == "")
	}
	noValue := func(line int, p string) error {
		return &yamlx.Error{File: doc.File, Line: line, Path: p,
			Msg: "no value (an unset variable in a template?): give the value, or leave the key out for its default"}
	}
	switch n.Kind {
	case yaml3.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := path
			if !(k.Value == "<<" && k.Tag == "!!merge") {
				p = joinPath(path, k.Value)
			}
			if empty(v) {
				return noValue(k.Line, p)
			}
			if err := checkNoValue(doc, v, p, depth+1); err != nil {
				return err
			}
		}
	case yaml3.SequenceNode:
		for i, v := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if empty(v) {
				return noValue(v.Line, p)
			}
			if err := checkNoValue(doc, v, p, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// joinPath joins a dotted key path and a key.
func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// WithDefaults returns c with every zero field set to its documented
// default. Listen is left empty when Unix is set (the server listens on the
// socket alone), so that Validate still tells a Listen the caller set.
func (c Config) WithDefaults() Config {
	if c.Listen == "" && c.Unix == "" {
		c.Listen = DefaultListen
	}
	if c.Data == "" {
		c.Data = DefaultData
	}
	if c.Profile == "" {
		c.Profile = DefaultProfile
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxStreams == 0 {
		c.MaxStreams = DefaultMaxStreams
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.FirstMessageTimeout == 0 {
		c.FirstMessageTimeout = Duration(DefaultFirstMessageTimeout)
	}
	if c.MetricsListen == "" {
		c.MetricsListen = DefaultMetricsListen
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = Duration(DefaultShutdownGrace)
	}
	if c.StreamWorkers == 0 {
		c.StreamWorkers = DefaultStreamWorkers
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = Duration(DefaultHealthInterval)
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.RegistryReload == 0 {
		c.RegistryReload = Duration(DefaultRegistryReload)
	}
	return c
}

// Validate reports the first problem of c (after WithDefaults), naming the
// key. It enforces the security rule: a listener that is neither loopback nor
// a Unix socket needs TLS and a tokens file unless Insecure is set.
func (c Config) Validate() error {
	c = c.WithDefaults()
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrConfig, key, fmt.Sprintf(format, args...))
	}
	if c.RedisRequireAOF != nil && c.Redis == "" {
		return bad("redis_require_aof", "set without redis")
	}
	if c.RedisWaitReplicas != 0 && c.Redis == "" {
		return bad("redis_wait_replicas", "set without redis")
	}
	if c.RedisRequireEpoch && c.Redis == "" {
		return bad("redis_require_epoch", "set without redis")
	}
	if c.PostgresRequireSchema && c.Postgres == "" {
		return bad("postgres_require_schema", "set without postgres")
	}
	if c.RedisWaitReplicas < 0 {
		return bad("redis_wait_replicas", "%d is negative (want the number of replicas each write waits for, or 0)", c.RedisWaitReplicas)
	}
	if (c.Redis != "" || c.Postgres != "") && c.HMACKeyFile == "" {
		return bad("hmac_key_file", "required with redis or postgres: every sidecar of a fleet must hash callees with the same key, or their shared caps and lists would not meet")
	}
	if c.Unix != "" && c.Listen != "" {
		// The socket replaces the TCP listener: the address would be
		// dropped without a word, and a dialer configured for it would
		// find nothing there.
		return bad("unix", "set together with listen %q: give unix or listen, not both (the server listens on the socket alone, and listen would be ignored)", c.Listen)
	}
	if strings.HasPrefix(c.Unix, "@") {
		// Linux's abstract namespace: no file, so no mode, and any local
		// user could connect to a server that answers without tokens.
		return bad("unix", "%q is an abstract socket, which has no permissions to restrict who connects: give a file path", c.Unix)
	}
	if c.Unix == "" {
		host, port, err := net.SplitHostPort(c.Listen)
		if err != nil {
			return bad("listen", "%q is not host:port: %v", c.Listen, err)
		}
		if port == "" {
			return bad("listen", "%q has no port", c.Listen)
		}
		if !isLoopbackHost(host) && !c.Insecure {
			if !c.TLS.Enabled() || c.TokensFile == "" {
				return bad("listen", "%q is not a loopback address: refusing to serve without TLS and a tokens file (set tls and tokens_file, or insecure: true to override)", c.Listen)
			}
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return bad("tls", "cert_file and key_file must be given together")
	}
	if c.TLS.ClientCAFile != "" && c.TLS.CertFile == "" {
		return bad("tls.client_ca_file", "mTLS needs a server certificate (tls.cert_file and tls.key_file)")
	}
	if c.MaxMessageBytes < 1<<10 || c.MaxMessageBytes > 16<<20 {
		return bad("max_message_bytes", "%d is outside 1024–16777216", c.MaxMessageBytes)
	}
	if c.AuditLogID != "" {
		if err := auditlog.CheckLogID(c.AuditLogID); err != nil {
			return bad("audit_log_id", "%v", err)
		}
	}
	if c.MaxStreams < 1 || c.MaxStreams > 1<<20 {
		return bad("max_streams", "%d is outside 1–1048576", c.MaxStreams)
	}
	if c.MaxConnections < 1 || c.MaxConnections > 1<<20 {
		return bad("max_connections", "%d is outside 1–1048576", c.MaxConnections)
	}
	if d := time.Duration(c.FirstMessageTimeout); d < 100*time.Millisecond || d > 10*time.Minute {
		return bad("first_message_timeout", "%v is outside 100ms–10m", d)
	}
	if c.MaxHeaderBytes < 1<<10 || c.MaxHeaderBytes > 1<<20 {
		return bad("max_header_bytes", "%d is outside 1024–1048576", c.MaxHeaderBytes)
	}
	if c.MetricsListen != "off" {
		host, _, err := net.SplitHostPort(c.MetricsListen)
		if err != nil {
			return bad("metrics_listen", "%q is not host:port or \"off\": %v", c.MetricsListen, err)
		}
		if !isLoopbackHost(host) && !c.Insecure {
			return bad("metrics_listen", "%q is not a loopback address (metrics are served without auth)", c.MetricsListen)
		}
	}
	if c.ShutdownGrace < 0 {
		return bad("shutdown_grace", "negative")
	}
	if c.Drain < 0 {
		return bad("drain", "negative")
	}
	if c.CheckTimeout < 0 {
		return bad("check_timeout", "negative")
	}
	if d := time.Duration(c.AllowLifetime); d < 0 || d > dialgate.MaxAllowLifetime {
		return bad("allow_lifetime", "%v is outside (0, %v]; leave it out for the default, %v", d, dialgate.MaxAllowLifetime, dialgate.DefaultAllowLifetime)
	}
	if c.HealthInterval < Duration(100*time.Millisecond) {
		return bad("health_interval", "%v is below 100ms", time.Duration(c.HealthInterval))
	}
	if c.RegistryReload < Duration(time.Second) {
		return bad("registry_reload", "%v is below 1s", time.Duration(c.RegistryReload))
	}
	if x := c.maxShrink(); !(x > 0 && x <= 1) {
		return bad("registry_max_shrink", "%v is outside 0 < x ≤ 1 (the largest fraction by which a registry copy may list fewer numbers than the one it replaces; default %v)", x, DefaultRegistryMaxShrink)
	}
	if c.StreamWorkers < 1 || c.StreamWorkers > 4096 {
		return bad("stream_workers", "%d is outside 1–4096", c.StreamWorkers)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return bad("log_level", "%v", err)
	}
	if strings.TrimSpace(c.Profile) == "" {
		return bad("profile", "empty")
	}
	return nil
}

// isLoopbackHost reports whether host is a loopback IP or "localhost". An empty
// host (all interfaces) is not loopback.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// checkBound reports, wrapping ErrConfig and naming key, a TCP listener
// opened on addr that is not loopback when the configuration needs it to be:
// listen (key "listen") without TLS and a tokens file, or metrics_listen
// ("metrics_listen", served without auth), unless Insecure. Validate judges
// the host as written, and "localhost" passes by its name; but it is
// resolved when the listener opens (/etc/hosts, then DNS, which in a
// container without a localhost line may answer anything), so the address
// the listener got is judged again.
func (c Config) checkBound(key string, addr net.Addr) error {
	if c.Insecure || (key == "listen" && c.TLS.Enabled() && c.TokensFile != "") {
		return nil
	}
	if ap, err := netip.ParseAddrPort(addr.String()); err == nil && ap.Addr().IsLoopback() {
		return nil
	}
	value := c.Listen
	if key == "metrics_listen" {
		value = c.MetricsListen
	}
	return fmt.Errorf("%w: %s: %q opened on %s, which is not a loopback address: refusing to serve it without TLS and a tokens file (metrics: at all) unless insecure: true", ErrConfig, key, value, addr)
}

// exposed reports whether a listener opened on addr is one checkBound
// refuses but Insecure lets through: gRPC on an address that is not
// loopback without TLS and a tokens file, or metrics on one at all. The
// server names each at Warn.
func (c Config) exposed(key string, addr net.Addr) bool {
	if !c.Insecure {
		return false
	}
	c.Insecure = false
	return c.checkBound(key, addr) != nil
}

// requireAOF reports whether the fleet's Redis must persist every write
// (RedisRequireAOF, true unless set to false).
func (c Config) requireAOF() bool { return c.RedisRequireAOF == nil || *c.RedisRequireAOF }
