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
// seconds) that only some hosts have. time.LoadLocation opens a name as a
// path under the host's zoneinfo directory, so these are recognised
// whatever their case (a file system may ignore it) and a name spelt as a
// path other than the database's ("./localtime", "Asia//Shanghai", a
// backslash) is refused too: no zone's name has an empty or dot-led
// element.
func NoPlace(name string) string {
	if strings.ContainsRune(name, '\\') {
		return "a path, not a zone name (a backslash)"
	}
	for e := range strings.SplitSeq(name, "/") {
		if e == "" || e[0] == '.' {
			return "a path, not a zone name (an empty or dot-led element)"
		}
	}
	first, _, nested := strings.Cut(name, "/")
	switch {
	case nested && (strings.EqualFold(first, "posix") || strings.EqualFold(first, "right")):
		return "a copy of the zone database that only some hosts have (name the zone without " + first + "/)"
	case strings.EqualFold(name, "Local"), strings.EqualFold(name, "localtime"), strings.EqualFold(name, "posixrules"):
		return "this host's zone, not a place"
	case strings.EqualFold(name, "Factory"):
		return "the zone database's placeholder, not a place"
	}
	return ""
}
