package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decodeJSON decodes stdout of a command run with --json into v: exactly one
// JSON value, with no unknown keys, and nothing after it.
func decodeJSON(t *testing.T, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not the expected JSON: %v\n%s", err, stdout)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		t.Fatalf("stdout has more after the JSON value (%v): %s", err, stdout)
	}
}

func TestPolicyListJSON(t *testing.T) {
	code, out, errs := runCLI(t, "", "policy", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got []listedProfile
	decodeJSON(t, out, &got)
	names := map[string]listedProfile{}
	for _, p := range got {
		names[p.Name] = p
	}
	cn, ok := names["cn"]
	if !ok || !strings.HasPrefix(cn.Version, "cn@") || cn.Description == "" || len(got) < 13 {
		t.Errorf("policy list --json: %+v", got)
	}
	// The text lists the same profiles.
	_, text, _ := runCLI(t, "", "policy", "list")
	if n := strings.Count(text, "\n"); n != len(got) {
		t.Errorf("text lists %d profiles, JSON %d", n, len(got))
	}
}

func TestPolicyLintJSON(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("schema: dialgate.profile.v1\nname: bad\nextends: cn\n\ndescripton: typo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "policy", "lint", "--json", "--at", "2026-12-04T10:00:00+08:00", "cn", bad)
	var res lintResult
	decodeJSON(t, out, &res)
	if code != 1 || !strings.Contains(errs, "1 of 2 profiles invalid") || res.OK || len(res.Profiles) != 2 {
		t.Fatalf("exit %d, %+v, stderr %q", code, res, errs)
	}
	cn, b := res.Profiles[0], res.Profiles[1]
	if cn.Profile != "cn" || !cn.Valid || !strings.HasPrefix(cn.Version, "cn@") || cn.Citations == 0 ||
		len(cn.Warnings) != 1 || cn.Warnings[0].Path != "schedule.holidays.calendars" || !strings.Contains(cn.Warnings[0].Message, "2026-12-31") {
		t.Errorf("cn: %+v", cn)
	}
	if b.Profile != bad || b.Valid || len(b.Problems) == 0 || !strings.Contains(strings.Join(b.Problems, "\n"), `descripton: unknown key "descripton"`) {
		t.Errorf("bad: %+v", b)
	}
	// Valid: exit 0, ok, and an empty (not null) warnings list.
	code, out, _ = runCLI(t, "", "policy", "lint", "--json", "--at", "2026-06-01T10:00:00+08:00", "cn")
	res = lintResult{}
	decodeJSON(t, out, &res)
	if code != 0 || !res.OK || !strings.Contains(out, `"warnings": []`) {
		t.Errorf("valid: exit %d\n%s", code, out)
	}
	// Bad input keeps exit 2 and prints no JSON.
	if code, out, _ := runCLI(t, "", "policy", "lint", "--json", "--at", "tomorrow", "cn"); code != 2 || out != "" {
		t.Errorf("bad --at: exit %d, stdout %q", code, out)
	}
}
