package callerid

import (
	"fmt"

	"github.com/dialgate/dialgate"
)

// Rule is one caller-ID rule of a profile: on unless Off, with its citation.
// The zero Rule is on and has no citation (which Config.Validate rejects when
// the check is enabled).
type Rule struct {
	// Off turns the rule off. Rules are on by default so that an enabled check
	// is as strict as possible unless a profile says otherwise.
	Off bool `json:"off,omitempty"`
	// Cite says where the rule comes from. Required when the rule is on.
	Cite dialgate.Citation `json:"cite"`
}

// Config is the profile section "callerid". The zero Config is disabled: the
// profile builds no caller-ID check. When Enabled, a missing or malformed
// caller ID is always denied, and every Rule not marked Off applies.
type Config struct {
	// Enabled turns the caller-ID check on.
	Enabled bool `json:"enabled"`
	// Cite is the citation for denying a missing or malformed caller ID
	// (callerid.missing, callerid.invalid), e.g. CN-S10/11.
	Cite dialgate.Citation `json:"cite"`
	// Ledger requires the caller ID to be in the tenant's ledger, used for a
	// listed purpose, not office-use only, and within its validity
	// (callerid.not_in_ledger, callerid.purpose_mismatch, callerid.expired;
	// CN-S2, CN-S7, CN-S8).
	Ledger Rule `json:"ledger"`
	// SubscriberNumber denies an ordinary mobile caller ID unless the ledger marks
	// it as an allocated business line (callerid.subscriber_number; CN-S2).
	SubscriberNumber Rule `json:"subscriber_number"`
	// InboundOnly denies a 400 or 800 caller ID (callerid.inbound_only).
	InboundOnly Rule `json:"inbound_only"`
	// InternationalRoute denies a +86 caller ID on a dial whose route is
	// international (callerid.invalid; CN-S10/11, "+86" 国际虚假主叫).
	InternationalRoute Rule `json:"international_route"`
}

// Validate reports the first problem of an enabled configuration, naming the
// field ("callerid.ledger.cite.ref: missing"). A disabled configuration is
// valid whatever it holds.
func (c Config) Validate() error {
	if !c.Enabled {
		return nil
	}
	if err := c.Cite.Validate("callerid.cite"); err != nil {
		return err
	}
	for _, r := range []struct {
		name string
		r    Rule
	}{
		{"ledger", c.Ledger}, {"subscriber_number", c.SubscriberNumber},
		{"inbound_only", c.InboundOnly}, {"international_route", c.InternationalRoute},
	} {
		if r.r.Off {
			continue
		}
		if err := r.r.Cite.Validate(fmt.Sprintf("callerid.%s.cite", r.name)); err != nil {
			return err
		}
	}
	return nil
}

// needsLedger reports whether any enabled rule reads the ledger.
func (c Config) needsLedger() bool {
	return c.Enabled && (!c.Ledger.Off || !c.SubscriberNumber.Off)
}
