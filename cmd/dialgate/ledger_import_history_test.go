package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// ledgerImportFixture adds three entries for tenant acme to the ledger in
// data: +861058001234 and +861058001235 (which the test's import replaces)
// and +861058001236 (which it leaves as it is).
func ledgerImportFixture(t *testing.T, data string) {
	t.Helper()
	for _, a := range [][]string{
		{"--number", "+861058001234", "--holder", "Acme Ltd", "--qualification", "B2-20250001", "--purposes", "service", "--valid-from", "2026-01-01T08:00:00+08:00"},
		{"--number", "+861058001235", "--holder", "Acme Ltd", "--purposes", "survey,service"},
		{"--number", "+861058001236", "--holder", "Acme Ltd", "--purposes", "service"},
	} {
		args := append([]string{"--data", data, "ledger", "add", "--tenant", "acme"}, a...)
		if code, out, errs := runCLI(t, "", args...); code != 0 {
			t.Fatalf("ledger add %v: %d %s%s", a, code, out, errs)
		}
	}
}

// replacingFile is a ledger file that replaces +861058001234 and
// +861058001235, leaves +861058001236 unchanged and adds +861058001237.
const replacingFile = "number,holder,purposes\n" +
	"+861058001234,Other Ltd,service\n" +
	"+861058001236,Acme Ltd,service\n" +
	"+861058001235,Acme Ltd,service;marketing\n" +
	"+861058001237,Acme Ltd,service\n"

