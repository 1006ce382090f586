package dnc

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestStaleMessageInDays: a stale copy's reason said "copy is 758h0m0s old,
// the profile allows 31d" (and, for au's 28d23h, "allows 695h0m0s"): an
// auditor had to divide by 24 to compare the two. Both are in days and hours.
func TestStaleMessageInDays(t *testing.T) {
	for _, tc := range []struct {
		max  time.Duration
		age  time.Duration
		want string
	}{
		{31 * 24 * time.Hour, 31*24*time.Hour + 14*time.Hour, "copy is 31d14h old, the profile allows 31d"},
		{28*24*time.Hour + 23*time.Hour, 30 * 24 * time.Hour, "copy is 30d old, the profile allows 28d23h"},
		{31 * 24 * time.Hour, 40*24*time.Hour + 5*time.Minute + 3*time.Second, "copy is 40d5m3s old, the profile allows 31d"},
		{12 * time.Hour, 13*time.Hour + 30*time.Minute, "copy is 13h30m old, the profile allows 12h"},
	} {
		reg, _ := NewRegistry("r")
		c, _ := newTestCheck(t, Config{Registries: []RegistryConfig{{Name: "r", MaxAge: dialgate.Duration(tc.max), Cite: cite}}}, reg)
		reg.Swap(snapOf(t, "r", "", t0.Add(-tc.age), 12125550100))
		rs, err := c.Check(context.Background(), dialgate.Dial{To: num("+12125550101"), Purpose: dialgate.PurposeMarketing, At: t0})
		if err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeDNCRegistryStale {
			t.Fatalf("age %s: %v %v, want registry_stale", tc.age, rs, err)
		}
		if want := "registry r " + tc.want; rs[0].Message != want {
			t.Errorf("age %s: message %q, want %q", tc.age, rs[0].Message, want)
		}
	}
}
