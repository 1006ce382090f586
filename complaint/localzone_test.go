package complaint_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/complaint"
)

// TestConfigRefusesHostZone: complaint.zone "Local" is the zone of whichever
// host runs the desk, not a place: two hosts of a fleet (or the CLI on an
// operator's machine) would count one complaint's working days in different
// zones and fix different deadlines. It is refused naming the field, as
// schedule refuses it; a real zone is accepted.
func TestConfigRefusesHostZone(t *testing.T) {
	err := complaint.Config{Zone: "Local"}.Validate()
	if !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), "complaint.zone") {
		t.Errorf("Config{Zone: Local}.Validate() = %v, want an error wrapping ErrInvalid naming complaint.zone", err)
	}
	if err := (complaint.Config{Zone: "Asia/Shanghai"}).Validate(); err != nil {
		t.Errorf("Config{Zone: Asia/Shanghai}.Validate() = %v", err)
	}
}

// TestConfigRefusesHostZoneUnderOtherNames: "Local" was refused, but the
// host's zone under its other names loaded as well: "localtime" (the
// zoneinfo directory's link to the host's zone), "posixrules", "Factory",
// the posix/ and right/ copies and "./localtime". Each would count one
// complaint's deadlines in whichever zone the host runs in, or in none.
func TestConfigRefusesHostZoneUnderOtherNames(t *testing.T) {
	for _, name := range []string{"localtime", "LOCAL", "posixrules", "Factory", "posix/Asia/Shanghai", "right/Asia/Shanghai", "./localtime", "./Asia/Shanghai"} {
		err := complaint.Config{Zone: name}.Validate()
		if !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), "complaint.zone") {
			t.Errorf("Config{Zone: %q}.Validate() = %v, want an error wrapping ErrInvalid naming complaint.zone", name, err)
		}
	}
}
