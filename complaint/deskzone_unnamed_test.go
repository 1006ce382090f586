package complaint_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
)

// TestNewDeskAcceptsUnnamedFixedZone: a fixed zone is the same on every
// host whatever its name, and NewDesk accepted one before it refused the
// host's zone; time.FixedZone("", 8*3600) (the name left empty) was then
// refused as "not a place's zone", the empty name read as an empty path
// element by the zone-name check.
func TestNewDeskAcceptsUnnamedFixedZone(t *testing.T) {
	st, check := deskDeps(t)
	if _, err := complaint.NewDesk(complaint.Config{}, st, check, nil, hasher{}, nil, time.FixedZone("", 8*3600)); err != nil {
		t.Errorf("unnamed fixed zone: %v", err)
	}
}
