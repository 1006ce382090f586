// Package numbering knows the numbering plans dialgate needs: China's number
// classes and segments (号段), and the candidate time zones of any number.
//
// [Classify] tells what kind of number a callee or caller ID is — an ordinary
// mobile, an MVNO or satellite mobile, a fixed line with its area code, a "95" or
// "96" customer-service code, a "400" shared-cost or "800" free-phone number, a
// "106" SMS port, or an international (non-+86) number — and its segment: the
// first 7 national digits of a mobile (each holds 10,000 numbers), the area code
// and the first 3 or 4 local digits of a fixed line (the digits before the last
// four). A number outside +86 has the E.164 digits before its last four as
// its segment: for a 10-digit North American (+1) number, its NPA-NXX (see
// [Segment]). Sweep detection groups dials by segment and looks at the last four
// digits ([Info.Suffix]). Classify is pure, allocation-free and safe for
// concurrent use. It takes any fixed-line shape (an area code in range, 7
// or 8 local digits) so that a callee of an odd shape keeps a segment;
// [AssignedFixedLine] tells whether a fixed line is one of the plan (an area
// code in use, the length of its area's lines), as a caller ID must be.
//
// [Zones] returns the IANA time zones a number may be in, from the
// libphonenumber data (github.com/nyaruka/phonenumbers). A number whose area
// spans several zones (some North American area codes) has several; the
// calling-window check then allows only the intersection of their windows.
// The data gives such an area one default zone and lists the exchanges (or
// blocks) it knows to differ; a number of an exchange it does not list gets
// every zone the area serves (REQUIREMENTS §4: +1 219 555 … is judged in
// New York and Chicago, +1 219 226 …, listed, in Chicago alone). The 95
// split areas of the data (23 North American area codes, Idaho's 208 as
// several ranges among them, +61 2 with Lord Howe Island, +61 7, +61 8,
// parts of +52, +55, +62, +7 and others) are generated from the data by
// `go generate` (internal/gensplit) and checked against it by the tests.
// Where that data is known to be coarser than the clocks, zones are added
// (fail closed): a geographic +61 7 number (Queensland, which keeps standard
// time all year; the data says Australia/Sydney for most of the range) is
// judged in Australia/Brisbane as well, a +61 8 range it places in
// Sydney in Adelaide and Perth as well, and a +61 8 89 one (the Northern
// Territory, which the data places in Adelaide and Perth) and an
// Australian mobile (every zone of the country in the data but Darwin's)
// in Australia/Darwin as well; a +1 867 exchange the data places in
// Vancouver (Yukon, UTC−07:00 all year since 2020) in America/Whitehorse as
// well, and one it does not list (the area code's America/Fort_Nelson) in
// every zone of Yukon, the Northwest Territories and Nunavut; a number of
// an overlay area code of a split area (+1 930 of 812, 364 of 270, 448 of
// 850, 458 of 541, 236, 672, 778 and 257 of 250, 581 and 367 of 418, 879
// of 709, 986 of 208), to which the data gives its parent's default zone
// alone, in every zone of the parent; a +1 689 number (Orlando, which the
// data places in Chicago) in New York as well, a +1 474 one (Saskatchewan, placed in Winnipeg) in Regina
// as well, and a +1 306 825 one (Lloydminster, Saskatchewan, on Alberta's
// time) in Edmonton as well; exchanges the data lists in one zone they do
// not keep — Unalaska (+1 907 581) in Honolulu, British Columbia's Peace
// River and Creston in Edmonton — in their own zones as well; a
// Kaliningrad line (+7 401, placed in Bucharest, an hour ahead in summer)
// and a Russian mobile in Europe/Kaliningrad as well, and an Indonesian
// mobile (+62 8, placed in Jakarta and Makassar) in every zone of
// Indonesia, a Moroccan number (placed in the Canaries) in
// Africa/Casablanca and a Chihuahua state one (+52 614, 639 …, placed in Mazatlán)
// in America/Chihuahua as well, and a +61 4 number the metadata does not
// type as mobile (looked up by prefix: Sydney) in every zone of Australia;
// and a +33
// number of a French overseas range in its territory's zone as well as in
// Paris.
// Results are cached in a fixed-size, lock-free table, so a repeated lookup
// costs no allocation. A lookup that misses the cache (a national list of
// distinct numbers misses on nearly every one) calls no library function
// either: the number's type, which decides between its area's zones and
// its country's, is worked out from libphonenumber's metadata with each
// pattern compiled once, on a country code's first number, into an
// automaton over the digits (≈ 10 ms and a few hundred kilobytes for +1),
// and each prefix of the data has its zones worked out once
// (tzprefixes.go, generated with splitareas.go). The answers are the
// library's own: the tests compare both with the library's Parse,
// GetNumberType and GetTimezonesForPrefix on numbers of every country code.
//
// Sources: REQUIREMENTS.md §3 — MIIT 网号及H0分配 (2023) for mobile network codes
// (MVNO-only 170, 171, 162, 165, 167; satellite 174, 1349, 1619) [R]; the
// 95/96/400/800/106 number kinds [S]; the fixed-line segment convention [U];
// the NANP NPA-NXX segment (a central-office code holds 10,000 line numbers)
// [U].
package numbering
