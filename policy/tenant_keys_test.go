package policy

import (
	"errors"
	"strings"
	"testing"
)

// TestSweepTenantKeyRespelt: a sweep.tenants key is a tenant's exact
// Dial.Tenant. A plain key YAML reads as a float reached the rules re-spelt
// (1.10 as tenant "1.1", 1e3 as "1000"): the tenant's stricter thresholds
// bound another tenant, and tenant 1.10 dialled under the profile's looser
// ones. Such a key, and a null key (an error that named no field), is
// refused naming sweep.tenants and the key's line: put it in quotes. A
// quoted key binds as written.
func TestSweepTenantKeyRespelt(t *testing.T) {
	seq := "{min_run: 10, max_gap: 2, window: 24h, max_step: 100, cite: {source: U, ref: x}}"
	head := "schema: dialgate.profile.v1\nname: x\nextends: cn\nsweep:\n  tenants:\n"
	for _, k := range []string{"1.10", "1e3", ".inf", "~", "null"} {
		_, err := Parse("x.yaml", []byte(head+"    "+k+": {sequential: "+seq+"}\n"))
		if err == nil || !errors.Is(err, ErrInvalidProfile) || !strings.Contains(err.Error(), "x.yaml:6: sweep.tenants") {
			t.Errorf("tenant key %s: %v, want an error naming sweep.tenants at line 6", k, err)
		}
		if _, err := Merge(builtin(t, "cn"), []byte("sweep: {tenants: {"+k+": {sequential: "+seq+"}}}")); err == nil {
			t.Errorf("Merge: tenant key %s accepted", k)
		}
	}
	for _, k := range []string{`"1.10"`, "acme", "010", "true"} {
		p, err := Parse("x.yaml", []byte(head+"    "+k+": {sequential: "+seq+"}\n"))
		if err != nil {
			t.Errorf("tenant key %s: %v", k, err)
			continue
		}
		want := strings.Trim(k, `"`)
		if _, ok := p.Sweep.Tenants[want]; !ok || len(p.Sweep.Tenants) != 1 {
			t.Errorf("tenant key %s: tenants %v, want %q", k, p.Sweep.Tenants, want)
		}
	}
}