// TestCLILedgerImportNamesReplaced: ledger import --replace over two
// entries with other facts names both, in the order of the file, with the
// entry as the ledger stored it, in both its requested and applied records;
// the entries unchanged or new are not named, no ledger.add is written for
// them, and audit verify passes (cliChanges).
func TestCLILedgerImportNamesReplaced(t *testing.T) {
	data := t.TempDir()
	ledgerImportFixture(t, data)
	file := writeFile(t, t.TempDir(), "ledger.csv", replacingFile)
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme", "--replace"); code != 0 || !strings.Contains(out, "2 replaced") {
		t.Fatalf("import --replace: %d %s%s", code, out, errs)
	}
	got := cliChanges(t, data, "")
	if len(got) != 8 {
		t.Fatalf("%d change records, want 8 (3 adds, 1 import, each requested and applied): %+v", len(got), got)
	}
	want := []auditlog.LedgerReplacement{
		{CallerID: "+861058001234", Replaced: &auditlog.LedgerEntry{Type: "fixed", Holder: "Acme Ltd", Qualification: "B2-20250001",
			Purposes: []string{"service"}, ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{CallerID: "+861058001235", Replaced: &auditlog.LedgerEntry{Type: "fixed", Holder: "Acme Ltd", Purposes: []string{"survey", "service"}}},
	}
	for i, g := range got[6:] {
		if g.Op != auditlog.OpLedgerImport || !g.Replace || g.Count != 4 || g.Replaced != nil || g.CallerID != "" {
			t.Fatalf("import record %d: %+v", i, g)
		}
		if !reflect.DeepEqual(g.ReplacedEntries, want) {
			t.Errorf("import record %d (%s) replaced_entries:\n got %+v\nwant %+v", i, g.Result, g.ReplacedEntries, want)
		}
	}
	if got[6].Result != auditlog.ResultRequested || got[7].Result != auditlog.ResultApplied || got[7].ChangeID != got[6].ChangeID {
		t.Fatalf("import records %+v / %+v", got[6], got[7])
	}
}

// TestCLILedgerImportReplacesNothing: an import that replaces nothing (a
// new number, an unchanged one), with or without --replace, carries no
// replaced_entries.
func TestCLILedgerImportReplacesNothing(t *testing.T) {
	data := t.TempDir()
	ledgerImportFixture(t, data)
	file := writeFile(t, t.TempDir(), "ledger.csv", "number,holder,purposes\n+861058001236,Acme Ltd,service\n+861058001237,Acme Ltd,service\n")
	for _, extra := range [][]string{nil, {"--replace"}} {
		args := append([]string{"--data", data, "ledger", "import", file, "--tenant", "acme"}, extra...)
		if code, out, errs := runCLI(t, "", args...); code != 0 || !strings.Contains(out, "0 replaced") {
			t.Fatalf("import %v: %d %s%s", extra, code, out, errs)
		}
	}
	got := cliChanges(t, data, "")
	if len(got) != 10 {
		t.Fatalf("%d change records, want 10", len(got))
	}
	for i, g := range got[6:] {
		if g.Op != auditlog.OpLedgerImport || g.ReplacedEntries != nil || g.Replace != (i >= 2) {
			t.Errorf("import record %d: %+v", i, g)
		}
	}
}

// TestCLILedgerImportReplacesDamaged: an import --replace over an entry
// the ledger holds but cannot read names it replaced_unreadable.
func TestCLILedgerImportReplacesDamaged(t *testing.T) {
	data := t.TempDir()
	ledgerImportFixture(t, data)
	damageStored(t, data, "ledger", `["survey","service"]`, `[]`)
	file := writeFile(t, t.TempDir(), "ledger.csv", replacingFile)
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme"); code != 1 {
		t.Fatalf("import over a damaged entry without --replace: %d %s%s; want exit 1", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme", "--replace"); code != 0 || !strings.Contains(out, "2 replaced") {
		t.Fatalf("import --replace over a damaged entry: %d %s%s", code, out, errs)
	}
	got := cliChanges(t, data, "")
	g := got[len(got)-1]
	if g.Op != auditlog.OpLedgerImport || len(g.ReplacedEntries) != 2 {
		t.Fatalf("import record: %+v", g)
	}
	if r := g.ReplacedEntries[1]; r.CallerID != "+861058001235" || !r.ReplacedUnreadable || r.Replaced != nil {
		t.Errorf("damaged entry named %+v, want replaced_unreadable", r)
	}
	if r := g.ReplacedEntries[0]; r.CallerID != "+861058001234" || r.ReplacedUnreadable || r.Replaced == nil || r.Replaced.Holder != "Acme Ltd" {
		t.Errorf("sound entry named %+v", r)
	}
}

// TestLedgerHistoryRecipe runs the jq recipe of docs/auditors.md
// ("Rebuilding a caller ID's ledger history") on a log where a number was
// added, replaced by ledger add --replace, then by an import: it lists,
// in order, each change with the entry it replaced.
func TestLedgerHistoryRecipe(t *testing.T) {
	jq, err := exec.LookPath("jq")
	if err != nil {
		t.Skip("jq not installed")
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "auditors.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "**Rebuilding a caller ID's ledger history.**")
	if !ok {
		t.Fatal("docs/auditors.md: no ledger history section")
	}
	_, rest, _ = strings.Cut(rest, "```sh\n")
	script, _, ok := strings.Cut(rest, "```")
	if !ok || !strings.HasPrefix(script, "jq ") {
		t.Fatalf("docs/auditors.md: no jq recipe in the ledger history section: %q", script)
	}
	data := t.TempDir()
	ledgerImportFixture(t, data)
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234",
		"--holder", "Middle Ltd", "--purposes", "service", "--replace"); code != 0 {
		t.Fatalf("add --replace: %d %s%s", code, out, errs)
	}
	file := writeFile(t, t.TempDir(), "ledger.csv", replacingFile)
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme", "--replace"); code != 0 {
		t.Fatalf("import --replace: %d %s%s", code, out, errs)
	}
	cliChanges(t, data, "") // audit verify passes
	// The recipe names the log's files audit-*.jsonl, in the audit directory.
	script = strings.TrimSpace(strings.ReplaceAll(script, "\\\n", " "))
	cmd := exec.Command("sh", "-c", script)
	cmd.Path, _ = exec.LookPath("sh")
	cmd.Dir = filepath.Join(data, sidecar.AuditDir)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(jq)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("recipe: %v\n%s\n%s", err, script, out)
	}
	var holders []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		switch {
		case strings.Contains(line, `"replaced":{`):
			_, h, _ := strings.Cut(line, `"holder":"`)
			h, _, _ = strings.Cut(h, `"`)
			holders = append(holders, h)
		default:
			holders = append(holders, "-")
		}
	}
	// The add (no entry replaced), the add --replace (replaced Acme Ltd),
	// the import (replaced Middle Ltd).
	if want := []string{"-", "Acme Ltd", "Middle Ltd"}; !reflect.DeepEqual(holders, want) {
		t.Fatalf("history (entries replaced) %v, want %v:\n%s", holders, want, out)
	}
	if !strings.Contains(string(out), `"op":"ledger.import"`) || !strings.Contains(string(out), `"sha256":"`) {
		t.Fatalf("the import's line does not name the import and its file's digest:\n%s", out)
	}
}

// racingLedger is a ledger store in which another writer replaces an
// entry after the first read of it.
type racingLedger struct {
	callerid.Store
	reads  int
	target dialgate.Number
	other  callerid.Entry
}

