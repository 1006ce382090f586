package sidecar

import (
	"fmt"
	"os"
	"runtime"
)

// checkFileMode refuses, wrapping ErrConfig and naming key (the config key
// or what the file is), path and its mode, a file (through symlinks, as a
// Kubernetes secret volume links it) that users other than its owner and
// group may write — they could replace a key or add a token — or, when
// secret is not empty, read: secret then says what in it gives a secret
// away ("the TLS private key", "tokens[1].token (\"ops\") gives a token in
// plain text"), and alt, when not empty, another way out than chmod. Its
// group may read and write it: a Kubernetes secret volume mounted with
// fsGroup is made group-readable by the kubelet (defaultMode 0400 becomes
// 0440), and a group is something an operator grants on purpose. One rule
// for every file the server takes secrets from: the tokens file
// (checkTokensFile), the TLS key, the fleet's HMAC key file and the data
// directory's own keys. Windows has no such mode bits; nothing is checked
// there.
func checkFileMode(key, path, secret, alt string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrConfig, key, err)
	}
	if alt != "" {
		alt = ", or " + alt
	}
	const fix = "chmod 600 (or 640 for its group to read it; in Kubernetes, the secret volume's defaultMode: 0400, or 0440 with fsGroup)"
	mode := fi.Mode().Perm()
	switch {
	case mode&0o002 != 0:
		return fmt.Errorf("%w: %s %s: mode %04o: writable by other users, who could replace it; %s%s", ErrConfig, key, path, mode, fix, alt)
	case mode&0o004 != 0 && secret != "":
		return fmt.Errorf("%w: %s %s: mode %04o: readable by other users, and %s; %s%s", ErrConfig, key, path, mode, secret, fix, alt)
	}
	return nil
}
