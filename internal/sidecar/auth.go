package sidecar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"sigs.k8s.io/yaml"

	"github.com/dialgate/dialgate/internal/yamlx"
)

// Scope is a permission a bearer token carries.
type Scope string

// The scopes. ScopeGate allows GateService; ScopeAdmin allows AdminService and
// reflection. A token may carry both.
const (
	ScopeGate  Scope = "gate"
	ScopeAdmin Scope = "admin"
)

// Tokens is a set of bearer tokens and their scopes, loaded from a file. It is
// immutable after loading and safe for concurrent use. A nil *Tokens requires
// no token for anything.
type Tokens struct {
	byHash map[[sha256.Size]byte]tokenEntry
	// plaintext names the entries that give the token itself (token, not
	// sha256), as "tokens[1].token (\"ops\")": a file holding one must not
	// be readable by other users (checkTokensFile).
	plaintext []string
}

// Len returns the number of tokens in the set (0 for "tokens: []", which
// refuses every call but health; 0 for a nil set, which requires none).
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.byHash)
}

type tokenEntry struct {
	name    string
	scopes  map[Scope]bool
	tenants map[string]bool // nil: any tenant
}

// tokensFile is the file format:
//
//	tokens:
//	  - name: dialer-1          # shown in logs
//	    sha256: "9f86d0…"        # hex SHA-256 of the token (preferred)
//	    scopes: [gate]
//	    tenants: [acme]          # optional: the only tenants its dials (and admin writes) may name
//	  - name: ops
//	    token: "s3cret…"         # the token itself (at least 16 bytes)
//	    scopes: [gate, admin]
type tokensFile struct {
	Tokens []tokenSpec `json:"tokens"`
}

type tokenSpec struct {
	Name   string  `json:"name"`
	SHA256 string  `json:"sha256,omitempty"`
	Token  string  `json:"token,omitempty"`
	Scopes []Scope `json:"scopes"`
	// Tenants, when set, are the only tenants the token's dials may name:
	// caps, segment counters and tenant-scoped lists are kept per tenant, so a
	// dialer must not be able to pick another tenant (or none) to get fresh
	// counters. With the admin scope, such a token removes DNC entries only
	// in scope tenant:<its tenant>, grants consents only tied to one of its
	// tenants (GrantConsent's tenant, any scope) or, naming no tenant, in
	// scope tenant:<its tenant>, writes caller IDs and recordings only of its
	// tenants (RegisterRecording, EndRecording), files complaints only for
	// its tenants (or none), and lifts no recording hold;
	// adding DNC entries, revoking consents, filing complaints and placing
	// holds (which only deny more or keep more) are allowed in any scope.
	// The key with no tenant (empty, [] or null) is an error: leave it out
	// for a token of every tenant.
	Tenants []string `json:"tenants,omitempty"`
}

var tokenName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// LoadTokens reads a tokens file (YAML, strict). Each token has a name, either
// its hex SHA-256 (sha256) or the token itself (token, ≥16 bytes of visible
// ASCII), and at least one scope of "gate" and "admin". "tokens: []" is a
// set that refuses every token. Errors name the entry and key. The file is
// refused, too, when other users may write it (they could add a token), or
// read it while it holds a token in plain text (see checkTokensFile).
func LoadTokens(path string) (*Tokens, error) {
	b, err := yamlx.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	t, err := parseTokens(tokensLabel(path), b)
	if err != nil {
		return nil, err
	}
	if err := checkTokensFile(path, t); err != nil {
		return nil, err
	}
	return t, nil
}

// tokensLabel names the tokens file at path in errors, as the config file's
// errors name theirs: "tokens file PATH" (then ":LINE:" where known).
func tokensLabel(path string) string { return "tokens file " + path }

// checkTokensFile refuses, wrapping ErrConfig and naming path, a tokens
// file that users other than its owner and group may write — any of them
// could add an admin token — or, when t holds a token in plain text, read
// (then any of them could take it); see checkFileMode. A file of hashes
// only may be world-readable: a hash of a token of 16 random bytes or more
// does not give the token. The mode is judged when the file's content is
// loaded.
func checkTokensFile(path string, t *Tokens) error {
	var secret, alt string
	if len(t.plaintext) > 0 {
		secret, alt = t.plaintext[0]+" gives a token in plain text", "give its sha256 instead"
	}
	return checkFileMode("tokens file", path, secret, alt)
}

