package zonename

import "testing"

// TestNoPlaceWhateverTheSpelling: time.LoadLocation opens a name as a path
// under the host's zoneinfo directory, so a name that is no place spelt
// another way reaches the same file: in another case on a host whose file
// system ignores case (macOS, Windows with ZONEINFO), or with a "." element
// ("./localtime", "posix/./Asia/Shanghai" is caught by its prefix, but
// "./posix/Asia/Shanghai" was not). Each is refused as its plain name is.
func TestNoPlaceWhateverTheSpelling(t *testing.T) {
	for _, name := range []string{
		"Local", "localtime", "posixrules", "Factory", "posix/Asia/Shanghai", "right/America/Chicago",
		"LOCALTIME", "LocalTime", "local", "POSIXRULES", "factory", "Posix/Asia/Shanghai", "RIGHT/America/Chicago",
		"./localtime", "./posixrules", "./Factory", "./posix/Asia/Shanghai", "./right/America/Chicago",
		"Asia/./Shanghai", "Asia//Shanghai", "/localtime", "localtime/", ".localtime", "Asia/../localtime",
	} {
		if NoPlace(name) == "" {
			t.Errorf("NoPlace(%q) = \"\": taken for a place", name)
		}
	}
	for _, name := range []string{"Asia/Shanghai", "America/Chicago", "Australia/Darwin", "UTC", "Etc/GMT-8", "America/Port-au-Prince", "EST5EDT"} {
		if p := NoPlace(name); p != "" {
			t.Errorf("NoPlace(%q) = %q, want \"\" (a place)", name, p)
		}
	}
}
