package scenariostores_test

import (
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/scenariostores"
)

// FuzzParse: Parse never panics; an error it returns never quotes a URL
// (no "@", no "://" but the "://…" of a scheme it names), so it can be
// printed even when the spec holds a password; a Config it returns comes
// back from the spec it stands for, and its String names no URL.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"bolt", "memory", "", "+", "=", "bolt+redis=redis://x",
		"postgres=postgres://u:s3cret@db:5432/x?sslmode=disable",
		"redis=redis://:s3cret@127.0.0.1:6379/3+postgres=postgres://u:p+q@db/x",
		"postgres=postgres://u:s3cret@db/x+redis=", "postgres://u:s3cret@db/x",
		"mysql=mysql://u:s3cret@db/x", "postgres=host=db password=s3cret+postgres=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		c, err := scenariostores.Parse(spec)
		if err != nil {
			msg := strings.ReplaceAll(err.Error(), "://…", "")
			if strings.Contains(msg, "@") || strings.Contains(msg, "://") {
				t.Fatalf("Parse(%q): the error quotes a URL: %v", spec, err)
			}
			return
		}
		var parts []string
		if c.Redis != "" {
			parts = append(parts, "redis="+c.Redis)
		}
		if c.Postgres != "" {
			parts = append(parts, "postgres="+c.Postgres)
		}
		again := "bolt"
		if len(parts) > 0 {
			again = strings.Join(parts, "+")
		}
		if got, err := scenariostores.Parse(again); err != nil || got != c {
			t.Fatalf("Parse(%q) = %+v; its spec %q parses as %+v, %v", spec, c, again, got, err)
		}
		if k := c.String(); strings.Contains(k, "://") || strings.Contains(k, "@") {
			t.Fatalf("Config(%q).String() = %q names a URL", spec, k)
		}
	})
}
