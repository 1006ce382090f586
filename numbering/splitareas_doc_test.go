package numbering

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDocCountsSplitAreas checks the counts the package comment gives for
// the generated split areas: how many there are, and how many North
// American area codes they cover (Idaho's 208, split into several ranges,
// counts once).
func TestDocCountsSplitAreas(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(strings.ReplaceAll(string(b), "//", " ")), " ")
	m := regexp.MustCompile(`The (\d+) split areas of the data \((\d+) North American area codes`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal(`doc.go no longer says "The N split areas of the data (M North American area codes": update this test`)
	}
	areas, _ := strconv.Atoi(m[1])
	nanp, _ := strconv.Atoi(m[2])
	codes := map[string]bool{}
	for prefix := range splitAreas {
		if strings.HasPrefix(prefix, "1") && len(prefix) >= 4 {
			codes[prefix[1:4]] = true
		}
	}
	if areas != len(splitAreas) {
		t.Errorf("doc.go says %d split areas; splitAreas has %d", areas, len(splitAreas))
	}
	if nanp != len(codes) {
		t.Errorf("doc.go says %d North American area codes; splitAreas covers %d", nanp, len(codes))
	}
}
