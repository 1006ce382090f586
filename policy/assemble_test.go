package policy_test

import (
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

func TestAssembleKeepsTheGatesChecks(t *testing.T) {
	p, err := policy.Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	deps, err := policy.StoreDeps(memstore.New(), []byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := policy.Assemble(p, deps, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Checks) != len(a.Gate.CheckNames()) {
		t.Fatalf("%d checks, gate has %v", len(a.Checks), a.Gate.CheckNames())
	}
	d, ok := policy.CheckOf[*dnc.Check](a.Checks)
	if !ok || d == nil {
		t.Fatal("no *dnc.Check in the cn assembly")
	}
	if _, ok := policy.CheckOf[*recording.Check](a.Checks); !ok {
		t.Fatal("no *recording.Check in the cn assembly")
	}
	us, _ := policy.Builtin("fr")
	b, err := policy.Assemble(us, deps, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := policy.CheckOf[*recording.Check](b.Checks); ok {
		t.Fatal("fr has no recording section, yet CheckOf found one")
	}
}