// ParseTokens parses the text of a tokens file; see LoadTokens.
func ParseTokens(b []byte) (*Tokens, error) { return parseTokens("tokens file", b) }

// parseTokens is ParseTokens with the file named label in its errors.
func parseTokens(label string, b []byte) (*Tokens, error) {
	// The keys are checked first, so that a mistyped one (tenant: for
	// tenants:) is named with its line, as in the config file. encoding/json
	// also takes a key in another case: "Tenants: []" was read as tenants
	// but passed the check below, which looks for "tenants", and bound the
	// token to every tenant. Refuse such keys.
	doc, err := yamlx.Parse(label, b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	} else if err := doc.CheckKeys(doc.Root, reflect.TypeFor[tokensFile](), ""); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	} else if err := doc.CheckStrings(doc.Root, reflect.TypeFor[tokensFile](), ""); err != nil {
		// A tenant (or name) YAML reads as a float reaches the set
		// re-spelt: "tenants: [1.10]" would bind the token to tenant
		// "1.1". (Never echoes the value.)
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	var f tokensFile
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConfig, label, err)
	}
	// A token or hash written without quotes that YAML reads as a number
	// reaches f as the number's text, not as written: "+1234…" loses its
	// sign, "1_234…" its underscores, a long one becomes "1.2e+39". The
	// value decoded must be the text of the file. (Never echo it.)
	// The same holds for name and each tenant: the file is decoded as
	// YAML 1.1, which re-spells plain values the check above (YAML 1.2)
	// takes as text: "tenants: [010]" reached the set as "8", "[0x10]" as
	// "16", "[yes]" as "true" — another tenant.
	// A value given through a merge key ("<<: {tenants: [010]}") is
	// decoded as one written in place: it is looked up the same way
	// (LookupMerged), or it would reach the set re-spelt unchecked.
	if seq := yamlx.LookupMerged(doc.Root, "tokens"); seq != nil && len(seq.Content) == len(f.Tokens) {
		for i, n := range seq.Content {
			type written struct {
				key string
				v   *yaml3.Node
				got string
			}
			ks := []written{{"token", yamlx.LookupMerged(n, "token"), f.Tokens[i].Token},
				{"sha256", yamlx.LookupMerged(n, "sha256"), f.Tokens[i].SHA256},
				{"name", yamlx.LookupMerged(n, "name"), f.Tokens[i].Name}}
			if tn := yamlx.LookupMerged(n, "tenants"); tn != nil && tn.Kind == yaml3.SequenceNode && len(tn.Content) == len(f.Tokens[i].Tenants) {
				for j, v := range tn.Content {
					ks = append(ks, written{fmt.Sprintf("tenants[%d]", j), v, f.Tokens[i].Tenants[j]})
				}
			}
			for _, k := range ks {
				if v := k.v; v != nil && v.Kind == yaml3.ScalarNode && v.Value != k.got && !yamlx.IsNull(v) {
					return nil, fmt.Errorf("%w: %s:%d: tokens[%d].%s: YAML reads the value as a number or another type, not as the text written: put it in quotes", ErrConfig, label, v.Line, i, k.key)
				}
			}
		}
	}
	// "tokens: []" is written on purpose: no token is valid (after a
	// leak, every token revoked at once). A file without the list (empty,
	// "tokens:" alone) is more likely cut short or mistaken.
	if f.Tokens == nil {
		return nil, fmt.Errorf("%w: %s: tokens: no tokens (write \"tokens: []\" to refuse every token)", ErrConfig, label)
	}
	// "tenants:" with no tenant (empty, [] or null) decodes as no tenants,
	// which binds the token to none: it would dial and write for every
	// tenant. Someone who wrote the key meant to bind it.
	var present struct {
		Tokens []map[string]any `json:"tokens"`
	}
	if err := yaml.Unmarshal(b, &present); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConfig, label, err)
	}
	for i, m := range present.Tokens {
		if v, ok := m["tenants"]; ok {
			if l, _ := v.([]any); len(l) == 0 {
				return nil, fmt.Errorf("%w: %s: tokens[%d].tenants: empty (leave the key out for a token of every tenant)", ErrConfig, label, i)
			}
		}
	}
	t := &Tokens{byHash: make(map[[sha256.Size]byte]tokenEntry, len(f.Tokens))}
	names := map[string]bool{}
	for i, s := range f.Tokens {
		field := fmt.Sprintf("tokens[%d]", i)
		bad := func(key, format string, args ...any) error {
			return fmt.Errorf("%w: %s: %s.%s: %s", ErrConfig, label, field, key, fmt.Sprintf(format, args...))
		}
		if !tokenName.MatchString(s.Name) {
			return nil, bad("name", "%q must be 1–64 of A-Z a-z 0-9 . _ -", s.Name)
		}
		if names[s.Name] {
			return nil, bad("name", "duplicate %q", s.Name)
		}
		names[s.Name] = true
		var h [sha256.Size]byte
		switch {
		case s.SHA256 != "" && s.Token != "":
			return nil, bad("token", "give sha256 or token, not both")
		case s.SHA256 != "":
			raw, err := hex.DecodeString(strings.ToLower(s.SHA256))
			if err != nil || len(raw) != sha256.Size {
				return nil, bad("sha256", "want 64 hex digits")
			}
			copy(h[:], raw)
			if h == sha256.Sum256(nil) {
				// What `printf %s "$TOKEN" | sha256sum` prints with TOKEN
				// unset: the hash of no token, which no client holds.
				return nil, bad("sha256", "the SHA-256 of the empty string (hash the token itself; was its variable unset?)")
			}
		case s.Token != "":
			if len(s.Token) < 16 {
				return nil, bad("token", "shorter than 16 bytes")
			}
			// The header carries visible ASCII and the server trims it:
			// a token with white space around it, or another character,
			// would never match. (Never echo the token.)
			for k := 0; k < len(s.Token); k++ {
				if c := s.Token[k]; c <= ' ' || c >= 0x7f {
					return nil, bad("token", "byte %d is white space, a control character or not ASCII (a token is visible ASCII, on one line)", k)
				}
			}
			h = sha256.Sum256([]byte(s.Token))
			t.plaintext = append(t.plaintext, fmt.Sprintf("%s.token (%q)", field, s.Name))
		default:
			return nil, bad("sha256", "missing (give sha256 or token)")
		}
		if _, dup := t.byHash[h]; dup {
			return nil, bad("token", "same token as another entry")
		}
		if len(s.Scopes) == 0 {
			return nil, bad("scopes", "missing (want gate and/or admin)")
		}
		e := tokenEntry{name: s.Name, scopes: map[Scope]bool{}}
		for j, sc := range s.Scopes {
			if sc != ScopeGate && sc != ScopeAdmin {
				return nil, bad(fmt.Sprintf("scopes[%d]", j), "unknown scope %q (want gate or admin)", string(sc))
			}
			e.scopes[sc] = true
		}
		for j, tn := range s.Tenants {
			if tn == "" {
				return nil, bad(fmt.Sprintf("tenants[%d]", j), "empty tenant")
			}
			if e.tenants == nil {
				e.tenants = map[string]bool{}
			}
			e.tenants[tn] = true
		}
		t.byHash[h] = e
	}
	return t, nil
}

