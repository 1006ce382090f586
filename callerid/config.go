package callerid

import (
	"github.com/dialgate/dialgate"
)

// Rule is one caller-ID rule of a profile, with its citation. A profile turns a
// rule on by giving it (a non-nil *Rule) and off by leaving it out.
type Rule struct {
	// Cite says where the rule comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Config is the profile section "callerid". A dial without a caller ID, or with
// a malformed one (not a valid Chinese number class, a 106 SMS port), is always
// denied (callerid.missing, callerid.invalid); each non-nil Rule adds its
// check. The zero Config is not valid: Cite is required.
//
// In YAML:
//
//	callerid:
//	  cite: {source: L, ref: "工信厅信管函〔2018〕337号 (CN-S10/11)"}
//	  ledger: {cite: {source: L, ref: "工信厅信管函〔2018〕337号 (CN-S2, CN-S7, CN-S8)"}}
//	  subscriber_number: {cite: {source: L, ref: "工信厅信管函〔2018〕337号 (CN-S2)"}}
//	  inbound_only: {cite: {source: U, ref: "dialgate convention", note: "400/800 are inbound-only codes"}}
//	  international_route: {cite: {source: L, ref: "工信厅信管函〔2018〕337号 (CN-S10/11)"}}
type Config struct {
	// Cite is the citation for denying a missing or malformed caller ID
	// (callerid.missing, callerid.invalid), e.g. CN-S10/11. Required.
	Cite dialgate.Citation `json:"cite"`
	// Ledger requires the caller ID to be in the tenant's ledger, used for a
	// listed purpose, not office-use only, and within its validity
	// (callerid.not_in_ledger, callerid.purpose_mismatch, callerid.expired;
	// CN-S2, CN-S7, CN-S8). Nil: off.
	Ledger *Rule `json:"ledger,omitempty"`
	// SubscriberNumber denies an ordinary mobile caller ID unless the ledger
	// marks it as an allocated business line (callerid.subscriber_number;
	// CN-S2). Nil: off.
	SubscriberNumber *Rule `json:"subscriber_number,omitempty"`
	// InboundOnly denies a 400 or 800 caller ID (callerid.inbound_only). Nil: off.
	InboundOnly *Rule `json:"inbound_only,omitempty"`
	// InternationalRoute denies a +86 caller ID on a dial whose route is
	// international (callerid.invalid; CN-S10/11, "+86" 国际虚假主叫). Nil: off.
	InternationalRoute *Rule `json:"international_route,omitempty"`
}

// Validate reports the first problem of c, naming the field
// ("callerid.ledger.cite.ref: missing").
func (c Config) Validate() error {
	if err := c.Cite.Validate("callerid.cite"); err != nil {
		return err
	}
	for _, r := range []struct {
		name string
		r    *Rule
	}{
		{"ledger", c.Ledger}, {"subscriber_number", c.SubscriberNumber},
		{"inbound_only", c.InboundOnly}, {"international_route", c.InternationalRoute},
	} {
		if r.r == nil {
			continue
		}
		if err := r.r.Cite.Validate("callerid." + r.name + ".cite"); err != nil {
			return err
		}
	}
	return nil
}

// needsLedger reports whether any rule reads the ledger.
func (c Config) needsLedger() bool {
	return c.Ledger != nil || c.SubscriberNumber != nil
}

func (r *Rule) cite() dialgate.Citation {
	if r == nil {
		return dialgate.Citation{}
	}
	return r.Cite
}
