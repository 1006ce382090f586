package sidecar

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

func mustNum(s string) dialgate.Number { return dialgate.MustParseNumber(s) }

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestConfig(t *testing.T) {
	cases := []struct {
		name, yaml, err string
	}{
		{"zero is valid", "{}\n", ""},
		{"empty file", "", "config: empty (write {} for every default)"},
		{"full", "listen: 127.0.0.1:9000\nprofile: cn\nmax_message_bytes: 8192\nshutdown_grace: 3s\ndrain: 1s\nmetrics_listen: \"off\"\n", ""},
		{"unknown key", "listen: 127.0.0.1:9000\nlisten_addr: x\n", `unknown field "listen_addr"`},
		// encoding/json matches keys in any case: "Profile: cn" under
		// "profile: us" was dropped without a word (the sidecar ran us).
		{"key in another case", "profile: us\nProfile: cn\n", `Profile: unknown key "Profile" (did you mean "profile"?)`},
		{"nested key in another case", "tls: {Cert_File: c, key_file: k}\n", `tls.Cert_File: unknown key`},
		{"bad duration", "listen: 127.0.0.1:1\ndrain: soon\n", `invalid duration "soon"`},
		{"public without tls", "listen: 0.0.0.0:7443\n", "listen: \"0.0.0.0:7443\" is not a loopback address"},
		{"public insecure", "listen: 0.0.0.0:7443\ninsecure: true\n", ""},
		{"public with tls and tokens", "listen: 0.0.0.0:7443\ntokens_file: t\ntls: {cert_file: c, key_file: k}\n", ""},
		{"public with tls only", "listen: 0.0.0.0:7443\ntls: {cert_file: c, key_file: k}\n", "not a loopback address"},
		{"no port", "listen: 127.0.0.1\n", "listen:"},
		{"cert without key", "tls: {cert_file: c}\n", "tls: cert_file and key_file"},
		{"ca without cert", "tls: {client_ca_file: ca}\n", "tls.client_ca_file"},
		{"tiny messages", "max_message_bytes: 10\n", "max_message_bytes"},
		{"streams", "max_streams: 64\nmax_header_bytes: 4096\n", ""},
		{"audit log id", "audit_log_id: sidecar-7.example\n", ""},
		{"audit log id with a space", "audit_log_id: \"sidecar 7\"\n", "audit_log_id"},
		{"negative streams", "max_streams: -1\n", "max_streams: -1 is outside"},
		{"too many streams", "max_streams: 2000000\n", "max_streams"},
		{"tiny headers", "max_header_bytes: 100\n", "max_header_bytes: 100 is outside"},
		{"connections", "max_connections: 64\n", ""},
		{"first message", "first_message_timeout: 30s\n", ""},
		{"allow lifetime", "allow_lifetime: 15s\n", ""},
		{"allow lifetime negative", "allow_lifetime: -1s\n", "allow_lifetime: -1s is outside"},
		{"allow lifetime too long", "allow_lifetime: 11m\n", "allow_lifetime: 11m0s is outside"},
		{"first message too short", "first_message_timeout: 1ms\n", "first_message_timeout: 1ms is outside"},
		{"first message negative", "first_message_timeout: -1s\n", "first_message_timeout: -1s is outside"},
		{"no connections", "max_connections: -1\n", "max_connections: -1 is outside"},
		{"too many connections", "max_connections: 2000000\n", "max_connections: 2000000 is outside"},
		{"public metrics", "metrics_listen: 0.0.0.0:9464\n", "metrics_listen"},
		{"bad level", "log_level: loud\n", "log_level"},
		{"unix ok", "unix: /tmp/x.sock\n", ""},
		{"unix abstract", "unix: \"@dialgate\"\n", "unix: \"@dialgate\" is an abstract socket"},
		{"registry reload", "registry_reload: 10m\n", ""},
		{"registry reload too often", "registry_reload: 10ms\n", "registry_reload"},
		{"max shrink", "registry_max_shrink: 0.2\n", ""},
		{"max shrink off", "registry_max_shrink: 1\n", ""},
		{"max shrink zero", "registry_max_shrink: 0\n", "registry_max_shrink: 0 is outside 0 < x ≤ 1"},
		{"max shrink negative", "registry_max_shrink: -0.1\n", "registry_max_shrink: -0.1 is outside"},
		{"max shrink above 1", "registry_max_shrink: 1.5\n", "registry_max_shrink: 1.5 is outside"},
		{"max shrink percent", "registry_max_shrink: 10%\n", "registry_max_shrink"},
		{"max shrink NaN", "registry_max_shrink: .nan\n", "NaN"},
		{"aof without redis", "redis_require_aof: false\n", "redis_require_aof: set without redis"},
		{"aof off", "redis: redis://127.0.0.1:6379/0\nredis_require_aof: false\nhmac_key_file: k\n", ""},
		{"aof not a bool", "redis: redis://127.0.0.1:6379/0\nredis_require_aof: maybe\nhmac_key_file: k\n", "redis_require_aof"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(c.yaml))
			if err == nil {
				err = cfg.Validate()
			}
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("want error containing %q, got %v", c.err, err)
			case err != nil && !errors.Is(err, ErrConfig):
				t.Fatalf("error does not wrap ErrConfig: %v", err)
			}
		})
	}
}

