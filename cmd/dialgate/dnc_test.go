package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const listWithBadLine = "+8613800138000\n# a comment\n\n8613800138001\nnot-a-number\n+8613800138002\n"

func TestDNCImport(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	bad := writeFile(t, dir, "refusals.txt", listWithBadLine)
	csv := writeFile(t, dir, "crm.csv", "id,phone\n1,+8613800138003\n2,13800138004\n")
	// listWithBadLine writes one number without "+" that starts with its
	// country code: --international says so.
	imp := []string{"--data", data, "dnc", "import", "--scope", "industry:finance", "--list", "opt_out", "--at", "2026-01-01T00:00:00+08:00", "--international"}

	// A bad line rejects the whole import, naming file and line.
	code, out, errs := runCLI(t, "", append(imp, csv, bad)...)
	if code != 2 || !strings.Contains(errs, bad+":5: invalid number") || !strings.Contains(errs, "nothing imported") || out != "" {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(data, "dialgate.db")); !os.IsNotExist(err) {
		t.Fatalf("a rejected import created the store: %v", err)
	}
	// The CSV file alone: the national number without + is bad (no --country-code).
	if code, _, errs := runCLI(t, "", append(imp, "--column", "1", csv)...); code != 2 || !strings.Contains(errs, csv+":3:") {
		t.Fatalf("csv: exit %d, %s", code, errs)
	}
	// --skip-bad imports the rest and still reports the bad line.
	code, out, errs = runCLI(t, "", append(imp, "--skip-bad", bad)...)
	if code != 0 || !strings.Contains(out, "imported 3 numbers") || !strings.Contains(out, "held until 2027-01-01T00:00:00+08:00") ||
		!strings.Contains(out, "1 malformed line skipped") || !strings.Contains(errs, bad+":5:") {
		t.Fatalf("skip-bad: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// CSV with a column and a country code, as JSON.
	code, out, _ = runCLI(t, "", "--data", data, "dnc", "import", "--scope", "tenant:acme", "--list", "internal", "--source", "crm-export",
		"--column", "1", "--country-code", "86", "--json", "--at", "2026-02-01T00:00:00+08:00", csv)
	var res importResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if res.Imported != 2 || res.Rejected || len(res.Files) != 1 || res.Files[0].Skipped != 1 || res.Scope != "tenant:acme" {
		t.Errorf("json result %+v", res)
	}

	// lookup: every scope of the number, exit 0 when listed, 1 when not.
	code, out, _ = runCLI(t, "", "--data", data, "dnc", "lookup", "+8613800138000")
	if code != 0 || !strings.Contains(out, "LISTED") || !strings.Contains(out, "list opt_out, scope industry:finance, source import:refusals.txt") {
		t.Errorf("lookup: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "--data", data, "dnc", "lookup", "--json", "+8613800138003")
	var lr lookupResult
	if err := json.Unmarshal([]byte(out), &lr); err != nil || code != 0 || !lr.Listed || len(lr.Entries) != 1 || lr.Entries[0].Source != "crm-export" {
		t.Errorf("lookup json: exit %d %v %+v", code, err, lr)
	}
	if code, out, _ := runCLI(t, "", "--data", data, "dnc", "lookup", "+8613800138009"); code != 1 || !strings.Contains(out, "not listed") {
		t.Errorf("lookup unlisted: exit %d\n%s", code, out)
	}

	// The check command decides on the same store: the refusal denies.
	code, out, errs = runCLIAt(t, time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("", 8*3600)), `{"to":"+8613800138000","from":"+861058001234","purpose":"service","industry":"finance","lead_id":"x"}`,
		"--data", data, "check", "--json")
	if code != 1 || !strings.Contains(out, `"dnc.listed"`) {
		t.Errorf("check after import: exit %d\n%s\n%s", code, out, errs)
	}
}

// TestDNCNationalNumbersNeedCountryCode: a list holding a number written
// without "+" is refused (exit 2, naming --country-code and the first such
// line, nothing written) unless --country-code says the numbers are national
// or --international says they start with their country code. Read as
// international without being asked, a US registry's 2125550100 became
// +212 5550100 (Morocco) and the snapshot listed no US callee.
func TestDNCNationalNumbersNeedCountryCode(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	list := writeFile(t, dir, "registry.txt", "# US registry\n+12125550199\n2125550100\n2125550101\n")
	out := filepath.Join(dir, "us.dnc")
	build := []string{"dnc", "build", "--out", out, "--name", "us-national-dnc", "--as-of", "2026-06-01T00:00:00Z"}
	imp := []string{"--data", data, "dnc", "import", "--scope", "global", "--list", "opt_out"}
	for _, c := range []struct {
		args []string
		what string
	}{
		{append(build, list), "no snapshot written"},
		{append(build, "--skip-bad", "--json", list), "no snapshot written"},
		{append(imp, list), "nothing imported"},
		{append(imp, "--skip-bad", "--json", list), "nothing imported"},
	} {
		code, stdout, errs := runCLI(t, "", c.args...)
		if code != 2 || !strings.Contains(errs, list+":3: ") || !strings.Contains(errs, "--country-code") ||
			!strings.Contains(errs, "--international") || !strings.Contains(errs, "ambiguous") || !strings.Contains(errs, c.what) {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 2 naming %s:3, --country-code and --international", c.args, code, stdout, errs, list)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused build wrote %s", out)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a refused import made the data directory %s", data)
	}
	if code, _, errs := runCLI(t, "", append(build, "--country-code", "1", "--international", list)...); code != 2 || !strings.Contains(errs, "--international and --country-code exclude each other") {
		t.Errorf("both flags: exit %d %s", code, errs)
	}

	// --country-code 1: the national numbers are US numbers.
	if code, _, errs := runCLI(t, "", append(build, "--country-code", "1", list)...); code != 0 {
		t.Fatalf("build --country-code 1: exit %d %s", code, errs)
	}
	if code, stdout, _ := runCLI(t, "", "dnc", "lookup", "--snapshot", out, "+12125550100"); code != 0 || !strings.Contains(stdout, ": listed") {
		t.Errorf("--country-code 1 did not list +12125550100: exit %d\n%s", code, stdout)
	}
	// --international: the operator says they start with their country
	// code; a North American national number is still ambiguous (Morocco's
	// +212 555 0100, or New York's +1 212 555 0100?) and a bad line.
	if code, _, errs := runCLI(t, "", append(build, "--international", list)...); code != 2 || !strings.Contains(errs, list+":3: ") || !strings.Contains(errs, "ambiguous") {
		t.Fatalf("build --international of North American national numbers: exit %d %s, want 2 naming line 3 as ambiguous", code, errs)
	}
	intl := writeFile(t, dir, "intl.txt", "# DE\n4930123456\n")
	if code, _, errs := runCLI(t, "", append(build, "--international", intl)...); code != 0 {
		t.Fatalf("build --international: exit %d %s", code, errs)
	}
	if code, stdout, _ := runCLI(t, "", "dnc", "lookup", "--snapshot", out, "+4930123456"); code != 0 || !strings.Contains(stdout, ": listed") {
		t.Errorf("--international did not list +4930123456: exit %d\n%s", code, stdout)
	}
	if code, stdout, errs := runCLI(t, "", append(imp, "--country-code", "1", list)...); code != 0 || !strings.Contains(stdout, "imported 3 numbers") {
		t.Errorf("import --country-code 1: exit %d %s %s", code, stdout, errs)
	}
	// A list of numbers written with "+" needs neither flag.
	plus := writeFile(t, dir, "plus.txt", "+12125550100\n")
	if code, _, errs := runCLI(t, "", append(imp, plus)...); code != 0 {
		t.Errorf("import of + numbers: exit %d %s", code, errs)
	}
}

func TestDNCImportErrors(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "l.txt", "+8613800138000\n")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"dnc", "import", "--list", "x", f}, "--scope: missing"},
		{[]string{"dnc", "import", "--scope", "region:x", "--list", "x", f}, "--scope: scope \"region:x\": unknown kind"},
		{[]string{"dnc", "import", "--scope", "global", f}, "--list: must be 1 to 128 bytes"},
		{[]string{"dnc", "import", "--scope", "global", "--list", "x", "--at", "soon", f}, `--at: "soon" is not an RFC 3339 time`},
		{[]string{"dnc", "import", "--scope", "global", "--list", "x", "--country-code", "1000", f}, "--country-code: 1000"},
		{[]string{"dnc", "import", "--scope", "global", "--list", "x", filepath.Join(dir, "nosuch.txt")}, "nosuch.txt: no such file"},
		{[]string{"dnc", "import", "--scope", "global", "--list", "x", dir}, "is a directory"},
		{[]string{"dnc", "import", "--scope", "global", "--list", "x", "--profile", "xx", f}, "--profile:"},
		{[]string{"dnc", "import", "--scope", "global", "--list", "x"}, "requires at least 1 arg"},
		{[]string{"dnc", "build", "--name", "r", "--as-of", "2026-06-01T00:00:00Z", f}, "--out: missing"},
		{[]string{"dnc", "build", "--out", filepath.Join(dir, "o.dnc"), "--as-of", "2026-06-01T00:00:00Z", f}, "--name: missing"},
		{[]string{"dnc", "build", "--out", filepath.Join(dir, "o.dnc"), "--name", "r", f}, "--as-of: missing"},
		{[]string{"dnc", "build", "--out", filepath.Join(dir, "o.dnc"), "--name", "r", "--as-of", "2026-06-01T00:00:00Z", "--scope", "x", f}, "--scope:"},
		// A copy cannot be current as of an instant after it is built: a
		// typo in the year would keep it "fresh" a year too long.
		{[]string{"dnc", "build", "--out", filepath.Join(dir, "o.dnc"), "--name", "r", "--as-of", "2999-06-01T00:00:00Z", f}, "--as-of: 2999-06-01T00:00:00Z is in the future"},
		{[]string{"dnc", "info"}, "accepts 1 arg"},
		{[]string{"dnc", "info", filepath.Join(dir, "nosuch.dnc")}, "no such file"},
		{[]string{"dnc", "lookup", "+86abc"}, "NUMBER: invalid number"},
		{[]string{"dnc", "lookup", "--snapshot", f, "+8613800138000"}, "corrupt snapshot"},
	} {
		code, _, errs := runCLI(t, "", tt.args...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("dialgate %s: exit %d, stderr %q, want 2 and %q", strings.Join(tt.args, " "), code, errs, tt.want)
		}
	}
}

