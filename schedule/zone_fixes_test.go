package schedule

import (
	"context"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestWindowsWhereTheDataMisplacesACountry: a callee is judged in the
// zones its place keeps, not only in the one libphonenumber gives. A
// Kaliningrad line (+7 4012) is Europe/Bucharest in the data, an hour
// ahead of Kaliningrad in summer, and a Russian mobile may be there too;
// an Indonesian mobile (+62 8…) is Jakarta and Makassar in the data, but
// may be in Papua (Asia/Jayapura), two hours ahead of Jakarta; Morocco is
// Atlantic/Canary, an hour behind Casablanca in winter; Chihuahua city
// (+52 614) is America/Mazatlan, an hour behind America/Chihuahua; an
// Australian mobile of a range the library's metadata cannot type is
// looked up by prefix, and the data's +61 4 says Australia/Sydney. Each dial
// below is inside 08:00–21:00 in the data's zones and outside it where
// the callee may be.
func TestWindowsWhereTheDataMisplacesACountry(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{daily("08:00-21:00")}})
	for _, tt := range []struct{ to, at, where string }{
		// 08:30 in Bucharest (EEST), 07:30 in Kaliningrad.
		{"+74012123456", "2026-07-15T05:30:00Z", "Kaliningrad"},
		{"+79161234567", "2026-07-15T05:30:00Z", "Kaliningrad"},
		// 19:30 in Jakarta, 20:30 in Makassar, 21:30 in Jayapura.
		{"+6281234567890", "2026-07-15T12:30:00Z", "Jayapura"},
		// 20:30 in the Canaries (WET) on a January evening, 21:30 in
		// Casablanca.
		{"+212522123456", "2027-01-13T20:30:00Z", "Casablanca"},
		// 20:30 in Mazatlán, 21:30 in Chihuahua.
		{"+526141234567", "2026-07-16T03:30:00Z", "Chihuahua"},
		// The rest of Chihuahua state keeps Chihuahua city's time: 20:30
		// in Mazatlán is 21:30 in Delicias (+52 639) and Nuevo Casas
		// Grandes (+52 636), which the data gives Mazatlán alone.
		{"+526391234567", "2026-07-16T03:30:00Z", "Delicias"},
		{"+526361234567", "2027-01-14T03:30:00Z", "Nuevo Casas Grandes"},
		// An Australian mobile of a range the library cannot type: 09:00
		// in Sydney (AEDT), 06:00 in Perth.
		{"+61441234567", "2027-01-13T22:00:00Z", "Perth"},
	} {
		d := dialgate.Dial{To: dialgate.MustParseNumber(tt.to), Purpose: dialgate.PurposeMarketing, At: at(t, tt.at)}
		rs, err := w.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 || rs[0].Code != dialgate.CodeOutsideWindow {
			t.Errorf("%s at %s (outside the window in %s): %v, want %s", tt.to, tt.at, tt.where, rs, dialgate.CodeOutsideWindow)
		}
	}
}