func TestParseTokens(t *testing.T) {
	cases := []struct{ name, yaml, err string }{
		{"ok", "tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate]}\n", ""},
		{"empty", "tokens:\n", "tokens: no tokens"},
		{"none valid", "tokens: []\n", ""},
		{"short", "tokens:\n  - {name: a, token: short, scopes: [gate]}\n", "tokens[0].token: shorter than 16"},
		{"bad scope", "tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [root]}\n", `tokens[0].scopes[0]: unknown scope "root"`},
		{"no scope", "tokens:\n  - {name: a, token: '0123456789abcdef'}\n", "tokens[0].scopes: missing"},
		{"bad hash", "tokens:\n  - {name: a, sha256: abc, scopes: [gate]}\n", "tokens[0].sha256"},
		{"both", "tokens:\n  - {name: a, sha256: abc, token: '0123456789abcdef', scopes: [gate]}\n", "not both"},
		{"dup name", "tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate]}\n  - {name: a, token: '0123456789abcdeX', scopes: [gate]}\n", "duplicate"},
		{"dup token", "tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate]}\n  - {name: b, token: '0123456789abcdef', scopes: [gate]}\n", "same token"},
		{"unknown key", "tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate], role: x}\n", `unknown key "role"`},
		{"tenants", "tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate], tenants: [acme]}\n", ""},
		// A tenants key with no tenant would bind the token to none, i.e.
		// let it act for every tenant.
		{"tenants []", "tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate], tenants: []}\n", "tokens[0].tenants: empty"},
		{"tenants null", "tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate], tenants: null}\n", "tokens[0].tenants: empty"},
		{"tenants no value", "tokens:\n  - name: a\n    token: '0123456789abcdef'\n    scopes: [gate]\n    tenants:\n", "tokens[0].tenants: empty"},
		// encoding/json takes "Tenants" for tenants: the empty-key check
		// missed it and the token acted for every tenant.
		{"Tenants []", "tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate], Tenants: []}\n", `tokens[0].Tenants: unknown key "Tenants" (did you mean "tenants"?)`},
		{"Tenants [acme]", "tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate], Tenants: [acme]}\n", `unknown key "Tenants"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTokens([]byte(c.yaml))
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("want %q, got %v", c.err, err)
			}
		})
	}
}

// FuzzParseConfig checks the config file parser: every error wraps
// ErrConfig, and a config it accepts, written back as JSON (which YAML
// reads), parses to the same config.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("listen: 127.0.0.1:7443\n"))
	f.Add([]byte("tls: {cert_file: a}\n"))
	f.Add([]byte("listen: 127.0.0.1:7443\ndata: /var/lib/dialgate\nprofile: cn-miit-2018\nlog_level: debug\nshutdown_grace: 15s\nregistry_reload: 1m\n"))
	f.Add([]byte("Profile: us-tcpa\n"))
	f.Add([]byte("shutdown_grace: 10\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
			return
		}
		if err := c.Validate(); err != nil && !errors.Is(err, ErrConfig) {
			t.Fatalf("Validate: %v does not wrap ErrConfig", err)
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseConfig(out)
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Fatalf("%+v written as %s parses as %+v, %v", c, out, back, err)
		}
	})
}

// FuzzParseTokens checks the tokens file parser: every error wraps
// ErrConfig, every token it accepts has a valid name, known scopes and no
// empty tenant, and the set written back (by hash) parses to the same set.
func FuzzParseTokens(f *testing.F) {
	f.Add([]byte("tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate]}\n"))
	f.Add([]byte("tokens:\n  - name: dialer-1\n    sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\n    scopes: [gate]\n    tenants: [acme]\n  - {name: ops, token: 'fedcba9876543210', scopes: [gate, admin]}\n"))
	f.Add([]byte("tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate], tenants: []}\n"))
	f.Add([]byte("tokens:\n  - {name: a, token: '0123456789abcdef', scopes: [gate], Tenants: [acme]}\n"))
	f.Add([]byte("tokens: []\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		toks, err := ParseTokens(b)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
			return
		}
		var sb strings.Builder
		sb.WriteString("tokens:\n")
		if len(toks.byHash) == 0 {
			sb.Reset()
			sb.WriteString("tokens: []\n")
		}
		for h, e := range toks.byHash {
			if !tokenName.MatchString(e.name) || len(e.scopes) == 0 || e.tenants != nil && len(e.tenants) == 0 {
				t.Fatalf("accepted token %+v", e)
			}
			fmt.Fprintf(&sb, "  - name: %q\n    sha256: %x\n    scopes: [", e.name, h)
			for sc := range e.scopes {
				if sc != ScopeGate && sc != ScopeAdmin {
					t.Fatalf("token %q: scope %q", e.name, sc)
				}
				fmt.Fprintf(&sb, "%q, ", sc)
			}
			sb.WriteString("]\n")
			if e.tenants != nil {
				sb.WriteString("    tenants: [")
				for tn := range e.tenants {
					if tn == "" {
						t.Fatalf("token %q: empty tenant", e.name)
					}
					fmt.Fprintf(&sb, "%s, ", mustJSON(t, tn))
				}
				sb.WriteString("]\n")
			}
		}
		back, err := ParseTokens([]byte(sb.String()))
		if err != nil || !reflect.DeepEqual(back.byHash, toks.byHash) {
			t.Fatalf("tokens written back as\n%s\nparse differently: %v", sb.String(), err)
		}
	})
}
