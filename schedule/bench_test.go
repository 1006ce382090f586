package schedule

import (
	"context"
	"testing"

	"github.com/dialgate/dialgate"
)

// BenchmarkWindowCheck measures the allowed path (the common case): a +86
// mobile inside the cn windows, and a NANP number with two candidate zones.
func BenchmarkWindowCheck(b *testing.B) {
	w := mustCheck(b, cnConfig())
	ctx := context.Background()
	for _, bc := range []struct{ name, to, at string }{
		{"cn", cnMobile, "2026-12-04T10:00:00+08:00"},
		{"nanp-2zones", sdNumber, "2026-06-10T21:00:00Z"},
	} {
		d := dialgate.Dial{To: dialgate.MustParseNumber(bc.to), Purpose: dialgate.PurposeService, At: at(b, bc.at)}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rs, _, _ := w.Attest(ctx, d); len(rs) != 0 {
					b.Fatal("denied")
				}
			}
		})
		// AttestUntil, as the Gate calls it: also the end of the window.
		b.Run(bc.name+"/until", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rs, _, _, _ := w.AttestUntil(ctx, d); len(rs) != 0 {
					b.Fatal("denied")
				}
			}
		})
	}
}

// BenchmarkWindowCheckDenied measures the deny path, which also searches for
// the next allowed instant and formats evidence.
func BenchmarkWindowCheckDenied(b *testing.B) {
	w := mustCheck(b, cnConfig())
	d := dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeService, At: at(b, "2026-12-04T22:30:00+08:00")}
	b.ReportAllocs()
	for b.Loop() {
		if rs, _, _ := w.Attest(context.Background(), d); len(rs) == 0 {
			b.Fatal("allowed")
		}
	}
}
