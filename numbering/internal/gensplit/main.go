// Command gensplit writes numbering's table of split areas
// (splitareas.go) from the time-zone data of the
// github.com/nyaruka/phonenumbers version in go.mod. Run it with
// `go generate ./numbering` after changing that version;
// numbering's TestSplitAreasMatchLibrary fails until it is run.
package main

import (
	"flag"
	"log"
	"os"

	"github.com/dialgate/dialgate/numbering/internal/tzsplit"
)

func main() {
	out := flag.String("o", "splitareas.go", "file to write")
	flag.Parse()
	areas, version, err := tzsplit.Load()
	if err != nil {
		log.Fatal(err)
	}
	src, err := tzsplit.Source(areas, version)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