func (r *racingLedger) LedgerEntry(ctx context.Context, tenant string, n dialgate.Number) (callerid.Entry, error) {
	e, err := r.Store.LedgerEntry(ctx, tenant, n)
	if n == r.target {
		if r.reads++; r.reads == 1 {
			if perr := r.Store.PutLedger(ctx, r.other); perr != nil {
				return e, perr
			}
		}
	}
	return e, err
}

// TestLedgerImportRefusesChangedLedger: an import whose replaced entries
// are no longer the ones its record names when it is applied (another
// writer in between) stores nothing and fails with storage.ErrConflict,
// naming the entry; so does one where a number it would add appeared.
func TestLedgerImportRefusesChangedLedger(t *testing.T) {
	ctx := context.Background()
	n1, n2 := dialgate.MustParseNumber("+861058001234"), dialgate.MustParseNumber("+861058001235")
	entry := func(n dialgate.Number, holder string) callerid.Entry {
		e, err := callerid.Entry{Tenant: "acme", Number: n, Holder: holder, Purposes: []dialgate.Purpose{dialgate.PurposeService}}.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	for name, tc := range map[string]struct {
		target dialgate.Number
		other  callerid.Entry
		stored []callerid.Entry
	}{
		"replaced entry changed": {n1, entry(n1, "Third Ltd"), []callerid.Entry{entry(n1, "Acme Ltd")}},
		"new number appeared":    {n2, entry(n2, "Third Ltd"), []callerid.Entry{entry(n1, "Acme Ltd")}},
	} {
		t.Run(name, func(t *testing.T) {
			ms := memstore.New()
			if err := ms.PutLedger(ctx, tc.stored...); err != nil {
				t.Fatal(err)
			}
			s := &racingLedger{Store: ms, target: tc.target, other: tc.other}
			entries := []callerid.Entry{entry(n1, "Other Ltd"), entry(n2, "Other Ltd")}
			plan, err := planLedgerImport(ctx, s, entries, true, "ledger.csv")
			if err != nil {
				t.Fatal(err)
			}
			err = plan.apply(ctx, s)
			if !errors.Is(err, storage.ErrConflict) || !strings.Contains(err.Error(), tc.target.String()) || !strings.Contains(err.Error(), "ledger.csv: entry") {
				t.Fatalf("apply: %v; want ErrConflict naming the file's entry and %s", err, tc.target)
			}
			for _, e := range entries {
				got, err := ms.LedgerEntry(ctx, "acme", e.Number)
				if err == nil && got.Holder == "Other Ltd" {
					t.Fatalf("%s stored although the import was refused", e.Number)
				}
			}
		})
	}
}

// TestCLILedgerImportTooManyReplaced: an import replacing more entries
// than one change record (auditlog.MaxLineBytes) can name is refused
// before anything is stored (exit 1, saying to split the file), as a
// change that cannot be recorded is; the ledger is as it was.
func TestCLILedgerImportTooManyReplaced(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a ledger of 4,000 entries")
	}
	data := t.TempDir()
	const n = 4000
	var first, second strings.Builder
	first.WriteString("number,holder,access,qualification,purposes\n")
	second.WriteString("number,holder,access,qualification,purposes\n")
	long := strings.Repeat("x", 200)
	for i := range n {
		num := "+86105800" + strings.TrimPrefix(strconv.Itoa(10000+i), "1")
		fmt.Fprintf(&first, "%s,Acme Ltd %s,access %s,qual %s,service\n", num, long, long, long)
		fmt.Fprintf(&second, "%s,Other Ltd,,,service\n", num)
	}
	dir := t.TempDir()
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", writeFile(t, dir, "first.csv", first.String()), "--tenant", "acme"); code != 0 {
		t.Fatalf("first import: %d %s%s", code, out, errs)
	}
	code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", writeFile(t, dir, "second.csv", second.String()), "--tenant", "acme", "--replace")
	if code != 1 || out != "" || !strings.Contains(errs, "split the file") || !strings.Contains(errs, "nothing changed") {
		t.Fatalf("import replacing %d entries: %d %q %q; want exit 1 saying to split the file", n, code, out, errs)
	}
	if code, out, _ := runCLI(t, "", "--data", data, "ledger", "show", "--tenant", "acme", "+861058000000"); code != 0 || !strings.Contains(out, "Acme Ltd") {
		t.Fatalf("after a refused import the entry is %d %s", code, out)
	}
	got := cliChanges(t, data, "")
	if len(got) != 2 {
		t.Fatalf("%d change records, want the first import's 2", len(got))
	}
}
