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

// Config.Zone says which zone's calendar days the deadlines are counted
// in, and NewDesk's loc says so too. A Config naming Asia/Shanghai given
// with loc UTC counted in UTC, silently: a complaint received at 04:00 on
// Saturday in Shanghai (20:00 on Friday in UTC) got Friday's deadlines,
// a working day early. NewDesk refuses the two when they disagree.
func TestNewDeskZoneDisagreesWithLocation(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	lists, err := dnc.NewLists(ctx, st, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check, err := dnc.New(dnc.Config{}, lists)
	if err != nil {
		t.Fatal(err)
	}
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
