package sidecar

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// writeMode writes s to path with exactly mode (whatever the umask).
func writeMode(t *testing.T, path, s string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// A tokens file other users can write lets them add an admin token; one
// they can read that holds tokens in plain text lets them take one. Both
// are refused at start (LoadTokens, NewServer) and at a reload (the set in
// force stays), naming the file and, for a plaintext token, the entry; a
// file of hashes only may be world-readable (a Kubernetes secret volume's
// default mode 0644).
func TestTokensFileModeRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	plain := "tokens:\n  - {name: ops, token: '" + reloadTokenA + "', scopes: [gate, admin]}\n"
	hashed := "tokens:\n  - {name: ops, sha256: '" + sha256hex(reloadTokenA) + "', scopes: [gate, admin]}\n"
	cases := []struct {
		name, yaml string
		mode       os.FileMode
		err        string
	}{
		{"plaintext 0600", plain, 0o600, ""},
		{"plaintext 0640", plain, 0o640, ""},
		{"plaintext 0644", plain, 0o644, `tokens[0].token ("ops")`},
		{"plaintext 0604", plain, 0o604, "readable by other users"},
		{"hashes 0644", hashed, 0o644, ""},
		{"hashes 0666", hashed, 0o666, "writable by other users"},
		{"hashes 0602", hashed, 0o602, "writable by other users"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			writeMode(t, path, c.yaml, c.mode)
			_, err := LoadTokens(path)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("LoadTokens: %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), path) || !errors.Is(err, ErrConfig)):
				t.Fatalf("LoadTokens: %v, want an ErrConfig naming %s and %q", err, path, c.err)
			}
			if err != nil && strings.Contains(err.Error(), reloadTokenA) {
				t.Fatalf("the error holds the token: %v", err)
			}
			if err := CheckFiles(Config{TokensFile: path}); (err != nil) != (c.err != "") {
				t.Fatalf("CheckFiles: %v", err)
			}
			g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
			if err != nil {
				t.Fatal(err)
			}
			srv, err := NewServer(Config{TokensFile: path, MetricsListen: "off"}, &Backend{Gate: g}, nil)
			if srv != nil {
				srv.Shutdown(context.Background())
			}
			if (err != nil) != (c.err != "") {
				t.Fatalf("NewServer: %v, want error %v", err, c.err != "")
			}
		})
	}

	// A reload to a world-readable file of plaintext tokens is refused:
	// the set in force stays.
	path := filepath.Join(dir, "reload.yaml")
	writeMode(t, path, plain, 0o600)
	e := startTest(t, Config{TokensFile: path}, nil)
	writeMode(t, path, "tokens:\n  - {name: ops, token: '"+reloadTokenB+"', scopes: [gate, admin]}\n", 0o644)
	if err := e.srv.Reload(false); err == nil || !strings.Contains(err.Error(), "readable by other users") {
		t.Fatalf("reload of a world-readable plaintext file: %v", err)
	}
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+reloadTokenA)
	if _, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139041")}); err != nil {
		t.Fatalf("the set in force did not stay: %v", err)
	}
}

// A token the file gives with white space around it, or with a character
// that is not visible ASCII, can never match: gRPC metadata carries visible
// ASCII, and the server trims the header. Such an entry is refused naming
// it, instead of being a token nobody can use (or, for an operator who
// pasted it with its newline, a lockout found only at the first call).
func TestParseTokensTokenCharacters(t *testing.T) {
	for _, c := range []struct{ name, token string }{
		{"leading space", " 0123456789abcdef"},
		{"trailing newline", "0123456789abcdef\\n"},
		{"inner space", "01234567 89abcdef"},
		{"tab", "01234567\\t89abcdef"},
		{"control", "01234567\\x0189abcdef"},
		{"non-ASCII", "0123456789abcdéf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTokens([]byte("tokens:\n  - {name: a, token: \"" + c.token + "\", scopes: [gate]}\n"))
			if err == nil || !strings.Contains(err.Error(), "tokens[0].token: ") || !errors.Is(err, ErrConfig) {
				t.Fatalf("want an error naming tokens[0].token, got %v", err)
			}
		})
	}
	if _, err := ParseTokens([]byte("tokens:\n  - {name: a, token: \"0123456789-._~+/=\", scopes: [gate]}\n")); err != nil {
		t.Fatalf("visible ASCII token refused: %v", err)
	}
}