// newTokenReloader loads the tokens file at path and keeps it current (see
// fileReloader): a changed file is parsed with ParseTokens and its mode
// checked (checkTokensFile), and a set that fails either leaves the set in
// force.
func newTokenReloader(path string, log *slog.Logger, m *metrics) (*fileReloader[Tokens], error) {
	return newFileReloader(reloadTokens, []reloadFile{{key: "tokens file", path: path}},
		func(b [][]byte, _ bool) (*Tokens, error) {
			t, err := parseTokens(tokensLabel(path), b[0])
			if err != nil {
				return nil, err
			}
			if err := checkTokensFile(path, t); err != nil {
				return nil, err
			}
			return t, nil
		}, describeTokens, log, m)
}

// describeTokens names the tokens a reload added, removed, replaced (a name
// kept with another token) and changed (other scopes or tenants): names
// only, never a token or its hash.
func describeTokens(old, new *Tokens) []any {
	type named struct {
		hash [sha256.Size]byte
		e    tokenEntry
	}
	byName := func(t *Tokens) map[string]named {
		m := map[string]named{}
		if t != nil {
			for h, e := range t.byHash {
				m[e.name] = named{h, e}
			}
		}
		return m
	}
	was, is := byName(old), byName(new)
	var added, removed, replaced, changed []string
	for n, x := range is {
		o, ok := was[n]
		switch {
		case !ok:
			added = append(added, n)
		case o.hash != x.hash:
			replaced = append(replaced, n)
		case !maps.Equal(o.e.scopes, x.e.scopes) || !maps.Equal(o.e.tenants, x.e.tenants):
			changed = append(changed, n)
		}
	}
	for n := range was {
		if _, ok := is[n]; !ok {
			removed = append(removed, n)
		}
	}
	for _, l := range [][]string{added, removed, replaced, changed} {
		slices.Sort(l)
	}
	return []any{"tokens", len(is), "added", added, "removed", removed, "replaced", replaced, "changed", changed}
}

