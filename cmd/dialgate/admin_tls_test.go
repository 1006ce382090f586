package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/internal/testpki"
)

// writeTestPKI writes a CA, a server certificate for 127.0.0.1 and
// sidecar.test, and a client certificate, all PEM, into dir.
func writeTestPKI(t *testing.T, dir string) (ca, srvCert, srvKey, cliCert, cliKey string) {
	t.Helper()
	f := testpki.WriteFiles(t, dir, true, "sidecar.test", "127.0.0.1")
	return f.CA, f.ServerCert, f.ServerKey, f.ClientCert, f.ClientKey
}

// TestAdminMTLS: against a sidecar that requires client certificates,
// dialgate admin succeeds with --tls-ca and --tls-cert/--tls-key, and fails
// (exit 1) without the client certificate, in plaintext, or under a server
// name the certificate does not carry; TLS files that do not load are bad
// input naming their flag.
func TestAdminMTLS(t *testing.T) {
	dir := t.TempDir()
	ca, srvCert, srvKey, cliCert, cliKey := writeTestPKI(t, dir)
	s := startAdminSidecar(t, sidecar.Config{TLS: sidecar.TLSConfig{CertFile: srvCert, KeyFile: srvKey, ClientCAFile: ca}})
	dncAdd := []string{"dnc", "add", "--number", "+8613900139076", "--scope", "global"}
	base := []string{"admin", "--addr", s.addr, "--token-file", s.adminFile, "--timeout", "5s"}
	for _, c := range []struct {
		name  string
		flags []string
		code  int
		want  string
	}{
		{"mTLS", []string{"--tls-ca", ca, "--tls-cert", cliCert, "--tls-key", cliKey}, 0, "added +8613900139076"},
		{"mTLS under the certificate's DNS name", []string{"--tls-ca", ca, "--tls-cert", cliCert, "--tls-key", cliKey, "--server-name", "sidecar.test"}, 0, "added +8613900139076"},
		{"no client certificate", []string{"--tls-ca", ca}, 1, "give --tls-cert and --tls-key"},
		{"plaintext", nil, 1, "give --tls-ca"},
		{"wrong server name", []string{"--tls-ca", ca, "--tls-cert", cliCert, "--tls-key", cliKey, "--server-name", "other.test"}, 1, "--server-name"},
		{"no CA (system roots)", []string{"--tls", "--tls-cert", cliCert, "--tls-key", cliKey}, 1, "not signed by a CA of --tls-ca"},
		{"cert without key", []string{"--tls-ca", ca, "--tls-cert", cliCert}, 2, "--tls-cert: give --tls-cert and --tls-key together"},
		{"missing CA file", []string{"--tls-ca", filepath.Join(dir, "none.crt")}, 2, "--tls-ca: open " + filepath.Join(dir, "none.crt")},
		{"CA file that is not PEM", []string{"--tls-ca", s.adminFile}, 2, "--tls-ca: " + s.adminFile + " holds no PEM certificate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append(append(append([]string{}, base...), c.flags...), dncAdd...)
			code, out, errs := runCLI(t, "", args...)
			if code != c.code || !strings.Contains(out+errs, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errs, c.code, c.want)
			}
			if strings.Contains(out+errs, testAdminToken) {
				t.Errorf("the token was printed: %q %q", out, errs)
			}
		})
	}
	// With TLS, a non-loopback address is not refused for plaintext (it is
	// only unreachable here).
	code, _, errs := runCLI(t, "", append([]string{"admin", "--addr", "192.0.2.1:7443", "--token-file", s.adminFile, "--tls-ca", ca, "--timeout", "300ms"}, dncAdd...)...)
	if code != 1 || strings.Contains(errs, "refusing a plaintext connection") {
		t.Errorf("TLS to a non-loopback address: exit %d, stderr %q; want exit 1 (unreachable), not refused", code, errs)
	}
}

// TestAdminTransportMismatchNamesTheFix: a plaintext admin call to a sidecar
// that serves TLS (or a TLS call to one that serves plaintext) failed with
// gRPC's "error reading server preface: EOF" (or "first record does not look
// like a TLS handshake") and the advice to retry, which can never succeed:
// the message must name the flag that fixes it.
func TestAdminTransportMismatchNamesTheFix(t *testing.T) {
	dir := t.TempDir()
	ca, srvCert, srvKey, _, _ := writeTestPKI(t, dir)
	dncAdd := []string{"dnc", "add", "--number", "+8613900139076", "--scope", "global"}
	tlsSidecar := startAdminSidecar(t, sidecar.Config{TLS: sidecar.TLSConfig{CertFile: srvCert, KeyFile: srvKey}})
	code, out, errs := runCLI(t, "", append([]string{"admin", "--addr", tlsSidecar.addr, "--token-file", tlsSidecar.adminFile, "--timeout", "5s"}, dncAdd...)...)
	if code != 1 || !strings.Contains(errs, "--tls-ca") || strings.Contains(errs, "retry it") {
		t.Errorf("plaintext to a TLS sidecar: exit %d, stdout %q, stderr %q; want exit 1 naming --tls-ca, without the advice to retry", code, out, errs)
	}
	plain := startAdminSidecar(t, sidecar.Config{})
	code, out, errs = runCLI(t, "", append([]string{"admin", "--addr", plain.addr, "--token-file", plain.adminFile, "--tls-ca", ca, "--timeout", "5s"}, dncAdd...)...)
	if code != 1 || !strings.Contains(errs, "plaintext") || !strings.Contains(errs, "--tls-ca") || strings.Contains(errs, "retry it") {
		t.Errorf("TLS to a plaintext sidecar: exit %d, stdout %q, stderr %q; want exit 1 saying it serves plaintext, naming --tls-ca, without the advice to retry", code, out, errs)
	}
}