// "tokens: []" says that no token is valid: after a leak, an operator who
// empties the list must revoke every token, not see the refusal keep the
// leaked ones in force. It is accepted (at start and at a reload) and
// refuses every call but health; a file without the list (empty, "tokens:"
// alone: a truncated file) is still an error.
func TestTokensEmptyListRevokesAll(t *testing.T) {
	toks, err := ParseTokens([]byte("tokens: []\n"))
	if err != nil {
		t.Fatalf("tokens: []: %v", err)
	}
	if len(toks.byHash) != 0 {
		t.Fatalf("tokens: [] holds %d tokens", len(toks.byHash))
	}
	for _, y := range []string{"", "tokens:\n", "tokens: null\n", "# nothing\n"} {
		if _, err := ParseTokens([]byte(y)); err == nil || !strings.Contains(err.Error(), "tokens file: ") || !errors.Is(err, ErrConfig) {
			t.Errorf("%q: %v, want an error naming the tokens file", y, err)
		}
	}

	path := filepath.Join(t.TempDir(), "tokens.yaml")
	writeMode(t, path, "tokens:\n  - {name: ops, token: '"+reloadTokenA+"', scopes: [gate, admin]}\n", 0o600)
	e := startTest(t, Config{TokensFile: path}, nil)
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+reloadTokenA)
	if _, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139042")}); err != nil {
		t.Fatal(err)
	}
	writeMode(t, path, "tokens: []\n", 0o600)
	if err := e.srv.Reload(false); err != nil {
		t.Fatalf("reload to tokens: []: %v", err)
	}
	if _, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139042")}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a token of the emptied file: %v, want Unauthenticated", err)
	}
	if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: "+8613900139042", Scope: "global"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("admin with a token of the emptied file: %v, want Unauthenticated", err)
	}
}

// An HMAC key file that is not hex is refused without quoting its content:
// encoding/hex's error quotes the offending byte, which is part of the
// secret (a key written in base64, say) and would reach the start's error
// and the log.
func TestHMACKeyFileErrorQuotesNoKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hmac.key")
	for _, key := range []string{"0123456789abcdefQRSTUVWXYZ0123456789abcdef", "0123456789abcdef0123456789abcde"} {
		writeMode(t, path, key+"\n", 0o600)
		_, err := readHMACKey(path)
		if err == nil {
			t.Fatalf("%d-byte non-hex key accepted", len(key))
		}
		if strings.Contains(err.Error(), "'Q'") || strings.Contains(err.Error(), "U+0051") || strings.Contains(err.Error(), key) {
			t.Fatalf("the error quotes the key: %v", err)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not hex") {
			t.Fatalf("the error does not name the file and the problem: %v", err)
		}
	}
}

// TestTokensFileErrorNamesFileAndLine: a mistyped key in a tokens file
// (tenant: for tenants:, which would have bound nothing) was refused with
// "tokens file: error unmarshaling JSON: while decoding JSON: json: unknown
// field" — neither the file nor the line, unlike the config file's errors.
// The error names both, and the entry.
func TestTokensFileErrorNamesFileAndLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	text := "tokens:\n  - name: dialer-acme\n    sha256: \"" + strings.Repeat("ab", 32) + "\"\n    scopes: [gate]\n    tenant: [acme]\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadTokens(path)
	if err == nil {
		t.Fatal("a tokens file with an unknown key loaded")
	}
	msg := err.Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, ":5:") || !strings.Contains(msg, "tenant") || strings.Contains(msg, "JSON") {
		t.Errorf("error %q: want the file %s, line 5 and the key tenant, without the JSON decoder's words", msg, path)
	}
}
