package main

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestAdminErrorsEscapeSidecarText: the sidecar's error messages were
// printed as they came, so a message holding an escape sequence (a sidecar
// or a proxy in between that is not ours, or text a store returned) could
// clear the operator's terminal or reorder the line. Every mapped code now
// shows such characters escaped, for writes (rpcErr) and reads (readErr).
func TestAdminErrorsEscapeSidecarText(t *testing.T) {
	c := &adminConn{where: "the sidecar at 127.0.0.1:7443"}
	hostile := "boom\x1b[2J\u202eevil"
	for _, code := range []codes.Code{
		codes.InvalidArgument, codes.Unauthenticated, codes.PermissionDenied,
		codes.FailedPrecondition, codes.AlreadyExists, codes.NotFound,
		codes.Unavailable, codes.Internal, codes.Unknown,
	} {
		for name, f := range map[string]func(error, map[string]string) error{"rpcErr": c.rpcErr, "readErr": c.readErr} {
			for _, msg := range []string{hostile, "number: " + hostile} {
				err := f(status.Error(code, msg), map[string]string{"number": "--number"})
				var ee *exitError
				if !errors.As(err, &ee) {
					t.Fatalf("%s(%v): %T %v, want an exitError", name, code, err, err)
				}
				got := err.Error()
				if strings.ContainsAny(got, "\x1b\u202e") {
					t.Errorf("%s(%v, %q) = %q: holds the raw control characters", name, code, msg, got)
				}
				if !strings.Contains(got, `\x1b[2J\u202eevil`) {
					t.Errorf("%s(%v, %q) = %q: want them shown escaped", name, code, msg, got)
				}
			}
		}
	}
}
