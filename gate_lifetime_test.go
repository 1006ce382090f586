package dialgate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// lifetimeCounter is a check that counts allows over lifetime.
type lifetimeCounter struct{ lifetime time.Duration }

func (lifetimeCounter) Name() string { return "counter" }
func (lifetimeCounter) Check(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
	return nil, nil
}
func (c lifetimeCounter) AllowLifetimeCounted() time.Duration { return c.lifetime }

// TestNewRefusesLifetimeLongerThanCounted: New refuses a Gate whose allow
// lifetime is longer than a LifetimeCounter counts, naming the check, both
// lifetimes and the fix; a lifetime at most the counted one is accepted.
func TestNewRefusesLifetimeLongerThanCounted(t *testing.T) {
	c := lifetimeCounter{lifetime: dialgate.DefaultAllowLifetime}
	_, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(), dialgate.WithAllowLifetime(dialgate.MaxAllowLifetime))
	if !errors.Is(err, dialgate.ErrInvalidConfig) {
		t.Fatalf("New: %v, want ErrInvalidConfig", err)
	}
	for _, s := range []string{"counter", "10m0s", "1m0s", "schedule.WithAllowLifetime"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %q", err, s)
		}
	}
	if _, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog()); err != nil {
		t.Errorf("New with the default lifetime: %v", err)
	}
	if _, err := dialgate.New([]dialgate.Checker{lifetimeCounter{lifetime: time.Hour}}, dialgate.WithoutAuditLog(), dialgate.WithAllowLifetime(dialgate.MaxAllowLifetime)); err != nil {
		t.Errorf("New with a lifetime shorter than counted: %v", err)
	}
}

// TestAllowLifetimeOf: the lifetime the options set, the default without
// one, and the options' error.
func TestAllowLifetimeOf(t *testing.T) {
	for _, tc := range []struct {
		opts []dialgate.Option
		want time.Duration
	}{
		{nil, dialgate.DefaultAllowLifetime},
		{[]dialgate.Option{dialgate.WithoutAuditLog()}, dialgate.DefaultAllowLifetime},
		{[]dialgate.Option{dialgate.WithAllowLifetime(2 * time.Minute), dialgate.WithoutAuditLog()}, 2 * time.Minute},
		{[]dialgate.Option{dialgate.WithAllowLifetime(2 * time.Minute), dialgate.WithAllowLifetime(3 * time.Minute)}, 3 * time.Minute},
	} {
		got, err := dialgate.AllowLifetimeOf(tc.opts...)
		if err != nil || got != tc.want {
			t.Errorf("AllowLifetimeOf(%d options) = %v, %v; want %v", len(tc.opts), got, err, tc.want)
		}
	}
	for _, opts := range [][]dialgate.Option{{dialgate.WithAllowLifetime(time.Hour)}, {nil}, {dialgate.WithClock(nil)}} {
		if _, err := dialgate.AllowLifetimeOf(opts...); !errors.Is(err, dialgate.ErrInvalidConfig) {
			t.Errorf("AllowLifetimeOf: %v, want ErrInvalidConfig", err)
		}
	}
}