func TestDNCBuildInfoLookup(t *testing.T) {
	dir := t.TempDir()
	list := writeFile(t, dir, "reg.txt", listWithBadLine)
	more := writeFile(t, dir, "more.csv", "phone\n2125550123\n+8613800138000\n")
	out := filepath.Join(dir, "reg.dnc")
	build := []string{"dnc", "build", "--out", out, "--name", "cn-platform-finance", "--scope", "industry:finance", "--as-of", "2026-06-01T00:00:00+08:00", "--country-code", "1"}

	// A bad line fails the build and writes nothing.
	code, _, errs := runCLI(t, "", append(build, list, more)...)
	if code != 2 || !strings.Contains(errs, list+":5:") || !strings.Contains(errs, "no snapshot written") {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a failed build wrote %s", out)
	}
	// Read with --country-code 1, the list's "8613800138001" is +1 861 …,
	// 13 digits after +1: no North American number, so a malformed line
	// rather than a listing no dial ever matches.
	code, stdout, errs := runCLI(t, "", append(build, "--skip-bad", list, more)...)
	if code != 0 || !strings.Contains(stdout, "count:         3") || !strings.Contains(stdout, "4 numbers, 3 distinct, 2 malformed") ||
		!strings.Contains(errs, list+":4: dialgate: invalid number: not a possible number: a North American (+1) number has 10 digits") {
		t.Fatalf("build: exit %d\n%s\n%s", code, stdout, errs)
	}
	// The same lists built through many sorted runs give the same body.
	small := filepath.Join(dir, "small.dnc")
	code, stdout, _ = runCLI(t, "", "dnc", "build", "--json", "--skip-bad", "--chunk-numbers", "1", "--temp-dir", dir, "--out", small, "--name", "cn-platform-finance",
		"--scope", "industry:finance", "--as-of", "2026-06-01T00:00:00+08:00", "--country-code", "1", list, more)
	var br buildResult
	if err := json.Unmarshal([]byte(stdout), &br); err != nil || code != 0 || br.Runs < 2 || br.Distinct != 3 {
		t.Fatalf("chunked build: exit %d %v %+v", code, err, br)
	}

	// info verifies the file and prints its header.
	code, stdout, _ = runCLI(t, "", "dnc", "info", "--json", out)
	var info snapshotInfo
	if err := json.Unmarshal([]byte(stdout), &info); err != nil || code != 0 {
		t.Fatalf("info: exit %d %v\n%s", code, err, stdout)
	}
	if info.Schema != "dialgate.dnc.snapshot.v2" || len(info.HeaderSHA256) != 64 || info.Count != 3 || info.Name != "cn-platform-finance" || info.Scope != "industry:finance" ||
		len(info.SHA256) != 64 || info.SHA256 != br.Snapshot.SHA256 || info.Source != "reg.txt,more.csv" || info.CreatedAt.IsZero() {
		t.Errorf("info %+v (chunked build sha %s)", info, br.Snapshot.SHA256)
	}
	code, stdout, _ = runCLI(t, "", "dnc", "info", out)
	if code != 0 || !strings.Contains(stdout, "\nsha256:        "+info.SHA256+"\n") || !strings.Contains(stdout, "\nas_of:         2026-06-01T00:00:00+08:00\n") ||
		!strings.Contains(stdout, "\nheader_sha256: "+info.HeaderSHA256+"\n") {
		t.Errorf("info text: exit %d\n%s", code, stdout)
	}
	// Every value starts in one column.
	col := -1
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		label, _, ok := strings.Cut(line, ":")
		rest := line[len(label)+1:]
		at := len(line) - len(strings.TrimLeft(rest, " "))
		if !ok || (col >= 0 && at != col) {
			t.Errorf("info text: %q does not start its value in column %d\n%s", line, col, stdout)
		}
		col = at
	}
	// A truncated or damaged file is an error, never an empty list.
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	trunc := writeFile(t, dir, "trunc.dnc", string(data[:len(data)-8]))
	if code, _, errs := runCLI(t, "", "dnc", "info", trunc); code != 2 || !strings.Contains(errs, "corrupt snapshot") {
		t.Errorf("truncated: exit %d %s", code, errs)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)-1] ^= 0xff
	if code, _, errs := runCLI(t, "", "dnc", "info", writeFile(t, dir, "flip.dnc", string(flipped))); code != 2 || !strings.Contains(errs, "corrupt snapshot") {
		t.Errorf("flipped: exit %d %s", code, errs)
	}

	// lookup in snapshots without a store.
	code, stdout, errs = runCLI(t, "", "dnc", "lookup", "--snapshot", out, "--snapshot", small, "+12125550123")
	if code != 0 || strings.Count(stdout, ": listed") != 2 || !strings.Contains(errs, "no store at") {
		t.Errorf("lookup listed: exit %d\n%s\n%s", code, stdout, errs)
	}
	if code, stdout, _ := runCLI(t, "", "dnc", "lookup", "--snapshot", out, "+12125550124"); code != 1 || !strings.Contains(stdout, "not listed") {
		t.Errorf("lookup unlisted: exit %d\n%s", code, stdout)
	}
}

func TestProgressOnlyOnTerminal(t *testing.T) {
	a := newApp(nil, &strings.Builder{}, &strings.Builder{})
	if a.progress(100, "x") != nil {
		t.Error("a progress bar on a non-terminal stderr")
	}
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is a terminal")
	}
}
