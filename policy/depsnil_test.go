package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestBuildNilStorePointerInDeps: Deps filled by hand (not by StoreDeps)
// with a nil *memstore.Store or *boltstore.Store — a store variable never
// opened, an Open whose error was dropped — passed Build's "deps.X:
// missing" checks (a typed nil is not a nil interface) and panicked
// building or running the checks, as StoreDeps given one did. Build
// refuses it naming the field, wrapping dialgate.ErrInvalidConfig.
func TestBuildNilStorePointerInDeps(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	p, err := Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	var nilMem *memstore.Store
	var nilBolt *boltstore.Store
	for _, c := range []struct {
		field string
		set   func(d *Deps)
	}{
		{"deps.DNC", func(d *Deps) { d.DNC = nilMem }},
		{"deps.Counters", func(d *Deps) { d.Counters = nilBolt }},
		{"deps.Ledger", func(d *Deps) { d.Ledger = nilMem }},
		{"deps.Consents", func(d *Deps) { d.Consents = nilBolt }},
		{"deps.Recordings", func(d *Deps) { d.Recordings = nilMem }},
		{"deps.Runs", func(d *Deps) { d.Runs = nilMem }},
	} {
		t.Run(c.field, func(t *testing.T) {
			deps, err := StoreDeps(memstore.New(), key)
			if err != nil {
				t.Fatal(err)
			}
			c.set(&deps)
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("Build with a nil store pointer in %s panicked: %v", c.field, r)
				}
			}()
			_, err = Build(p, deps, dialgate.WithoutAuditLog())
			if !errors.Is(err, dialgate.ErrInvalidConfig) || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("Build with a nil store pointer in %s = %v, want an error naming %s, wrapping dialgate.ErrInvalidConfig", c.field, err, c.field)
			}
		})
	}
}
