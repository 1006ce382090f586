package complaint_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/memstore"
)

// deskDeps returns a store and a do-not-call check for a Desk.
func deskDeps(t *testing.T) (*memstore.Store, *dnc.Check) {
	t.Helper()
	st := memstore.New()
	lists, err := dnc.NewLists(context.Background(), st, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check, err := dnc.New(dnc.Config{}, lists)
	if err != nil {
		t.Fatal(err)
	}
	return st, check
}

// Config.Zone says which zone's calendar days the deadlines are counted
// in, and NewDesk's loc says so too. A Config naming Asia/Shanghai given
// with loc UTC counted in UTC, silently: a complaint received at 04:00 on
// Saturday in Shanghai (20:00 on Friday in UTC) got Friday's deadlines,
// a working day early. NewDesk refuses the two when they disagree.
func TestNewDeskZoneDisagreesWithLocation(t *testing.T) {
	st, check := deskDeps(t)
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip(err)
	}
	_, err = complaint.NewDesk(complaint.Config{Zone: "Asia/Shanghai"}, st, check, nil, hasher{}, nil, time.UTC)
	if !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), "complaint.zone") {
		t.Errorf("zone Asia/Shanghai with location UTC: %v, want an error naming complaint.zone", err)
	}
	// The same zone both ways, and no zone in the Config, are accepted.
	for _, tc := range []struct {
		zone string
		loc  *time.Location
	}{{"Asia/Shanghai", sh}, {"", time.UTC}, {"", sh}, {"UTC", time.UTC}} {
		if _, err := complaint.NewDesk(complaint.Config{Zone: tc.zone}, st, check, nil, hasher{}, nil, tc.loc); err != nil {
			t.Errorf("zone %q, location %s: %v", tc.zone, tc.loc, err)
		}
	}
}

// NewDesk counted deadlines in whatever location it was given, and
// time.Local is this host's zone: two hosts of one fleet in different
// zones gave one complaint different deadlines, and a host's zone change
// moved every open complaint's. complaint.zone refuses "Local" (and every
// other name for the host's zone) since session 18; NewDesk now refuses
// such a location too, naming loc.
func TestNewDeskRefusesHostZone(t *testing.T) {
	st, check := deskDeps(t)
	locs := []*time.Location{time.Local}
	for _, name := range []string{"localtime", "Factory"} {
		if l, err := time.LoadLocation(name); err == nil {
			locs = append(locs, l)
		}
	}
	for _, loc := range locs {
		_, err := complaint.NewDesk(complaint.Config{}, st, check, nil, hasher{}, nil, loc)
		if !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), "location") {
			t.Errorf("location %q: %v, want ErrInvalid naming the location", loc, err)
		}
	}
	// A fixed zone is a place's offset, the same on every host.
	if _, err := complaint.NewDesk(complaint.Config{}, st, check, nil, hasher{}, nil, time.FixedZone("CST", 8*3600)); err != nil {
		t.Errorf("fixed zone: %v", err)
	}
}
