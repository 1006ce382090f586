package callerid

import (
	"testing"

	"github.com/dialgate/dialgate"
)

// TestAdversarialCallerIDs holds the caller IDs a dialer might try to slip
// past the ledger: MVNO and satellite mobiles (subscriber numbers, CN-S2,
// REQUIREMENTS §3), a customer-service code over an international route
// (fake +86, CN-S10/11), another tenant's allocated business line, and a
// ledger business line presented for a purpose it is not registered for.
func TestAdversarialCallerIDs(t *testing.T) {
	const (
		mvno      = "+8617012345678"
		satellite = "+8613491234567"
		sat174    = "+8617412345678"
		mvnoBiz   = "+8616712345678"
	)
	entries := append(ledger(),
		Entry{Tenant: "acme", Number: dialgate.MustParseNumber(mvnoBiz), Type: TypeMobileBusiness, Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service"}},
		Entry{Tenant: "globex", Number: dialgate.MustParseNumber(mvno), Type: TypeMobileBusiness, Holder: "Globex", Purposes: []dialgate.Purpose{"service"}},
	)
	c, err := New(cnConfig, newFakeStore(entries...))
	if err != nil {
		t.Fatal(err)
	}
	intl95 := dial(num95, "service")
	intl95.Route = dialgate.RouteInternational
	sub := []dialgate.Code{dialgate.CodeCallerIDSubscriber, dialgate.CodeCallerIDNotInLedger}
	for _, tc := range []struct {
		name string
		d    dialgate.Dial
		want []dialgate.Code
	}{
		{"MVNO subscriber", dial(mvno, "service"), sub},
		{"satellite 1349 subscriber", dial(satellite, "service"), sub},
		{"satellite 174 subscriber", dial(sat174, "service"), sub},
		{"MVNO business line of acme", dial(mvnoBiz, "service"), nil},
		{"MVNO business line, wrong purpose", dial(mvnoBiz, "marketing"), []dialgate.Code{dialgate.CodeCallerIDPurposeMismatch}},
		{"globex's business line used by acme", dial(mvno, "service"), sub},
		{"95 code over an international route", intl95, []dialgate.Code{dialgate.CodeCallerIDInvalid}},
	} {
		t.Run(tc.name, func(t *testing.T) { attestWant(t, c, tc.d, tc.want) })
	}
}
