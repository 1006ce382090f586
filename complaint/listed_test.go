package complaint_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
)

// TestFileErrListed: an error File returns after it listed the number wraps
// ErrListed besides its cause (a caller keeping a trail of changes records
// the opt-out in force); one returned before the number was listed does not.
func TestFileErrListed(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelPhone}); err != nil {
		t.Fatal(err)
	}
	other := dialgate.MustParseNumber("+8613800138998")
	for _, tc := range []struct {
		name       string
		f          complaint.Filing
		cause      error
		wantListed bool
	}{
		{"id of another callee's complaint", complaint.Filing{ID: "cp-1", Number: other, Channel: complaint.ChannelPhone}, complaint.ErrExists, true},
		{"retry of the same filing", complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelPhone}, complaint.ErrExists, true},
		{"display control in the decision id", complaint.Filing{ID: "cp-2", Number: other, Channel: complaint.ChannelPhone, DecisionID: "d\u202e1"}, complaint.ErrInvalid, true},
		{"no number", complaint.Filing{ID: "cp-3", Channel: complaint.ChannelPhone}, complaint.ErrInvalid, false},
		{"unknown channel", complaint.Filing{ID: "cp-4", Number: other, Channel: "fax"}, complaint.ErrInvalid, false},
	} {
		_, err := e.desk.File(ctx, fri, tc.f)
		if !errors.Is(err, tc.cause) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.cause)
		}
		if got := errors.Is(err, complaint.ErrListed); got != tc.wantListed {
			t.Errorf("%s: errors.Is(%v, ErrListed) = %v, want %v", tc.name, err, got, tc.wantListed)
		}
	}
}
