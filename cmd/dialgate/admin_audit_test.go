package main

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestAdminUnrecordedChange: the sidecar's answer that a change is in force
// but its audit record is missing is not turned into "may not have been
// applied"; its refusal of a removal it could not record says "not
// applied".
func TestAdminUnrecordedChange(t *testing.T) {
	c := &adminConn{where: "127.0.0.1:7443"}
	err := c.rpcErr(status.Error(codes.Unavailable, "AddDncEntry: applied and in force, but not recorded: the audit log is unavailable (the log is closed); retry to record it once the log is available"), nil)
	if msg := err.Error(); strings.Contains(msg, "may not have been applied") || !strings.Contains(msg, "applied and in force") {
		t.Errorf("applied, unrecorded: %v", err)
	}
	err = c.rpcErr(status.Error(codes.Unavailable, "RemoveDncEntry: not applied: the audit log could not record it (the log is closed); a change that may allow a dial is made only once it is recorded: retry once the log is available"), nil)
	if msg := err.Error(); strings.Contains(msg, "may not have been applied") || !strings.Contains(msg, "not applied") {
		t.Errorf("refused, unrecorded: %v", err)
	}
}
