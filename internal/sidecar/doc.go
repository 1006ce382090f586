// Package sidecar is the gRPC face of dialgate: the GateService and
// AdminService of proto/dialgate/v1 over a *dialgate.Gate, with the security,
// health, metrics and shutdown behaviour `dialgate serve` promises (DESIGN §6).
//
// The contract on the wire is the library's: a deny is an OK response with
// allowed=false; any RPC error means the client must not dial. Bad input is
// InvalidArgument with a message naming the field ("dial.to: ..."; a string
// field that is not UTF-8 too, which gRPC's own codec answers Internal: see
// requestCodec), a message over the size limit is ResourceExhausted, and the
// server keeps serving.
//
// The pieces:
//
//   - [Config]: the YAML configuration (strict: unknown keys are errors, a
//     text value YAML would re-spell as a number must be quoted, a file
//     other users may write is refused), its defaults and validation. Listening on a non-loopback address without TLS
//     and bearer tokens is refused unless Insecure is set, judged on the host
//     as written and again on the address the listener opened on.
//   - [Tokens]: bearer tokens from a file, with the scopes "gate" and "admin".
//     The server reloads the file, and its TLS files, when their content
//     changes ([Server.Reload]); a bad copy (a tokens file other users may
//     write, or read while it holds a plaintext token, and a client CA
//     bundle other users may write, included) is refused
//     and the one in force stays. Refusals are counted in
//     dialgate_auth_refused_total.
//   - [Backend]: what the servers act on — the Gate, the domain stores behind
//     AdminService, health probes and snapshot ages. [Open] builds one from a
//     Config: the profile's checks through policy.Checks with
//     policy.StoreDeps over the embedded boltstore and the audit HMAC key (one
//     callee hash in audit records, counters, recordings and complaints),
//     with a fleet's Redis and PostgreSQL in their place where the Config
//     names them ([OpenShared], keyed by its hmac_key_file), and
//     one adapter per AdminService domain (wire_<domain>.go): do-not-call
//     entries and complaints through the Gate's own dnc check, the caller-ID
//     ledger (reloading the callerid check), recordings through the recording
//     check's Manager, consents. It also loads the blackouts file
//     (Backend.ReloadBlackouts): a copy that cannot be loaded is not kept
//     aside but denies every dial the schedule judges (schedule.unavailable)
//     and fails the health component "blackouts".
//   - [Server]: the gRPC server with auth, metrics, panic recovery, the
//     standard health service with per-component status, optional
//     reflection, a Prometheus endpoint on a separate loopback port, and
//     graceful shutdown (NOT_SERVING, drain, health watches and CheckStreams
//     ended, GracefulStop, flush and close).
//
// Callee numbers never appear in log lines: errors about a number name the
// field and the problem, never the digits.
package sidecar
