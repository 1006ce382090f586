// Package zonename tells the names a time-zone database answers to that
// are no place: the host's own zone under another name, the database's
// placeholder, and the copies of the database some hosts install beside
// it. time.LoadLocation loads them from a host's zoneinfo directory, but a
// calling window judged in one is judged in the host's time (or in none),
// and the embedded database (time/tzdata) does not have most of them, so
// a name that loads on one host fails on another.
package zonename

import "strings"

// NoPlace says why name is no place ("" when it may be one): "Local",
// "localtime" and "posixrules" are the host's zone or default rules,
// "Factory" is the database's placeholder (UTC, "-00"), and names under
// "posix/" and "right/" are copies of the database (right/ counting leap
// seconds) that only some hosts have.
func NoPlace(name string) string {
	switch {
	case name == "Local", name == "localtime", name == "posixrules":
		return "this host's zone, not a place"
	case name == "Factory":
		return "the zone database's placeholder, not a place"
	case strings.HasPrefix(name, "posix/"), strings.HasPrefix(name, "right/"):
		return "a copy of the zone database that only some hosts have (name the zone without " + name[:strings.IndexByte(name, '/')+1] + ")"
	}
	return ""
}
