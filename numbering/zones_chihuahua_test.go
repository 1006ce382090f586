package numbering

import (
	"slices"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestZonesChihuahuaState: the whole state of Chihuahua keeps UTC−06:00
// all year since 2022 (America/Chihuahua), its border strip aside
// (Ciudad Juárez, +52 656, on US Mountain time: America/Ciudad_Juarez;
// Ojinaga, +52 626, on US Central time: America/Ojinaga), but the data
// still gives most of the state's area codes America/Mazatlan (UTC−07:00
// all year), alone or with Ojinaga: 20:30 in Mazatlán is 21:30 in
// Delicias. Only Chihuahua city (+52 614) was fixed. Each area code the
// data places in Chihuahua gets America/Chihuahua as well (the data's
// zones stay: the border strip keeps Mazatlán's offset in winter).
func TestZonesChihuahuaState(t *testing.T) {
	for _, num := range []string{
		"+526141234567", // Chihuahua city
		"+526211234567", // Chihuahua
		"+526251234567", // Cuauhtémoc
		"+526271234567", // Parral
		"+526281234567", // Chihuahua
		"+526291234567", // Jiménez
		"+526351234567", // Chihuahua
		"+526361234567", // Nuevo Casas Grandes
		"+526391234567", // Delicias
		"+526481234567", // Camargo
		"+526491234567", // Chihuahua/Durango
		"+526521234567", // Madera
		"+526571234567", // Chihuahua
		"+526591234567", // Chihuahua
	} {
		got := LookupZones(dialgate.MustParseNumber(num)).Zones()
		if !slices.Contains(got, "America/Chihuahua") && !slices.Contains(got, "America/Mexico_City") {
			t.Errorf("zones of %s = %v: no zone of UTC−06:00 all year (America/Chihuahua)", num, got)
		}
	}
	// The border strip keeps its own zones.
	for num, zone := range map[string]string{"+526561234567": "America/Ciudad_Juarez", "+526261234567": "America/Ojinaga"} {
		if got := LookupZones(dialgate.MustParseNumber(num)).Zones(); !slices.Contains(got, zone) {
			t.Errorf("zones of %s = %v: missing %s", num, got, zone)
		}
	}
}
