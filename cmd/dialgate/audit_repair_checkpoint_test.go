package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// TestAuditRepairUntrustedCheckpoint: a checkpoint line planted in the log
// (signed by another key, carrying another log id and a year-9000 date)
// was taken at face value by the next start, and the sidecar's key then
// signed its log id and date. Open now refuses it; `audit repair` refuses
// it too (no crash writes it), changes nothing, and says what to do: the
// file and line, where a rotation's retired keys go, how to go on.
func TestAuditRepairUntrustedCheckpoint(t *testing.T) {
	data := t.TempDir()
	a := openAuditTestLog(t, data)
	a.check(t, "+8613900139000")
	if err := a.log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(a.dir)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := auditlog.CheckpointFileTree(a.dir)
	if err != nil || tree.N == 0 {
		t.Fatalf("checkpoint file: %v %v", tree, err)
	}
	skey, _, err := auditlog.GenerateKey(rand.Reader, "dialgate-sidecar")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	text := string(tlog.FormatTree(tree)) + "log-id attacker\ntime 9000-01-01T00:00:00Z\n"
	forged, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		t.Fatal(err)
	}
	data0 := mustRead(t, files[0])
	lines := strings.Split(strings.TrimSuffix(data0, "\n"), "\n")
	var cp map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &cp); err != nil || cp["kind"] != "checkpoint" {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	cp["note"] = string(forged)
	line, err := json.Marshal(cp)
	if err != nil {
		t.Fatal(err)
	}
	planted := data0 + string(line) + "\n"
	if err := os.WriteFile(files[0], []byte(planted), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "--data", data, "audit", "repair")
	where := fmt.Sprintf("%s:%d", files[0], len(lines)+1)
	for _, want := range []string{where, "checkpoint not trusted", sidecar.RetiredSignerPubFile, "delete that line", "nothing was changed"} {
		if code != 1 || !strings.Contains(errs, want) {
			t.Fatalf("audit repair of a planted checkpoint: %d\n%s%s\nwant exit 1 saying %q", code, out, errs, want)
		}
	}
	if got := mustRead(t, files[0]); got != planted {
		t.Fatal("audit repair changed the log")
	}
}
