package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
)

// ledgerArgs is one entry of the top-level ledger: key, a caller ID the
// file's tenant holds (DESIGN §4).
type ledgerArgs struct {
	Number        string             `json:"number"`
	Type          string             `json:"type,omitempty"`
	Holder        string             `json:"holder"`
	Access        string             `json:"access,omitempty"`
	Qualification string             `json:"qualification,omitempty"`
	Purposes      []dialgate.Purpose `json:"purposes"`
	ValidFrom     string             `json:"valid_from,omitempty"`
	ValidUntil    string             `json:"valid_until,omitempty"`
	OfficeUseOnly bool               `json:"office_use_only,omitempty"`
	// Tenant holds the entry; empty means the file's tenant.
	Tenant string `json:"tenant,omitempty"`
}

func (a ledgerArgs) entry(tenant string) (callerid.Entry, error) {
	if a.Tenant != "" {
		tenant = a.Tenant
	}
	e := callerid.Entry{Tenant: tenant, Type: callerid.ResourceType(a.Type), Holder: a.Holder, Access: a.Access,
		Qualification: a.Qualification, Purposes: a.Purposes, OfficeUseOnly: a.OfficeUseOnly}
	n, err := dialgate.ParseNumber(a.Number)
	if err != nil {
		return e, fmt.Errorf("number: %w", err)
	}
	e.Number = n
	for _, f := range []struct {
		name, v string
		dst     *time.Time
	}{{"valid_from", a.ValidFrom, &e.ValidFrom}, {"valid_until", a.ValidUntil, &e.ValidUntil}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return e, fmt.Errorf("%s: %q is not an RFC 3339 time", f.name, f.v)
		}
		*f.dst = t
	}
	return e.Normalize()
}

// ledgerSeed stores the top-level ledger: entries for the file's tenant
// before the first step.
func ledgerSeed() *seedSpec {
	return seedKey(func(a *[]ledgerArgs) error {
		type key struct {
			tenant string
			n      dialgate.Number
		}
		seen := map[key]int{}
		for i, x := range *a {
			e, err := x.entry("")
			if err != nil {
				return fmt.Errorf("[%d].%w", i, err)
			}
			k := key{x.Tenant, e.Number}
			if j, dup := seen[k]; dup {
				return fmt.Errorf("[%d].number: %s already listed at [%d]", i, e.Number, j)
			}
			seen[k] = i
		}
		return nil
	}, func(ctx context.Context, env *Env, a *[]ledgerArgs) error {
		entries := make([]callerid.Entry, 0, len(*a))
		for _, x := range *a {
			e, err := x.entry(env.Tenant)
			if err != nil {
				return err
			}
			entries = append(entries, e)
		}
		return env.Stores.Ledger.PutLedger(ctx, entries...)
	})
}
