package dialgate

import (
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // zone data for hosts without a zoneinfo database, as schedule's

	"github.com/dialgate/dialgate/internal/zonename"
)

// loadedZones caches the locations zoneProblem has loaded (name →
// *time.Location): time.LoadLocation reads the time-zone database at every
// call. Only names that load are kept, so its size is bounded by the
// database's.
var loadedZones sync.Map

// zoneProblem says what is wrong with name as an IANA time-zone name ("" if
// nothing): its form (at most 64 bytes of letters, digits and "/_+-", no
// empty or dot-led element, as the database's file names are), a name that
// is no place ("Local", "localtime", "posixrules", "Factory", posix/ and
// right/ copies: internal/zonename), or that this host's database does not
// know it.
func zoneProblem(name string) string {
	if _, ok := loadedZones.Load(name); ok {
		return ""
	}
	if len(name) > 64 {
		return "longer than 64 bytes"
	}
	elem := 0 // length of the current element
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '/':
			if elem == 0 {
				return fmt.Sprintf("%q is not a time-zone name (an empty element)", name)
			}
			elem = 0
			continue
		case c == '.' && elem == 0:
			return fmt.Sprintf("%q is not a time-zone name (an element starts with a dot)", name)
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '+', c == '-', c == '.':
		default:
			return fmt.Sprintf("%q is not a time-zone name (byte %d)", name, i)
		}
		elem++
	}
	if elem == 0 {
		return fmt.Sprintf("%q is not a time-zone name (an empty element)", name)
	}
	if p := zonename.NoPlace(name); p != "" {
		return fmt.Sprintf("%q is %s: name the callee's zone (e.g. \"America/Chicago\")", name, p)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return fmt.Sprintf("unknown time zone %q", name)
	}
	loadedZones.Store(name, loc)
	return ""
}
