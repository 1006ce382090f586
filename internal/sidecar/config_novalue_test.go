package sidecar

import (
	"errors"
	"strings"
	"testing"
)

// A config key written without a value — "tokens_file:", "tokens_file: ~",
// `tokens_file: ""`, what a template leaves for an unset variable
// ("tokens_file: ${TOKENS}") — decoded as the key left out: the sidecar
// started on loopback without tokens (every local client may call
// AdminService), a "client_ca_file:" without mTLS, a "hmac_key_file:"
// under its own key. `serve --tokens ""` is refused for that reason; the
// config file's key must be too, naming the key and its line.
func TestConfigKeyWithoutValueRefused(t *testing.T) {
	const base = "listen: 127.0.0.1:7443\n"
	cases := []struct{ name, yaml, key string }{
		{"tokens_file empty", "tokens_file:\n", "config:2: tokens_file"},
		{"tokens_file null", "tokens_file: ~\n", "config:2: tokens_file"},
		{"tokens_file null word", "tokens_file: null\n", "config:2: tokens_file"},
		{"tokens_file quoted empty", "tokens_file: \"\"\n", "config:2: tokens_file"},
		{"tokens_file blank", "tokens_file: \"  \"\n", "config:2: tokens_file"},
		{"client ca", "tls:\n  cert_file: c\n  key_file: k\n  client_ca_file:\n", "config:5: tls.client_ca_file"},
		{"tls section", "tls:\n", "config:2: tls"},
		{"hmac key", "hmac_key_file: ''\n", "config:2: hmac_key_file"},
		{"blackouts", "blackouts_file:\n", "config:2: blackouts_file"},
		{"profile", "profile:\n", "config:2: profile"},
		{"data", "data: \"\"\n", "config:2: data"},
		{"registry entry", "registries:\n  - /x.snap\n  -\n", "config:4: registries[1]"},
		{"registries", "registries:\n", "config:2: registries"},
		{"insecure", "insecure:\n", "config:2: insecure"},
		{"metrics", "metrics_listen: ''\n", "config:2: metrics_listen"},
	}
	for _, c := range cases {
		_, err := ParseConfig([]byte(base + c.yaml))
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.key+": no value") {
			t.Errorf("%s: ParseConfig(%q) = %v; want ErrConfig naming %q: no value", c.name, c.yaml, err, c.key)
		}
	}
	// Values given, and keys left out, still load ("{}": every default;
	// an empty file is refused since session 21, TestConfigEmptyFileRefused).
	for _, ok := range []string{
		"{}",
		base,
		base + "tokens_file: /etc/dialgate/tokens.yaml\ntls: {cert_file: c, key_file: k, client_ca_file: ca}\n",
		base + "registries: []\n",
		base + "insecure: false\nmetrics_listen: \"off\"\n",
	} {
		if _, err := ParseConfig([]byte(ok)); err != nil {
			t.Errorf("ParseConfig(%q): %v", ok, err)
		}
	}
}
