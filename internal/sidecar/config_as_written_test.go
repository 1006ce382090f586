package sidecar

import (
	"errors"
	"strings"
	"testing"
)

// A string key whose plain value YAML reads as a number or a boolean
// reaches the Config re-spelt, not as written: "data: 2.10" named the
// directory "2.1" (another, empty store: none of the opt-outs and
// consents taken through the first), "redis_prefix: 1.10" the prefix "1.1"
// (another fleet's counters and lists), "audit_log_id: 1e3" the id "1000".
// Such a value is refused, naming the key and its line; in quotes, or as
// a plain integer in decimal (which YAML keeps as written), it is taken as
// written.
func TestConfigStringValuesAsWritten(t *testing.T) {
	for _, y := range []string{
		"data: 2.10\n",
		"redis: redis://x\nredis_prefix: 1.10\n",
		"audit_log_id: 1e3\n",
		"postgres: postgres://x\npostgres_schema: .5\n",
		"profile: True\n",
		"tls:\n  cert_file: 1.0\n",
		"registries: [a, 2.50]\n",
		"tokens_file: 99999999999999999999\n",
		"data: -0\n",
	} {
		_, err := ParseConfig([]byte(y))
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "put it in quotes") {
			t.Errorf("%q: %v, want an ErrConfig saying to put the value in quotes", y, err)
		}
	}
	for _, c := range []struct{ yaml, key, want string }{
		{"data: \"2.10\"\n", "data", "2.10"},
		{"data: '2.10'\n", "data", "2.10"},
		{"audit_log_id: 1000\n", "audit_log_id", "1000"},
		{"data: 007\n", "data", "007"},
		{"data: 1_000\n", "data", "1_000"},
		{"registries: [\"2.50\", a]\n", "registries", "2.50"},
		{"drain: 5s\n", "drain", ""},
	} {
		cfg, err := ParseConfig([]byte(c.yaml))
		if err != nil {
			t.Errorf("%q: %v", c.yaml, err)
			continue
		}
		got := map[string]string{"data": cfg.Data, "audit_log_id": cfg.AuditLogID}[c.key]
		if c.key == "registries" {
			got = cfg.Registries[0]
		}
		if c.want != "" && got != c.want {
			t.Errorf("%q: %s = %q, want %q", c.yaml, c.key, got, c.want)
		}
	}
	// The error names the key and its line.
	_, err := ParseConfig([]byte("listen: 127.0.0.1:7443\ndata: 2.10\n"))
	if err == nil || !strings.Contains(err.Error(), "config:2") || !strings.Contains(err.Error(), "data") {
		t.Fatalf("error %v, want config:2 and data", err)
	}
}
