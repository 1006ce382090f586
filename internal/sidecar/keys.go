package sidecar

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/durable"
	"github.com/dialgate/dialgate/internal/regfile"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// syncDir fsyncs a directory (a variable so that tests see which are).
var syncDir = durable.SyncDir

// Keys are a data directory's secrets: the HMAC key that pseudonymises callee
// numbers (in audit records, counters, recordings and complaints) and the
// signer of audit checkpoints.
type Keys struct {
	// HMAC is the callee-hash key (32 random bytes).
	HMAC []byte
	// HMACKeyID names it in audit records (keyID: derived from the key,
	// revealing none of it).
	HMACKeyID string
	// Signer signs audit checkpoints (ed25519, golang.org/x/mod/sumdb/note).
	Signer note.Signer
	// Retired are the public keys in RetiredSignerPubFile (none when it is
	// absent): keys a rotation retired, whose checkpoints in the audit log
	// are still accepted (auditlog.Options.Verifiers).
	Retired []note.Verifier
}

// LoadKeys reads the keys in data/keys, generating them (mode 0600) on first
// use. A key file other users may read or write is refused, wrapping
// ErrConfig (see checkFileMode). `dialgate serve` and the CLI commands that write state share them, so a
// number hashes the same everywhere.
func LoadKeys(data string) (Keys, error) { return LoadKeysFile(data, "") }

// LoadKeysFile is LoadKeys with the HMAC key read from hmacKeyFile (hex, at
// least MinKeyBytes bytes) when it is set: a fleet's sidecars share one key so
// that their shared counters and lists name a callee the same way. That file
// is never created or changed.
func LoadKeysFile(data, hmacKeyFile string) (Keys, error) {
	kdir := filepath.Join(data, KeysDir)
	// New directories and key files are made durable with their directory
	// entries: a key lost in a power loss would be generated anew at the
	// next start, and every counter and recording keyed by the old callee
	// hash would stop matching.
	if err := durable.MkdirAll(kdir, 0o700, syncDir); err != nil {
		return Keys{}, fmt.Errorf("audit keys: %w", err)
	}
	hpath := filepath.Join(kdir, HMACKeyFile)
	if hmacKeyFile != "" {
		hpath = hmacKeyFile
	} else if _, err := os.Stat(hpath); errors.Is(err, os.ErrNotExist) {
		// A new key for a directory that already holds state would silently
		// stop every reservation, pause and recording keyed by the old
		// callee hash from matching: capped callees dialled again.
		if what, ok := existingState(data); ok {
			return Keys{}, missingKeyErr(hpath, what)
		}
		var k [32]byte
		if _, err := rand.Read(k[:]); err != nil {
			return Keys{}, fmt.Errorf("audit keys: %w", err)
		}
		if err := writeNew(hpath, hex.EncodeToString(k[:])+"\n"); err != nil {
			return Keys{}, err
		}
	}
	spath := filepath.Join(kdir, SignerKeyFile)
	if _, err := os.Stat(spath); errors.Is(err, os.ErrNotExist) {
		skey, vkey, err := auditlog.GenerateKey(rand.Reader, "dialgate-sidecar")
		if err != nil {
			return Keys{}, fmt.Errorf("audit keys: %w", err)
		}
		if err := writeNew(spath, skey+"\n"); err != nil {
			return Keys{}, err
		}
		if err := writeNew(filepath.Join(kdir, SignerPubFile), vkey+"\n"); err != nil {
			return Keys{}, err
		}
	}
	// Also when the key files exist: an earlier start may have written them
	// and failed (or died) before this fsync, and their entries would then
	// never be made durable.
	if err := syncDir(kdir); err != nil {
		return Keys{}, fmt.Errorf("audit keys: fsync %s: %w", kdir, err)
	}
	hkey, err := readHMACKey(hpath)
	if err != nil {
		return Keys{}, fmt.Errorf("audit keys: %w", err)
	}
	if err := checkFileMode("audit signer key file", spath, "it holds the key that signs the audit checkpoints (whoever holds it can sign a rewritten log)", ""); err != nil {
		return Keys{}, fmt.Errorf("audit keys: %w", err)
	}
	sb, err := os.ReadFile(spath)
	if err != nil {
		return Keys{}, fmt.Errorf("audit keys: %w", err)
	}
	signer, err := auditlog.NewSigner(strings.TrimSpace(string(sb)))
	if err != nil {
		return Keys{}, fmt.Errorf("audit keys: %s: %w", spath, err)
	}
	retired, err := readRetiredKeys(filepath.Join(kdir, RetiredSignerPubFile))
	if err != nil {
		return Keys{}, fmt.Errorf("audit keys: %w", err)
	}
	return Keys{HMAC: hkey, HMACKeyID: keyID(hkey), Signer: signer, Retired: retired}, nil
}

