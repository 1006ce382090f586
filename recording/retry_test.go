package recording_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/recording"
)

// TestIsRetry: a registration Register refuses with ErrExists is a retry
// only when it is what was stored (callee, start, end, a retention no
// longer than the one kept, and the decision, tenant and media it names);
// anything else under the same id is another recording.
func TestIsRetry(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	first := recording.Registration{ID: "r-1", Callee: callee, StartedAt: start, EndedAt: start.Add(5 * time.Minute),
		DecisionID: "d-1", Tenant: "acme"}
	if _, err := f.mgr.Register(ctx, start.Add(6*time.Minute), first); err != nil {
		t.Fatal(err)
	}
	again := first
	if _, err := f.mgr.Register(ctx, start.Add(time.Hour), again); !errors.Is(err, recording.ErrExists) {
		t.Fatalf("second Register: %v, want ErrExists", err)
	}
	old, err := f.mgr.Get(ctx, "r-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		edit func(*recording.Registration)
		want bool
	}{
		{"the same", func(*recording.Registration) {}, true},
		{"without decision or tenant", func(r *recording.Registration) { r.DecisionID, r.Tenant = "", "" }, true},
		{"the retention kept, asked", func(r *recording.Registration) { r.Retention = dialgate.Duration(30 * 24 * time.Hour) }, true},
		{"another callee", func(r *recording.Registration) { r.Callee = dialgate.MustParseNumber("+8613800138001") }, false},
		{"no callee", func(r *recording.Registration) { r.Callee = dialgate.Number{} }, false},
		{"another start", func(r *recording.Registration) { r.StartedAt = r.StartedAt.Add(time.Second) }, false},
		{"another end", func(r *recording.Registration) { r.EndedAt = r.EndedAt.Add(-time.Second) }, false},
		{"no end", func(r *recording.Registration) { r.EndedAt = time.Time{} }, false},
		{"a longer retention", func(r *recording.Registration) { r.Retention = dialgate.Duration(90 * 24 * time.Hour) }, false},
		{"another decision", func(r *recording.Registration) { r.DecisionID = "d-2" }, false},
		{"another tenant", func(r *recording.Registration) { r.Tenant = "other" }, false},
		{"media", func(r *recording.Registration) { r.MediaURI = "file:r-1.wav" }, false},
		{"another id", func(r *recording.Registration) { r.ID = "r-2" }, false},
	} {
		reg := first
		tt.edit(&reg)
		if got := f.mgr.IsRetry(old, reg); got != tt.want {
			t.Errorf("%s: IsRetry = %v, want %v", tt.name, got, tt.want)
		}
	}
}
