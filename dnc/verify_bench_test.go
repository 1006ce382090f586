package dnc_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// BenchmarkVerifySnapshot1e6 measures what verifying a 10⁶-number snapshot
// costs (the header, its SHA-256, the body's SHA-256 and structure):
// "open" is OpenSnapshot (memory-mapped, as `dialgate serve` loads and
// reloads registry files), "read" is ReadSnapshot from memory, "header" is
// ReadHeader (the header's checks alone). Run it
// before and after a change to the format to see the verification did not
// grow.
func BenchmarkVerifySnapshot1e6(b *testing.B) {
	var buf bytes.Buffer
	if _, err := dnc.WriteSnapshot(&buf, dnc.Header{Name: "reg", CreatedAt: time.Unix(0, 0)}, dnc.NewSet(cnKeys(1_000_000, 2))); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	path := filepath.Join(b.TempDir(), "reg.dnc")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.Run("open", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := dnc.OpenSnapshot(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("header", func(b *testing.B) {
		// ReadHeader: the preamble, the header's SHA-256 and JSON checks
		// alone, what format 2 added a hash to.
		for b.Loop() {
			if _, _, err := dnc.ReadHeader(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := dnc.ReadSnapshot(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