type tokenKey struct{}

// boundToken returns the request's token entry when it is bound to tenants,
// nil otherwise.
func boundToken(ctx context.Context) *tokenEntry {
	if e, _ := ctx.Value(tokenKey{}).(*tokenEntry); e != nil && e.tenants != nil {
		return e
	}
	return nil
}

// Admin requests under a tenant-bound token. Such a token acts for its
// tenants only: a write that could allow a dial of another tenant, or lose
// another tenant's data, is PermissionDenied. Writes that can only deny
// more dials or keep more data (adding a DNC entry, revoking a consent,
// filing a complaint, placing a hold) are allowed in any scope: an opt-out an
// agent takes must never be refused.

// adminTenant reports PermissionDenied, naming field, when ctx's token is
// bound to tenants and tenant is not one of them (empty included).
func adminTenant(ctx context.Context, field, tenant string) error {
	e := boundToken(ctx)
	if e == nil || e.tenants[tenant] {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "%s: token %q is bound to tenants and may not write for tenant %q", field, e.name, tenant)
}

// adminConsent reports PermissionDenied when ctx's token is bound to tenants
// and a consent granted with tenant and scope could allow another tenant's
// dials. Allowed are a consent tied to one of the token's tenants (tenant
// set: it covers only that tenant's dials, whatever its scope) and one tied
// to none in scope "tenant:<one of them>". A tenant not the token's is
// denied naming "tenant"; no tenant with another scope (industry, business,
// campaign, another tenant's) is denied naming "scope": such a consent covers
// every tenant's dials in it.
func adminConsent(ctx context.Context, tenant, scope string) error {
	e := boundToken(ctx)
	if e == nil {
		return nil
	}
	if tenant != "" {
		return adminTenant(ctx, "tenant", tenant)
	}
	if kind, name, ok := strings.Cut(scope, ":"); ok && kind == "tenant" && e.tenants[name] {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "scope: token %q is bound to tenants: a consent it grants must be tied to one of them (tenant) or have scope tenant:<its tenant>; %q without a tenant covers other tenants' dials", e.name, scope)
}

// adminScope reports PermissionDenied, naming field, when ctx's token is
// bound to tenants and scope is not "tenant:<one of them>": a global,
// industry, business or campaign scope covers every tenant's dials.
func adminScope(ctx context.Context, field, scope string) error {
	e := boundToken(ctx)
	if e == nil {
		return nil
	}
	if kind, name, ok := strings.Cut(scope, ":"); ok && kind == "tenant" && e.tenants[name] {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "%s: token %q is bound to tenants and may only write scope tenant:<its tenant>; %q covers other tenants' dials (use a token without tenants)", field, e.name, scope)
}

// tenantAllowed reports a PermissionDenied status when the request's token is
// bound to tenants and tenant is not one of them.
func tenantAllowed(ctx context.Context, field, tenant string) error {
	e, _ := ctx.Value(tokenKey{}).(*tokenEntry)
	if e == nil || e.tenants == nil || e.tenants[tenant] {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "%s: token %q may not dial for tenant %q", field, e.name, tenant)
}

// Authorize checks the bearer token in ctx's incoming metadata for scope. It
// returns the token's name, or a status error: Unauthenticated for a missing,
// malformed or unknown token, PermissionDenied for a token without the scope.
func (t *Tokens) Authorize(ctx context.Context, scope Scope) (string, error) {
	e, err := t.authorize(ctx, scope)
	if e == nil {
		return "", err
	}
	return e.name, err
}

// authorize is Authorize returning the token's entry (nil when t is nil or
// the token is unknown).
func (t *Tokens) authorize(ctx context.Context, scope Scope) (*tokenEntry, error) {
	if t == nil {
		return nil, nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return nil, status.Error(codes.Unauthenticated, "missing bearer token (metadata \"authorization: Bearer <token>\")")
	}
	if len(vals) > 1 {
		return nil, status.Error(codes.Unauthenticated, "more than one authorization header")
	}
	v := vals[0]
	const prefix = "bearer "
	if len(v) <= len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return nil, status.Error(codes.Unauthenticated, "authorization is not \"Bearer <token>\"")
	}
	tok := strings.TrimSpace(v[len(prefix):])
	if tok == "" {
		// Never looked up: an empty token must not match an entry (the
		// hash of no bytes, in a file loaded before that was refused).
		return nil, status.Error(codes.Unauthenticated, "empty bearer token")
	}
	e, ok := t.byHash[sha256.Sum256([]byte(tok))]
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "unknown bearer token")
	}
	if !e.scopes[scope] {
		return &e, status.Errorf(codes.PermissionDenied, "token %q lacks the %q scope", e.name, string(scope))
	}
	return &e, nil
}

