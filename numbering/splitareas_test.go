package numbering

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering/internal/tzsplit"
	"github.com/nyaruka/phonenumbers"
)

func TestSplitZones(t *testing.T) {
	for _, tt := range []struct {
		number string
		want   []string
	}{
		// +1 219 (north-west Indiana): the data's default is Eastern time and
		// it lists 91 Central-time exchanges; 555 is not listed.
		{"+12195550100", []string{"America/Chicago", "America/New_York"}},
		{"+12192260100", []string{"America/Chicago"}}, // listed: Central
		// +1 423 (east Tennessee): the default is Central, 176 exchanges Eastern.
		{"+14235550100", []string{"America/Chicago", "America/New_York"}},
		{"+14232020100", []string{"America/New_York"}}, // listed: Eastern
		// +1 850 (Florida panhandle)
		{"+18505550100", []string{"America/Chicago", "America/New_York"}},
		{"+18502000100", []string{"America/Chicago"}},
		// Lord Howe Island's blocks are listed; other +61 2 blocks may be it.
		{"+61265632100", []string{"Australia/Lord_Howe"}},
		{"+61255531234", []string{"Australia/Lord_Howe", "Australia/Sydney"}},
		// Not split: unchanged.
		{"+12125550100", []string{"America/New_York"}},
		{"+13105550100", []string{"America/Los_Angeles"}},
		{"+61390000000", []string{"Australia/Sydney"}},
	} {
		if got := Zones(dialgate.MustParseNumber(tt.number)); !slices.Equal(got, tt.want) {
			t.Errorf("Zones(%s) = %v, want %v", tt.number, got, tt.want)
		}
	}
}

// TestSplitAreasMatchData regenerates the split-area table and the table of
// the data's prefixes from the data file of the phonenumbers module in
// go.mod and checks them against the committed ones (run `go generate
// ./numbering` after a version change), that
// the decoder reads the file as the library does, and LookupZones against an
// independent walk of the data's own prefixes.
func TestSplitAreasMatchData(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: cannot find the phonenumbers module's data")
	}
	gomod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(tzsplit.Module) + `\s+(\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatalf("go.mod does not require %s", tzsplit.Module)
	}
	if want := tzsplit.Module + " " + string(m[1]); splitAreasSource != want {
		t.Fatalf("splitareas.go was generated from %s, go.mod has %s: run go generate ./numbering", splitAreasSource, want)
	}
	data, version, err := tzsplit.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	if version != string(m[1]) {
		t.Fatalf("go list found %s %s, go.mod says %s", tzsplit.Module, version, m[1])
	}
	for k, zones := range data {
		lib, err := phonenumbers.GetTimezonesForPrefix(k)
		if err != nil || !slices.Equal(lib, zones) {
			t.Fatalf("decoded %s = %v, the library says %v (%v)", k, zones, lib, err)
		}
	}
	// tzprefixes.go: LookupZones finds a number's prefix of the data in it.
	if want := tzsplit.Module + " " + string(m[1]); tzPrefixesSource != want {
		t.Fatalf("tzprefixes.go was generated from %s, go.mod has %s: run go generate ./numbering", tzPrefixesSource, want)
	}
	keys, err := tzsplit.Prefixes(data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, tzPrefixes[:]) {
		t.Errorf("the data has %d prefixes, tzprefixes.go %d (or others): run go generate ./numbering", len(keys), len(tzPrefixes))
	}
	for _, k := range keys {
		if k > 999_999_999 {
			t.Errorf("prefix %d is longer than tzPrefixLen", k)
		}
	}
	areas := tzsplit.Split(data)
	if len(areas) != len(splitAreas) {
		t.Errorf("%d split areas in the data, %d in splitareas.go: run go generate ./numbering", len(areas), len(splitAreas))
	}
	for k, zones := range areas {
		if !slices.Equal(splitAreas[k], zones) {
			t.Errorf("split area %s: data %v, splitareas.go %v: run go generate ./numbering", k, zones, splitAreas[k])
		}
	}
	// Every prefix of the data under a split area, and random numbers
	// beneath each, against the longest data prefix they start with.
	r := rand.New(rand.NewPCG(3, 4))
	for k := range data {
		inSplit := false
		for a := range areas {
			inSplit = inSplit || strings.HasPrefix(k, a)
		}
		if !inSplit {
			continue
		}
		for range 5 {
			digits := k
			for len(digits) < tzPrefixLen {
				digits += string(rune('0' + r.IntN(10)))
			}
			var matched string
			for l := len(digits); l > 0 && matched == ""; l-- {
				if _, ok := data[digits[:l]]; ok {
					matched = digits[:l]
				}
			}
			want := data[matched]
			if u, ok := areas[matched]; ok {
				want = u
			}
			want = slices.Sorted(slices.Values(want))
			if got := splitZones(digits, lookupZonesUncached(digits)).Zones(); !slices.Equal(got, want) {
				t.Fatalf("%s (data prefix %s): %v, want %v", digits, matched, got, want)
			}
		}
	}
}
