// Command gensplit writes numbering's table of split areas
// (splitareas.go) and of the data's prefixes (tzprefixes.go) from the
// time-zone data of the github.com/nyaruka/phonenumbers version in go.mod.
// Run it with `go generate ./numbering` after changing that version;
// numbering's TestSplitAreasMatchData (which checks both tables) fails
// until it is run.
package main

import (
	"flag"
	"log"
	"os"

	"github.com/dialgate/dialgate/numbering/internal/tzsplit"
)

func main() {
	out := flag.String("o", "splitareas.go", "file to write the split areas to")
	prefixes := flag.String("prefixes", "tzprefixes.go", "file to write the data's prefixes to")
	flag.Parse()
	data, version, err := tzsplit.LoadData()
	if err != nil {
		log.Fatal(err)
	}
	src, err := tzsplit.Source(tzsplit.Split(data), version)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
	if src, err = tzsplit.PrefixSource(data, version); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*prefixes, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
