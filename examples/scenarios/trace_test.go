package scenarios

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRequirementsTraceNamesExist checks that every scenario file and Go
// test docs/requirements-trace.md names as a proof exists under that name
// (and, for a test named with its package, in that package): a renamed or
// deleted proof must not leave the trace pointing at nothing. It reads the
// proof column and the status column (whose notes name tests too), and
// checks the conformance suite's case names (storetest: CallerID/PutLedgerIf)
// and functions (storetest.TestConsentAcrossProcesses) against its sources.
func TestRequirementsTraceNamesExist(t *testing.T) {
	root := filepath.Join("..", "..")
	trace, err := os.ReadFile(filepath.Join(root, "docs", "requirements-trace.md"))
	if err != nil {
		t.Fatal(err)
	}
	// Test and fuzz functions by package directory (slash-separated, "." for the root).
	funcs := map[string]map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			if funcs[m[1]] == nil {
				funcs[m[1]] = map[string]bool{}
			}
			funcs[m[1]][rel] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	inPackage := func(name, pkg string) bool {
		for dir := range funcs[strings.TrimSuffix(name, "*")] {
			if (pkg == "dialgate" && dir == ".") || dir == pkg || strings.HasSuffix(dir, "/"+pkg) {
				return true
			}
		}
		if strings.HasSuffix(name, "*") { // a prefix: TestCounterHistory*
			for f, dirs := range funcs {
				if strings.HasPrefix(f, strings.TrimSuffix(name, "*")) {
					for dir := range dirs {
						if dir == pkg || strings.HasSuffix(dir, "/"+pkg) || (pkg == "dialgate" && dir == ".") {
							return true
						}
					}
				}
			}
		}
		return false
	}
	// The conformance suite's exported functions and its case names
	// (storetest: CallerID/PutLedgerIf names the case PutLedgerIf of the
	// CallerID suite), from its sources.
	var storetestSrc strings.Builder
	stFiles, err := filepath.Glob(filepath.Join(root, "storage", "storetest", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range stFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		storetestSrc.Write(b)
	}
	storetestHas := func(name string) bool {
		for _, part := range strings.Split(name, "/") {
			if !strings.Contains(storetestSrc.String(), `"`+part+`"`) {
				return false
			}
		}
		return true
	}
	storetestFunc := regexp.MustCompile(`(?m)^func ([A-Z]\w*)\(`)
	storetestFuncs := map[string]bool{}
	for _, m := range storetestFunc.FindAllStringSubmatch(storetestSrc.String(), -1) {
		storetestFuncs[m[1]] = true
	}
	caseName := regexp.MustCompile(`^[A-Z]\w*(/[A-Z]\w*)?$`)
	code := regexp.MustCompile("`([^`]+)`")
	pkgPrefix := regexp.MustCompile("^`?([\\w/-]+(?:`, `[\\w/-]+)*)`?: ")
	var files, tests int
	for i, line := range strings.Split(string(trace), "\n") {
		cols := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| ") || len(cols) < 5 || strings.HasPrefix(cols[3], "---") {
			continue
		}
		// The proof column, and the status column, whose notes name tests
		// too ("enforced (…: `sidecar: TestLedgerReplaceRecorded`)").
		proof := cols[3] + ";" + strings.Join(cols[4:], " | ")
		for _, seg := range strings.Split(proof, ";") {
			seg = strings.TrimSpace(seg)
			var pkgs []string
			if m := pkgPrefix.FindStringSubmatch(seg); m != nil {
				pkgs = strings.Split(m[1], "`, `")
			}
			for _, m := range code.FindAllStringSubmatch(seg, -1) {
				tok := m[1]
				if p, name, ok := strings.Cut(tok, ": "); ok { // `policy: TestMerge`
					pkgs, tok = []string{p}, name
				}
				switch {
				case strings.HasSuffix(tok, ".yaml"):
					files++
					if got, _ := filepath.Glob(tok); len(got) == 0 {
						t.Errorf("requirements-trace.md:%d: scenario %s does not exist", i+1, tok)
					}
				case strings.HasPrefix(tok, "storetest."): // storetest.TestConsentAcrossProcesses
					tests++
					if !storetestFuncs[strings.TrimPrefix(tok, "storetest.")] {
						t.Errorf("requirements-trace.md:%d: %s is not an exported function of storage/storetest", i+1, tok)
					}
				case len(pkgs) == 1 && pkgs[0] == "storetest" && caseName.MatchString(tok) && !strings.HasPrefix(tok, "Test"):
					tests++
					if !storetestHas(tok) {
						t.Errorf("requirements-trace.md:%d: storetest case %s not found in storage/storetest", i+1, tok)
					}
				case strings.HasPrefix(tok, "Test") || strings.HasPrefix(tok, "Fuzz"):
					tests++
					name, _, _ := strings.Cut(tok, "/")
					if len(pkgs) == 0 {
						t.Errorf("requirements-trace.md:%d: test %s is named without its package", i+1, tok)
						continue
					}
					ok := false
					for _, p := range pkgs {
						ok = ok || inPackage(name, p)
					}
					if !ok {
						t.Errorf("requirements-trace.md:%d: test %s not found in package %s", i+1, tok, strings.Join(pkgs, ", "))
					}
				}
			}
		}
	}
	if files == 0 || tests == 0 {
		t.Fatalf("read %d scenario and %d test names from the trace: the table format changed?", files, tests)
	}
}