// readRetiredKeys reads the public keys of RetiredSignerPubFile at path, one
// a line (blank lines and lines starting with # ignored); none when the file
// does not exist. A line that is not a public key is an error naming the
// file and line; a file other users may write is refused (checkFileMode).
func readRetiredKeys(path string) ([]note.Verifier, error) {
	b, err := regfile.ReadFile(path, 1<<20)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// The keys listed are trusted for the log's checkpoints: others who
	// could write the file could add one of theirs and plant checkpoints
	// the sidecar accepts, then signs over with its own key.
	if err := checkFileMode("retired signer keys file", path, "", ""); err != nil {
		return nil, err
	}
	var vs []note.Verifier
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := auditlog.NewVerifier(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: not a public key (want name+hash+key, as audit-signer.pub holds): %w", path, i+1, err)
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// keyID names the HMAC key key in audit records without revealing any of
// it: "h" and, in hex, the first 4 bytes of HMAC-SHA256 under the key of a
// fixed label. (Before, the id was "k" and the key's own first 4 bytes: 32
// of its bits in every record handed to an auditor.)
func keyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("dialgate audit hmac key id"))
	return "h" + hex.EncodeToString(m.Sum(nil)[:4])
}

// readHMACKey reads a hex HMAC key of at least auditlog.MinKeyBytes bytes
// from path; errors name the file. A file other users may read or write is
// refused (checkFileMode, wrapping ErrConfig): with the key, anyone who
// reads the audit log can reverse its callee hashes by hashing every number
// of the numbering plan.
func readHMACKey(path string) ([]byte, error) {
	hb, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := checkFileMode("HMAC key file", path, "it holds the HMAC key of the callee hashes (whoever holds it can reverse the hashes in the audit log)", ""); err != nil {
		return nil, err
	}
	text := strings.TrimSpace(string(hb))
	hkey, err := hex.DecodeString(text)
	if err != nil {
		// Not %w: encoding/hex's error quotes the offending byte, a
		// piece of the secret. Name its position instead.
		if i := strings.IndexFunc(text, func(r rune) bool { return !strings.ContainsRune("0123456789abcdefABCDEF", r) }); i >= 0 {
			return nil, fmt.Errorf("%s: not hex: byte %d is not a hex digit", path, i)
		}
		return nil, fmt.Errorf("%s: not hex: an odd number of hex digits", path)
	}
	if len(hkey) < auditlog.MinKeyBytes {
		return nil, fmt.Errorf("%s: %d bytes, want at least %d", path, len(hkey), auditlog.MinKeyBytes)
	}
	return hkey, nil
}

// existingState reports whether data already holds what a Gate wrote under
// its key: audit log files. (Open checks the embedded store itself, before
// it creates one.)
func existingState(data string) (string, bool) {
	adir := filepath.Join(data, AuditDir)
	if es, err := os.ReadDir(adir); err == nil && len(es) > 0 {
		return adir, true
	}
	return "", false
}

// CheckStoreKey refuses a data directory whose store exists but whose HMAC
// key does not (with hmacKeyFile empty: the key is the directory's own). The
// key was lost, and LoadKeys would make a new one: the recordings, counters
// and pauses the store keys by the old callee hash would stop matching. Call
// it before opening the store (which creates it) and LoadKeys.
func CheckStoreKey(data, hmacKeyFile string) error {
	if hmacKeyFile != "" {
		return nil
	}
	store := filepath.Join(data, boltstore.DefaultFileName)
	if key := filepath.Join(data, KeysDir, HMACKeyFile); fileExists(store) && !fileExists(key) {
		return missingKeyErr(key, store)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// missingKeyErr is the refusal to make a new HMAC key where state keyed by
// the old one exists.
func missingKeyErr(key, state string) error {
	return fmt.Errorf("audit keys: %s is missing but %s exists: restore the key from a backup (every cap, pause and recording is keyed by it), or start with a new data directory", key, state)
}
