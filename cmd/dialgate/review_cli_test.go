package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDNCTextFlagsMustBeUTF8: dnc import and dnc build stored --scope,
// --list, --source and --name with invalid UTF-8 (a GBK terminal's
// "industry:金融"), and reported success; the stores keep JSON text, so the
// bytes came back as U+FFFD: an opt-out imported under such a scope applied
// to no dial at all, silently. Each is refused, naming the flag, and nothing
// is written.
func TestDNCTextFlagsMustBeUTF8(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	list := writeFile(t, dir, "list.txt", "+8613800138000\n")
	for _, tc := range []struct{ flag, value string }{
		{"--scope", "industry:\xbd\xf0\xc8\xda"},
		{"--list", "opt\xffout"},
		{"--source", "crm\xff"},
	} {
		// Each flag once: a flag given twice is refused as such.
		args := withFlag([]string{"--data", data, "dnc", "import", "--scope", "global", "--list", "opt_out", list}, tc.flag, tc.value)
		code, out, errs := runCLI(t, "", args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.flag+": not valid UTF-8") {
			t.Errorf("dnc import %s %q: exit %d\nstdout:\n%s\nstderr:\n%s", tc.flag, tc.value, code, out, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "dialgate.db")); !os.IsNotExist(err) {
		t.Errorf("a refused import created the store: %v", err)
	}
	snap := filepath.Join(dir, "x.snap")
	for _, tc := range []struct{ flag, value string }{
		{"--name", "us-\xffdnc"},
		{"--scope", "industry:\xbd\xf0"},
		{"--source", "ftc\xff"},
	} {
		args := withFlag([]string{"dnc", "build", "--out", snap, "--name", "n", "--as-of", "2026-12-01T00:00:00Z", list}, tc.flag, tc.value)
		code, out, errs := runCLI(t, "", args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.flag+": not valid UTF-8") {
			t.Errorf("dnc build %s %q: exit %d\nstdout:\n%s\nstderr:\n%s", tc.flag, tc.value, code, out, errs)
		}
	}
	if _, err := os.Stat(snap); !os.IsNotExist(err) {
		t.Errorf("a refused build wrote the snapshot: %v", err)
	}
}

// TestRecordingsTextFlagsMustBeUTF8: a hold named with invalid UTF-8 was
// stored as U+FFFD, so `recordings release --hold` with the same name found
// no such hold: a hold nobody could release. Such names are refused.
func TestRecordingsTextFlagsMustBeUTF8(t *testing.T) {
	data := t.TempDir()
	reg := []string{"--data", data, "recordings", "register", "--number", "+8613900139000", "--started-at", "2026-12-01T09:00:00+08:00", "--at", "2026-12-01T10:00:00+08:00"}
	if code, out, errs := runCLI(t, "", append(reg, "--id", "r\xff")...); code != 2 || !strings.Contains(errs, "--id: not valid UTF-8") {
		t.Errorf("register --id r\\xff: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", append(reg, "--id", "r1", "--tenant", "ac\xffme")...); code != 2 || !strings.Contains(errs, "--tenant: not valid UTF-8") {
		t.Errorf("register --tenant: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", append(reg, "--id", "r1")...); code != 0 {
		t.Fatalf("register: exit %d\n%s%s", code, out, errs)
	}
	hold := []string{"--data", data, "recordings", "hold", "r1", "--at", "2026-12-01T11:00:00+08:00"}
	if code, out, errs := runCLI(t, "", append(hold, "--hold", "lit\xff")...); code != 2 || !strings.Contains(errs, "--hold: not valid UTF-8") {
		t.Errorf("hold --hold lit\\xff: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", append(hold, "--hold", "lit", "--reason", "court\xff")...); code != 2 || !strings.Contains(errs, "--reason: not valid UTF-8") {
		t.Errorf("hold --reason: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "show", "r1"); code != 0 || !strings.Contains(out, "holds []") {
		t.Errorf("a refused hold was placed: exit %d\n%s%s", code, out, errs)
	}
}

// TestDNCBuildOutIsADirectory: --out naming a directory wrote the temporary
// file into the directory's parent and then failed (exit 1) with "rename
// /.x.tmp /tmp: file exists". It is bad input, said before anything is
// read or written; so is an --out whose directory does not exist, and a
// --temp-dir that is not a directory.
func TestDNCBuildOutIsADirectory(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "snaps")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	list := writeFile(t, dir, "list.txt", "+8613800138000\n")
	build := []string{"dnc", "build", "--name", "n", "--as-of", "2026-12-01T00:00:00Z", list}
	code, stdout, errs := runCLI(t, "", append(build, "--out", out)...)
	if code != 2 || stdout != "" || !strings.Contains(errs, "--out: "+out+" is a directory") {
		t.Errorf("--out DIR: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, errs)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left %s in %s", e.Name(), dir)
		}
	}
	missing := filepath.Join(dir, "nosuch", "x.snap")
	code, stdout, errs = runCLI(t, "", append(build, "--out", missing)...)
	if code != 2 || stdout != "" || !strings.Contains(errs, "--out: ") || !strings.Contains(errs, filepath.Join(dir, "nosuch")) {
		t.Errorf("--out in a missing directory: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, errs)
	}
	code, stdout, errs = runCLI(t, "", append(build, "--out", filepath.Join(dir, "x.snap"), "--temp-dir", filepath.Join(dir, "nosuch"))...)
	if code != 2 || stdout != "" || !strings.Contains(errs, "--temp-dir: ") {
		t.Errorf("--temp-dir missing: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, errs)
	}
}

// TestInputIsADirectory: a directory given where a file is read was reported
// as "mmap DIR: no such device" (snapshots), or as a failure (exit 1) of
// screen; it is bad input naming the flag or argument.
func TestInputIsADirectory(t *testing.T) {
	dir := t.TempDir()
	list := writeFile(t, dir, "list.txt", "+8613800138000\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dnc", "info", dir}, dir + ": is a directory"},
		{[]string{"dnc", "lookup", "+8613800138000", "--snapshot", dir}, "--snapshot: " + dir + ": is a directory"},
		{[]string{"screen", list, "--dnc", dir}, "--dnc: " + dir + ": is a directory"},
		{[]string{"screen", dir}, "FILE: " + dir + ": is a directory"},
		{[]string{"check", "--to", "+8613800138000", "--purpose", "service", "--lead-id", "x", "--registry", dir}, "--registry: " + dir + ": is a directory"},
	} {
		code, out, errs := runCLI(t, "", tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("dialgate %s: exit %d\nstdout:\n%s\nstderr:\n%s\nwant stderr containing %q", strings.Join(tc.args, " "), code, out, errs, tc.want)
		}
	}
}

// TestDataFlagEmpty: --data "" (an unset shell variable) silently meant the
// current directory: a store created, or read, wherever the command ran.
func TestDataFlagEmpty(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	list := writeFile(t, dir, "list.txt", "+8613800138000\n")
	code, out, errs := runCLI(t, "", "--data", "", "dnc", "import", list, "--scope", "global", "--list", "x")
	if code != 2 || out != "" || !strings.Contains(errs, "--data: empty") {
		t.Errorf("--data \"\": exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "dialgate.db")); !os.IsNotExist(err) {
		t.Errorf("--data \"\" created a store in the working directory: %v", err)
	}
}

// TestDNCImportDataNotADirectory: a --data that cannot be a directory is bad
// input (exit 2), as for ledger and consent; dnc import said exit 1.
func TestDNCImportDataNotADirectory(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "afile", "")
	list := writeFile(t, dir, "list.txt", "+8613800138000\n")
	code, out, errs := runCLI(t, "", "--data", file, "dnc", "import", list, "--scope", "global", "--list", "x")
	if code != 2 || out != "" || !strings.Contains(errs, "--data: ") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestDNCLookupFailureIsNotNotListed: dnc lookup follows grep's convention
// (0 listed, 1 listed nowhere), but a store it could not read (locked by a
// running dialgate serve, damaged) also exited 1: a script washing numbers
// with it took "could not look" for "not listed" and dialled. As with grep,
// trouble exits 2, and nothing on stdout says "not listed".
func TestDNCLookupFailureIsNotNotListed(t *testing.T) {
	damaged := t.TempDir()
	if err := os.WriteFile(filepath.Join(damaged, "dialgate.db"), []byte("not a store\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"locked": heldDataDir(t), "damaged": damaged} {
		for _, args := range [][]string{
			{"dnc", "lookup", "+8613900139000"},
			{"dnc", "lookup", "--json", "+8613900139000"},
		} {
			code, out, errs := runCLI(t, "", append([]string{"--data", data}, args...)...)
			if code != 2 || out != "" || !strings.Contains(errs, "--data") || !strings.Contains(errs, "not known") {
				t.Errorf("%s store: dialgate %s: exit %d\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), code, out, errs)
			}
		}
	}
}

// TestDNCBuildNoNumbers: a build that read no number (an empty or truncated
// download, every line malformed under --skip-bad, a wrong --column) wrote a
// valid, fresh snapshot of zero numbers: loaded by dialgate serve as the
// registry's current copy it listed no one, and every dial the registry
// forbids was allowed. It is refused, and no file is written.
func TestDNCBuildNoNumbers(t *testing.T) {
	dir := t.TempDir()
	empty := writeFile(t, dir, "empty.txt", "")
	comments := writeFile(t, dir, "comments.txt", "# exported 2026-12-01\n\n")
	allBad := writeFile(t, dir, "bad.csv", "id,phone\n1,n/a\n2,unknown\n")
	out := filepath.Join(dir, "us.dnc")
	for _, args := range [][]string{
		{empty},
		{comments},
		{"--skip-bad", "--column", "1", allBad},
		{"--json", "--skip-bad", "--column", "1", allBad},
		{empty, comments},
	} {
		full := append([]string{"dnc", "build", "--out", out, "--name", "us-national-dnc", "--as-of", "2026-12-01T00:00:00Z"}, args...)
		code, stdout, errs := runCLI(t, "", full...)
		if code != 2 || !strings.Contains(errs, "no numbers") {
			t.Errorf("dialgate %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(full, " "), code, stdout, errs)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("dialgate %s wrote %s: %v", strings.Join(full, " "), out, err)
		}
	}
}

// TestConsentRevokeFutureAt: `consent revoke --at` after the real clock (a
// wrong year, a wrong zone offset) was stored as the withdrawal's instant:
// the record and its history said the person withdrew in 2099, and a later
// revoke with the right time changed nothing (the first withdrawal stands).
// A withdrawal is never refused for its instant: it is recorded as of now,
// and the command says so.
func TestConsentRevokeFutureAt(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	for _, id := range []string{"c-1", "c-2"} {
		if code, out, errs := run("consent", "add", "--id", id, "--number", "+8613900139000", "--scope", "industry:finance",
			"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00"); code != 0 {
			t.Fatalf("add %s: %d %q %q", id, code, out, errs)
		}
	}
	before := time.Now().Add(-time.Second)
	code, out, errs := run("consent", "revoke", "c-1", "--at", "2099-01-01T00:00:00Z")
	if code != 0 || !strings.Contains(out, "revoked consent c-1 at ") || !strings.Contains(out, "--at 2099-01-01T00:00:00Z is in the future") {
		t.Fatalf("revoke --at 2099: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, errs = run("consent", "revoke", "c-2", "--at", "2099-01-01T00:00:00Z", "--json")
	var got struct {
		RevokedAt   time.Time `json:"revoked_at"`
		RequestedAt time.Time `json:"requested_at"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || !got.RequestedAt.Equal(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("revoke --json --at 2099: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, errs = run("consent", "show", "--json", "+8613900139000")
	var recs []struct {
		ID        string    `json:"id"`
		RevokedAt time.Time `json:"revoked_at"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 2 {
		t.Fatalf("show: exit %d\n%s%s", code, out, errs)
	}
	for _, r := range recs {
		if r.RevokedAt.Before(before) || r.RevokedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("%s revoked_at %s, want the time of the revoke (about %s)", r.ID, r.RevokedAt, before)
		}
	}
}

// TestJSONInputTooLarge: check --json and consent add --from-json read at
// most 1 MiB; a larger input was cut there and then misreported ("stdin:
// empty" for a dial after 1 MiB of blanks, "unexpected end of JSON input"),
// and a --from-json FILE was read whole, however large (/dev/zero: until
// memory ran out). Either is refused as too large, naming the input.
func TestJSONInputTooLarge(t *testing.T) {
	pad := strings.Repeat(" ", 1<<20)
	dial := pad + `{"to":"+8613800138000","purpose":"service","lead_id":"x","at":"2026-12-04T10:00:00+08:00"}`
	code, out, errs := runCLI(t, dial, "check", "--json", "--what-if", "--profile", "testdata/cn-no-callerid.yaml")
	if code != 2 || out != "" || !strings.Contains(errs, "stdin: larger than 1 MiB") {
		t.Errorf("check --json with %d bytes: exit %d\nstdout:\n%s\nstderr:\n%s", len(dial), code, out, errs)
	}
	rec := `{"id":"c-1","number":"+8613900139000","scope":"industry:finance","method":"web_form","disclosure_sha256":"` + cliHash + `","granted_at":"2026-11-01T10:00:00+08:00"}`
	code, out, errs = runCLI(t, pad+rec, "consent", "add", "--from-json", "-")
	if code != 2 || out != "" || !strings.Contains(errs, "--from-json: stdin: larger than 1 MiB") {
		t.Errorf("consent add --from-json - with %d bytes: exit %d\nstdout:\n%s\nstderr:\n%s", len(pad+rec), code, out, errs)
	}
	big := writeFile(t, t.TempDir(), "big.json", pad+rec)
	code, out, errs = runCLI(t, "", "consent", "add", "--from-json", big)
	if code != 2 || out != "" || !strings.Contains(errs, "--from-json: "+big+": larger than 1 MiB") {
		t.Errorf("consent add --from-json FILE of %d bytes: exit %d\nstdout:\n%s\nstderr:\n%s", len(pad+rec), code, out, errs)
	}
}

// TestWriteTimesOutOfRange: the instant a write command records (dnc import
// --at, recordings register --at/--started-at, recordings hold --at) was
// taken as given however absurd: an opt-out dated 2099 (held until 2100,
// its evidence wrong), a year-9999 one failing deep in the store (exit 1,
// "Time.MarshalJSON: year outside of range"), a recording "started" in year
// 0 and kept until 0000-01-31 — deleted by the next sweep. Instants before
// 2000 (a reset clock, as the gate says) and, for these records of what
// happened, after now are bad input naming the flag; nothing is written.
func TestWriteTimesOutOfRange(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	list := writeFile(t, dir, "list.txt", "+8613800138000\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dnc", "import", list, "--scope", "global", "--list", "x", "--at", "2099-01-01T00:00:00Z"}, "--at: 2099-01-01T00:00:00Z is in the future"},
		{[]string{"dnc", "import", list, "--scope", "global", "--list", "x", "--at", "9999-12-31T00:00:00Z"}, "--at: 9999-12-31T00:00:00Z is in the future"},
		{[]string{"dnc", "import", list, "--scope", "global", "--list", "x", "--at", "0000-01-01T00:00:00Z"}, "--at: 0000-01-01T00:00:00Z is before 2000"},
		{[]string{"recordings", "register", "--id", "r-1", "--number", "+8613900139000", "--started-at", "0000-01-01T00:00:00Z", "--at", "0000-01-01T01:00:00Z"}, "--started-at: 0000-01-01T00:00:00Z is before 2000"},
		{[]string{"recordings", "register", "--id", "r-1", "--number", "+8613900139000", "--started-at", "2026-12-01T09:00:00+08:00", "--at", "2099-01-01T00:00:00Z"}, "--at: 2099-01-01T00:00:00Z is in the future"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, tc.args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("dialgate %s: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 2 and %q", strings.Join(tc.args, " "), code, out, errs, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "dialgate.db")); !os.IsNotExist(err) {
		t.Errorf("a refused write created the store: %v", err)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "register", "--id", "r-1", "--number", "+8613900139000", "--started-at", "2026-12-01T09:00:00+08:00"); code != 0 {
		t.Fatalf("register: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := runCLI(t, "", "--data", data, "recordings", "hold", "r-1", "--hold", "lit", "--at", "2099-01-01T00:00:00Z")
	if code != 2 || !strings.Contains(errs, "--at: 2099-01-01T00:00:00Z is in the future") {
		t.Errorf("hold --at 2099: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// An instant before 2000 is refused wherever a time is read.
	code, out, errs = runCLI(t, "", "policy", "lint", "cn", "--at", "1999-12-31T00:00:00Z")
	if code != 2 || !strings.Contains(errs, "--at: 1999-12-31T00:00:00Z is before 2000") {
		t.Errorf("policy lint --at 1999: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestRecordingsNeedAStore: recordings show, hold, release and sweep on a
// --data without a store (a mistyped path) created a store and new keys
// there, then said "recording r-1: not found" (exit 1) or, for sweep,
// "deleted 0" (exit 0): the real store was never looked at. Like consent
// show and ledger show they are bad input naming --data, and create nothing;
// register still creates the store.
func TestRecordingsNeedAStore(t *testing.T) {
	data := filepath.Join(t.TempDir(), "typo")
	for _, args := range [][]string{
		{"recordings", "show", "r-1"},
		{"recordings", "hold", "r-1", "--hold", "lit"},
		{"recordings", "release", "r-1", "--hold", "lit"},
		{"recordings", "sweep"},
		{"recordings", "sweep", "--json"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, "--data: no store at") {
			t.Errorf("dialgate %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Fatalf("dialgate %s created %s: %v", strings.Join(args, " "), data, err)
		}
	}
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "register", "--id", "r-1", "--number", "+8613900139000", "--started-at", "2026-12-01T09:00:00+08:00"); code != 0 {
		t.Fatalf("register: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "show", "r-1"); code != 0 || !strings.Contains(out, "r-1: started") {
		t.Errorf("show after register: exit %d\n%s%s", code, out, errs)
	}
}

// TestConsentRevokeNeedsAStore: consent revoke on a --data without a store
// (a mistyped path) created a store and keys there and said "consent c-1
// not found": the withdrawal looked refused for an unknown id while the real
// store, where the consent is, was never opened. It is bad input naming
// --data, and nothing is created.
func TestConsentRevokeNeedsAStore(t *testing.T) {
	data := filepath.Join(t.TempDir(), "typo")
	code, out, errs := runCLI(t, "", "--data", data, "consent", "revoke", "c-1", "--channel", "sms")
	if code != 2 || out != "" || !strings.Contains(errs, "--data: no store at") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("revoke created %s: %v", data, err)
	}
}

// TestLockedStoreSaysWhat: a store held by a running dialgate serve failed
// with "storage: locked by another process" and no way forward; the message
// names the likely holder and what to do instead.
func TestLockedStoreSaysWhat(t *testing.T) {
	data := heldDataDir(t)
	list := writeFile(t, t.TempDir(), "list.txt", "+8613800138000\n")
	for _, args := range [][]string{
		{"dnc", "import", list, "--scope", "global", "--list", "opt_out"},
		{"dnc", "lookup", "+8613800138000"},
		{"consent", "show", "+8613900139000"},
		{"ledger", "show"},
		{"check", "--to", "+8613800138000", "--purpose", "service", "--lead-id", "x", "--at", "2026-12-04T10:00:00+08:00"},
	} {
		_, _, errs := runCLI(t, "", append([]string{"--data", data}, args...)...)
		if !strings.Contains(errs, "locked") || !strings.Contains(errs, "dialgate serve") {
			t.Errorf("dialgate %s on a held store: stderr %q; want the lock and dialgate serve named", strings.Join(args, " "), errs)
		}
		// dialgate admin has no reads (consent show, ledger show, dnc
		// lookup) and no check: the message said only "make the change
		// through it with dialgate admin", which cannot do them.
		if !strings.Contains(errs, "reads and the other commands need the sidecar stopped") {
			t.Errorf("dialgate %s on a held store: stderr %q; want what to do for a command dialgate admin cannot do", strings.Join(args, " "), errs)
		}
	}
}

// TestConsentAddClockSkew: a consent captured on a host whose clock runs a
// few seconds ahead (the web form's server) was taken, up to a minute
// ahead, as clock skew. It is refused again (session 21), as the sidecar's
// GrantConsent refuses it: a withdrawal recorded before that instant was
// dated before the grant, which then read as consent given again after it
// (TestConsentAddAheadOfClockRefused). The message names the capturing
// host's clock; the grant is accepted once the clock reaches it.
func TestConsentAddClockSkew(t *testing.T) {
	data := t.TempDir()
	add := func(id string, at time.Time) (int, string, string) {
		return runCLI(t, "", "--data", data, "consent", "add", "--id", id, "--number", "+8613900139000", "--scope", "industry:finance",
			"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", at.Format(time.RFC3339))
	}
	if code, out, errs := add("c-1", time.Now().Add(10*time.Second)); code != 2 || !strings.Contains(errs, "the clock of the host that captured it") {
		t.Errorf("granted 10 s ahead: exit %d\n%s%s; want exit 2 naming the capturing host's clock", code, out, errs)
	}
	if code, out, errs := add("c-1", time.Now().Truncate(time.Second)); code != 0 {
		t.Errorf("granted now: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := add("c-2", time.Now().Add(time.Hour)); code != 2 || !strings.Contains(errs, "--granted-at:") || !strings.Contains(errs, "in the future") {
		t.Errorf("granted an hour ahead: exit %d\n%s%s", code, out, errs)
	}
}

// TestConsentExportAuditMissing: an --audit directory given on the command
// line that does not exist (a mistyped path) gave an evidence bundle with no
// decisions and exit 0, as if no decision had relied on the consent. Given
// explicitly, it is bad input; the default (--data/audit) may be missing.
func TestConsentExportAuditMissing(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", "--data", data, "consent", "add", "--id", "c-1", "--number", "+8613900139000", "--scope", "industry:finance",
		"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("add: exit %d\n%s%s", code, out, errs)
	}
	// consent add records its change in --data's audit log: a data
	// directory whose log is gone (never written by this host) is the case.
	if err := os.RemoveAll(filepath.Join(data, "audit")); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "consent", "export", "+8613900139000"); code != 0 || !strings.Contains(out, "no audit log at") {
		t.Errorf("export with the default audit dir missing: exit %d\n%s%s", code, out, errs)
	}
	missing := filepath.Join(t.TempDir(), "host2-audit")
	code, out, errs := runCLI(t, "", "--data", data, "consent", "export", "+8613900139000", "--audit", missing)
	if code != 2 || out != "" || !strings.Contains(errs, "--audit: "+missing) {
		t.Errorf("export --audit MISSING: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	file := writeFile(t, t.TempDir(), "audit.jsonl", "")
	code, out, errs = runCLI(t, "", "--data", data, "consent", "export", "+8613900139000", "--audit", file)
	if code != 2 || out != "" || !strings.Contains(errs, "--audit: "+file) {
		t.Errorf("export --audit FILE: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestMistypedSubcommandFails: a mistyped subcommand of ledger, consent,
// recordings, complaint or report ("dialgate consent revok c-1") printed the
// group's help and exited 0: a script took the revocation that never ran
// for done. Every group refuses an unknown subcommand (exit 2), as dnc and
// policy did; the group alone still prints its help.
func TestMistypedSubcommandFails(t *testing.T) {
	root := newApp(strings.NewReader(""), io.Discard, io.Discard).root()
	for _, c := range root.Commands() {
		if !c.HasSubCommands() {
			continue
		}
		args := []string{c.Name(), "revok", "c-1"}
		code, out, errs := runCLI(t, "", args...)
		if code != 2 || !strings.Contains(errs, `unknown command "revok"`) {
			t.Errorf("dialgate %s: exit %d\nstdout:\n%.200s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
		}
		if code, out, errs := runCLI(t, "", c.Name()); code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("dialgate %s: exit %d\nstdout:\n%.200s\nstderr:\n%s", c.Name(), code, out, errs)
		}
	}
}

// TestDNCCountryCodeMustBeAssigned: --country-code was only range-checked
// (1 to 999), so --country-code 4 (for 44) imported a UK list's
// "02079460000" as +4 0207…, another country's number: exit 0, and the UK
// opt-outs listed no UK callee. screen --country already refused it; dnc
// import and build now do too, and nothing is written.
func TestDNCCountryCodeMustBeAssigned(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	list := writeFile(t, dir, "uk.txt", "02079460000\n07700900123\n")
	out := filepath.Join(dir, "uk.dnc")
	for _, args := range [][]string{
		{"--data", data, "dnc", "import", list, "--scope", "global", "--list", "opt_out", "--country-code", "4"},
		{"dnc", "build", "--out", out, "--name", "uk-tps", "--as-of", "2026-12-01T00:00:00Z", list, "--country-code", "4"},
	} {
		code, stdout, errs := runCLI(t, "", args...)
		if code != 2 || stdout != "" || !strings.Contains(errs, "--country-code: 4 is not an assigned country calling code") {
			t.Errorf("dialgate %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, errs)
		}
	}
	for _, p := range []string{filepath.Join(data, "dialgate.db"), out} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s written: %v", p, err)
		}
	}
	if code, stdout, errs := runCLI(t, "", "--data", data, "dnc", "import", list, "--scope", "global", "--list", "opt_out", "--country-code", "44"); code != 0 {
		t.Errorf("--country-code 44: exit %d\n%s%s", code, stdout, errs)
	}
}

// TestConsentRevokeChannelUTF8: a --channel that is not valid UTF-8 was
// stored as U+FFFD in the record and its history; it is refused naming the
// flag, and the consent stays as it was (the revoke can be given again).
func TestConsentRevokeChannelUTF8(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", "--data", data, "consent", "add", "--id", "c-1", "--number", "+8613900139000", "--scope", "industry:finance",
		"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("add: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := runCLI(t, "", "--data", data, "consent", "revoke", "c-1", "--channel", "\xb6\xcc\xd0\xc5")
	if code != 2 || out != "" || !strings.Contains(errs, "--channel: not valid UTF-8") {
		t.Errorf("revoke --channel GBK: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "consent", "revoke", "c-1", "--channel", "短信"); code != 0 {
		t.Errorf("revoke --channel UTF-8: exit %d\n%s%s", code, out, errs)
	}
}

// TestScreenDNCWashWithoutSweepRules: screen --dnc is the pre-campaign
// do-not-call wash (README), but under a profile without sweep rules (us,
// uk, ca, au, fr: the jurisdictions with national registries) it was
// refused outright, "--profile: us has no sweep.sequential or
// sweep.coverage rule to screen with". With --dnc it washes the list (and
// reports duplicates and invalid lines), saying that no sweep rule applies;
// without --dnc there is still nothing to screen with.
func TestScreenDNCWashWithoutSweepRules(t *testing.T) {
	dir := t.TempDir()
	reg := writeFile(t, dir, "registry.txt", "2125550123\n")
	snap := filepath.Join(dir, "us.dnc")
	if code, out, errs := runCLI(t, "", "dnc", "build", "--out", snap, "--name", "us-national-dnc", "--as-of", "2026-12-01T00:00:00Z", "--country-code", "1", reg); code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, errs)
	}
	list := writeFile(t, dir, "campaign.csv", "+12125550123\n+13125550188\n+13125550188\n")
	code, out, errs := runCLI(t, "", "screen", list, "--profile", "us", "--dnc", snap, "--json")
	var got struct {
		Summary struct {
			Total, Allowed, DNC, Duplicate int
		}
	}
	err := json.Unmarshal([]byte(out), &got)
	rep := got.Summary
	if code != 1 || err != nil || rep.Total != 3 || rep.DNC != 1 || rep.Duplicate != 1 || rep.Allowed != 1 ||
		!strings.Contains(errs, "no sweep rule") {
		t.Errorf("screen --profile us --dnc: exit %d %+v\nstdout:\n%s\nstderr:\n%s", code, rep, out, errs)
	}
	if code, out, errs := runCLI(t, "", "screen", list, "--profile", "us"); code != 2 || !strings.Contains(errs, "--profile: us has no sweep") {
		t.Errorf("screen --profile us without --dnc: exit %d\n%s%s", code, out, errs)
	}
}

// TestDNCImportCountsDistinctNumbers: a number in two of the files given
// was counted (and sent to the store) once per file: "imported 2 numbers"
// for one number listed. Each number is imported once, with the source of
// the first file that holds it.
func TestDNCImportCountsDistinctNumbers(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.txt", "+8613800138000\n+8613800138001\n")
	b := writeFile(t, dir, "b.txt", "+8613800138000\n")
	code, out, errs := runCLI(t, "", "dnc", "import", a, b, "--scope", "global", "--list", "opt_out", "--json")
	var res importResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Imported != 2 {
		t.Errorf("exit %d, imported %d (want 2)\nstdout:\n%s\nstderr:\n%s", code, res.Imported, out, errs)
	}
}

// TestLedgerImportDirectory: a directory given as the ledger file was
// reported as "line 1: read DIR: is a directory: callerid: invalid ledger
// entry", as if the file had a bad first line.
func TestLedgerImportDirectory(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "", "ledger", "import", dir, "--tenant", "acme")
	if code != 2 || out != "" || !strings.Contains(errs, "FILE: "+dir+": is a directory") || strings.Contains(errs, "line 1") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestDNCLookupOverseasAlias: a French overseas line has two spellings
// (+33 596 … and +596 596 …), and the gate's do-not-call check and screen
// --dnc find an entry under either. dnc lookup asked for the spelling given
// only: "not listed", exit 1, for a number every dial to which is denied.
func TestDNCLookupOverseasAlias(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	list := writeFile(t, dir, "optouts.txt", "+596596123456\n")
	if code, out, errs := runCLI(t, "", "--data", data, "dnc", "import", list, "--scope", "global", "--list", "opt_out"); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	snap := filepath.Join(dir, "bloctel.dnc")
	reg := writeFile(t, dir, "bloctel.txt", "+33596654321\n")
	if code, out, errs := runCLI(t, "", "dnc", "build", "--out", snap, "--name", "fr-bloctel", "--as-of", "2026-12-01T00:00:00Z", reg); code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, errs)
	}
	for _, tc := range []struct{ number, want string }{
		{"+33596123456", "store: list opt_out, scope global"},
		{"+596596654321", "as of 2026-12-01T00:00:00Z): listed"},
	} {
		code, out, errs := runCLI(t, "", "--data", data, "dnc", "lookup", tc.number, "--snapshot", snap)
		if code != 0 || !strings.Contains(out, "LISTED") || !strings.Contains(out, tc.want) {
			t.Errorf("dnc lookup %s: exit %d\nstdout:\n%s\nstderr:\n%s", tc.number, code, out, errs)
		}
	}
}

// TestReportOnLockedStoreSaysWhat: `report quarterly` on the --data of a
// running dialgate serve failed with the bare "storage: locked by another
// process", unlike the other commands, leaving an auditor to guess that the
// sidecar holds the store and that a report needs it stopped.
func TestReportOnLockedStoreSaysWhat(t *testing.T) {
	data := heldDataDir(t)
	if err := os.MkdirAll(filepath.Join(data, "audit"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(data, "audit"), "audit-000001.jsonl", "")
	code, out, errs := runCLI(t, "", "--data", data, "report", "quarterly", "--quarter", "2026Q4")
	if code != 1 || !strings.Contains(errs, "locked") || !strings.Contains(errs, "dialgate serve") || !strings.Contains(errs, "stop it first") {
		t.Errorf("report on a held store: exit %d, stdout %q, stderr %q; want exit 1, the lock and dialgate serve named, and what to do", code, out, errs)
	}
}

// TestCheckHelpSaysAtIsRefusedWithAStore: `check --at` with a store made a
// real decision at that instant, yet its help said only "decide at this
// time instead of now (a fixed clock)", which reads as a what-if. With a
// store --at is now refused (TestCheckAtWithStoreIsRefused); the help says
// so, and how to try an instant.
func TestCheckHelpSaysAtIsRefusedWithAStore(t *testing.T) {
	code, out, errs := runCLI(t, "", "check", "--help")
	if code != 0 || !strings.Contains(out, "refused with a store at --data") || !strings.Contains(out, "try an instant with --what-if on a --data without a store") {
		t.Errorf("check --help: exit %d\n%s%s\nwant --at to say it is refused with a store, and to try an instant with --what-if", code, out, errs)
	}
}

// withFlag returns args with flag set to value: its value replaced when
// args give the flag, else the flag added.
func withFlag(args []string, flag, value string) []string {
	out := slices.Clone(args)
	if i := slices.Index(out, flag); i >= 0 && i+1 < len(out) {
		out[i+1] = value
		return out
	}
	return append(out, flag, value)
}