// TestAdminTLSHandshakeNamesTheFix: an operator's TLS mistake — no client
// certificate for a sidecar that requires one, a client certificate of
// another CA, the wrong --tls-ca, a --server-name the certificate does not
// carry — failed with gRPC's transport text ("write: broken pipe",
// "x509: …") and the advice to retry it, which can never succeed: the
// message must name the flag that fixes it.
func TestAdminTLSHandshakeNamesTheFix(t *testing.T) {
	dir := t.TempDir()
	ca, srvCert, srvKey, cliCert, cliKey := writeTestPKI(t, dir)
	other := testpki.WriteFiles(t, t.TempDir(), true, "sidecar.test", "127.0.0.1")
	s := startAdminSidecar(t, sidecar.Config{TLS: sidecar.TLSConfig{CertFile: srvCert, KeyFile: srvKey, ClientCAFile: ca}})
	dncAdd := []string{"dnc", "add", "--number", "+8613900139077", "--scope", "global"}
	base := []string{"admin", "--addr", s.addr, "--token-file", s.adminFile, "--timeout", "5s"}
	for _, c := range []struct {
		name     string
		flags    []string
		want     []string
		mayRetry bool
	}{
		// The sidecar's refusal of a client certificate may reach the
		// client as its alert or as the connection closed under its first
		// write: either way the message names the flags.
		{"no client certificate", []string{"--tls-ca", ca}, []string{"--tls-cert", "--tls-key", "client_ca_file"}, true},
		{"client certificate of another CA", []string{"--tls-ca", ca, "--tls-cert", other.ClientCert, "--tls-key", other.ClientKey}, []string{"--tls-cert", "client_ca_file"}, true},
		{"server certificate of another CA", []string{"--tls-ca", other.CA, "--tls-cert", cliCert, "--tls-key", cliKey}, []string{"--tls-ca", "not signed"}, false},
		{"server name the certificate does not carry", []string{"--tls-ca", ca, "--tls-cert", cliCert, "--tls-key", cliKey, "--server-name", "other.test"}, []string{"--server-name"}, false},
		// Given --server-name, the hint named "the host of --addr" and
		// asked for the --server-name the operator had given: it must
		// name the name checked.
		{"server name given the certificate does not carry", []string{"--tls-ca", ca, "--tls-cert", cliCert, "--tls-key", cliKey, "--server-name", "other.test"}, []string{`does not carry --server-name "other.test"`}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", append(append(append([]string{}, base...), c.flags...), dncAdd...)...)
			if code != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1", code, out, errs)
			}
			for _, w := range c.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q; want it to name %q", errs, w)
				}
			}
			if !c.mayRetry && strings.Contains(errs, "retry it") {
				t.Errorf("stderr %q: advises a retry, which cannot succeed", errs)
			}
		})
	}
}

// TestAdminComplaintIDConflictNotNotApplied: a complaint refused because its
// --id is another number's complaint still lists its number (the sidecar
// lists first); the CLI said "not applied", which told the operator the
// opt-out was not in force.
func TestAdminComplaintIDConflictNotNotApplied(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	base := []string{"admin", "--addr", s.addr, "--token-file", s.adminFile, "--timeout", "5s", "complaint", "add", "--id", "cp-same"}
	if code, out, errs := runCLI(t, "", append(base, "--number", "+8613900139405")...); code != 0 {
		t.Fatalf("first complaint: exit %d %s %s", code, out, errs)
	}
	code, _, errs := runCLI(t, "", append(base, "--number", "+8613900139406")...)
	if code != 1 || !strings.Contains(errs, "listed all the same") || strings.Contains(errs, "not applied") {
		t.Errorf("second complaint under the same id: exit %d, stderr %q; want 1, saying the number is listed, not \"not applied\"", code, errs)
	}
}

// TestAdminRefusesData: dialgate admin writes through the sidecar at --addr
// or --unix and opens no data directory, but took the global --data and
// ignored it: `dialgate admin --data /srv/b/dialgate-data dnc add …` wrote
// the opt-out into whichever sidecar answered on the default address, maybe
// not the one serving that directory. --data is refused, naming --addr.
func TestAdminRefusesData(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	code, out, errs := runCLI(t, "", "--data", t.TempDir(), "admin", "--addr", s.addr, "--token-file", s.adminFile,
		"dnc", "add", "--number", "+8613900139407", "--scope", "global")
	if code != 2 || !strings.Contains(errs, "--data") || !strings.Contains(errs, "--addr") {
		t.Errorf("admin with --data: exit %d, stdout %q, stderr %q; want 2 naming --data and --addr", code, out, errs)
	}
}