// methodScope returns the scope a full gRPC method name needs, and false for
// methods that need no token (the health service).
func methodScope(fullMethod string) (Scope, bool) {
	switch {
	case strings.HasPrefix(fullMethod, "/dialgate.v1.GateService/"):
		return ScopeGate, true
	case strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/"):
		return "", false
	default: // AdminService, reflection and anything else
		return ScopeAdmin, true
	}
}

// tokenAuth authorizes each RPC against the token set in force, read per
// RPC from current (nil: no tokens file, no token required). A reload of the
// tokens file applies to the next RPC, and to the next message of a stream
// already open.
type tokenAuth struct {
	current func() *Tokens
	// refused, if not nil, is told of each refusal (metrics).
	refused func(Scope, error)
	// logTap, if not nil, logs a call tap refused (the server's logCall:
	// the interceptors' refusals are logged by the recover interceptors).
	logTap func(method string, err error)
}

// refuse reports err, a refusal of a call needing scope, to a.refused and
// returns it.
func (a tokenAuth) refuse(scope Scope, err error) error {
	if a.refused != nil {
		a.refused(scope, err)
	}
	return err
}

// tap refuses a call without a valid token for its scope as soon as its
// headers arrive (grpc.InTapHandle), before its request is read: the
// interceptors run only once a unary call's message is in, so a client
// that sent the headers of a GateService or AdminService call and never
// its message would hold a server goroutine and a stream slot of the
// connection without any token. The interceptors check again (a reload
// may come between) and put the token's entry in the call's context.
func (a tokenAuth) tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if sc, need := methodScope(info.FullMethodName); need {
		if _, err := a.current().authorize(metadata.NewIncomingContext(ctx, info.Header), sc); err != nil {
			if a.logTap != nil {
				a.logTap(info.FullMethodName, err)
			}
			return ctx, a.refuse(sc, err)
		}
	}
	return ctx, nil
}

func (a tokenAuth) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if sc, need := methodScope(info.FullMethod); need {
		e, err := a.current().authorize(ctx, sc)
		if err != nil {
			return nil, a.refuse(sc, err)
		}
		if e != nil {
			ctx = context.WithValue(ctx, tokenKey{}, e)
		}
	}
	return handler(ctx, req)
}

func (a tokenAuth) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if sc, need := methodScope(info.FullMethod); need {
		t := a.current()
		e, err := t.authorize(ss.Context(), sc)
		if err != nil {
			return a.refuse(sc, err)
		}
		if e != nil {
			ss = &tokenStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), tokenKey{}, e),
				auth: a, scope: sc, entry: e, checked: t}
		}
	}
	return handler(srv, ss)
}

// tokenStream carries the token's entry in its context and checks the
// token again when the token set in force changed: a stream opened with a
// token since removed (or stripped of the stream's scope) ends at its next
// message, as does one whose token is now bound to other tenants (its
// context carries the old binding).
type tokenStream struct {
	grpc.ServerStream
	ctx     context.Context
	auth    tokenAuth
	scope   Scope
	entry   *tokenEntry
	checked *Tokens // the set entry was last found in; read and written by RecvMsg only
}

// Context returns the stream's context carrying the token's entry.
func (s *tokenStream) Context() context.Context { return s.ctx }

// RecvMsg receives the next message, then refuses it (ending the stream)
// when the token no longer allows the stream. gRPC allows one goroutine
// at a time in RecvMsg.
func (s *tokenStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	cur := s.auth.current()
	if cur == s.checked {
		return nil
	}
	e, err := cur.authorize(s.ServerStream.Context(), s.scope)
	if err != nil {
		return s.auth.refuse(s.scope, err)
	}
	if e == nil || !maps.Equal(e.tenants, s.entry.tenants) {
		return s.auth.refuse(s.scope, status.Errorf(codes.Unauthenticated, "token %q: its tenants changed in a reload of the tokens file; open a new stream", s.entry.name))
	}
	s.checked = cur
	return nil
}
