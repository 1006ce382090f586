package sidecar

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
)

// TestOpenRepairsATornAuditLog: a kill -9 during a write can leave the audit
// log's last line cut. Those bytes were never acknowledged (a decision is
// answered once its record is synced), so `dialgate serve` repairs the log
// at start — cuts them off, saves them, records the cut — and starts, as a
// supervisor restarting it after the kill expects; it used to refuse to
// start until someone ran `dialgate audit repair`.
func TestOpenRepairsATornAuditLog(t *testing.T) {
	data := t.TempDir()
	cfg := Config{Data: data}
	be, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := be.Gate.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"),
		Purpose: dialgate.PurposeService, LeadID: "l"}); err != nil {
		t.Fatal(err)
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(data, AuditDir, "audit-*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("audit files %v, %v", files, err)
	}
	last := files[len(files)-1]
	f, err := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"schema":"dialgate.audit.v1","kind":"decis`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// The CLI's path still refuses, naming the repair command.
	if _, _, err := OpenAuditLog(context.Background(), data, "", "cn"); err == nil || !strings.Contains(err.Error(), "dialgate audit repair") {
		t.Fatalf("OpenAuditLog on a torn log: %v", err)
	}
	var logs bytes.Buffer
	be, err = Open(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("restart after a torn write: %v", err)
	}
	defer be.Close(context.Background())
	saved, _ := filepath.Glob(last + ".torn-*")
	if len(saved) != 1 {
		t.Fatalf("saved cuts %v", saved)
	}
	if b, _ := os.ReadFile(saved[0]); string(b) != `{"schema":"dialgate.audit.v1","kind":"decis` {
		t.Fatalf("saved cut %q", b)
	}
	if !strings.Contains(logs.String(), "audit log repaired") {
		t.Fatalf("no repair logged:\n%s", logs.String())
	}
	// A torn last line: no zeros, no whole record among the saved bytes,
	// nor a whole record cut (audit verify's counts, logged alike).
	if l := repairLine(t, logs.String()); !strings.Contains(l, " zero_bytes=0 ") || !strings.Contains(l, " zeroed_write_records=0") || strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("repair of a torn last line logged:\n%s", logs.String())
	}
	if b, _ := os.ReadFile(last); !bytes.Contains(b, []byte(`"kind":"repair"`)) {
		t.Fatal("no repair record in the log")
	}
}

// TestOpenRepairsAZeroedAuditLogBlock: a power cut during a write of many
// pages can leave a block of it unwritten (zeros) and a later one written.
// That write was never acknowledged, so `dialgate serve` repairs the log at
// start as it does a cut line; it used to refuse to start, and `dialgate
// audit repair` refused it too ("not a torn last line").
func TestOpenRepairsAZeroedAuditLogBlock(t *testing.T) {
	const block = 4096
	data := t.TempDir()
	cfg := Config{Data: data}
	ctx := context.Background()
	be, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(data, AuditDir, "audit-*.jsonl"))
	if err != nil || len(files) != 1 {
		t.Fatalf("audit files %v, %v", files, err)
	}
	last := files[0]
	// Past three blocks, with a whole line after the block to be zeroed
	// (the whole records the repair's saved bytes hold).
	zeroedAt := func(b []byte) int { return (len(b)-1)/block*block - block }
	for i := 0; ; i++ {
		if b, err := os.ReadFile(last); err != nil || len(b) > 3*block && wholeLinesFrom(b, zeroedAt(b)+block) > 0 {
			break
		}
		if _, err := be.Gate.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+86138001380%02d", i%100)),
			Purpose: dialgate.PurposeService, LeadID: "l"}); err != nil {
			t.Fatal(err)
		}
	}
	b, cp := unsealedLog(ctx, t, be, data, last) // as a power cut leaves it
	p := zeroedAt(b)
	clear(b[p : p+block])
	if err := os.WriteFile(last, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cp); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	be, err = Open(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("restart after a power cut: %v", err)
	}
	defer be.Close(ctx)
	cut := bytes.LastIndexByte(b[:p], '\n') + 1
	saved, _ := filepath.Glob(last + ".torn-*")
	if want := fmt.Sprintf("%s.torn-%d", last, cut); len(saved) != 1 || saved[0] != want {
		t.Fatalf("saved cuts %v, want %s", saved, want)
	}
	if !strings.Contains(logs.String(), "audit log repaired") || !strings.Contains(logs.String(), "torn last write") {
		t.Fatalf("no repair logged:\n%s", logs.String())
	}
	// The repair's line gives audit verify's counts: the zero bytes and
	// the whole records the saved bytes hold (the lines wholly after the
	// zeroed block).
	whole := wholeLinesFrom(b, p+block)
	if l := repairLine(t, logs.String()); !strings.Contains(l, fmt.Sprintf(" zero_bytes=%d ", block)) || !strings.Contains(l, fmt.Sprintf(" zeroed_write_records=%d", whole)) || strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("repair logged:\n%s\nwant zero_bytes=%d zeroed_write_records=%d, no error", logs.String(), block, whole)
	}
	if after, _ := os.ReadFile(last); !bytes.HasPrefix(after, b[:cut]) || !bytes.Contains(after[cut:], []byte(`"kind":"repair"`)) {
		t.Fatal("the kept lines changed, or no repair record follows them")
	}
}

// repairLine returns the line of logs that says the audit log was repaired.
func repairLine(t *testing.T, logs string) string {
	t.Helper()
	for l := range strings.SplitSeq(logs, "\n") {
		if strings.Contains(l, "audit log repaired") {
			return l + "\n"
		}
	}
	t.Fatalf("no repair logged:\n%s", logs)
	return ""
}

// TestOpenRepairsAWholeRecordCut: an audit log whose last line is a whole
// record, only its newline missing, is no crash's usual doing (a crash
// leaves part of a line; a record is acknowledged once its line, newline
// included, is synced): someone may have removed the newline of an
// acknowledged record. `dialgate serve` still repairs it at start, as
// `dialgate audit repair` does, but logs at Error, in the words of `audit
// verify`'s WARNING, the file, offset and saved bytes of the cut.
func TestOpenRepairsAWholeRecordCut(t *testing.T) {
	data := t.TempDir()
	cfg := Config{Data: data}
	ctx := context.Background()
	be, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := be.Gate.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"),
			Purpose: dialgate.PurposeService, LeadID: "l"}); err != nil {
			t.Fatal(err)
		}
	}
	files, err := filepath.Glob(filepath.Join(data, AuditDir, "audit-*.jsonl"))
	if err != nil || len(files) != 1 {
		t.Fatalf("audit files %v, %v", files, err)
	}
	last := files[0]
	b, cp := unsealedLog(ctx, t, be, data, last)
	if err := os.Remove(cp); err != nil {
		t.Fatal(err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	if err := os.WriteFile(last, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cut := bytes.LastIndexByte(b, '\n') + 1
	var logs bytes.Buffer
	be, err = Open(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer be.Close(ctx)
	name := filepath.Base(last)
	saved := fmt.Sprintf("%s.torn-%d", name, cut)
	if _, err := os.Stat(filepath.Join(data, AuditDir, saved)); err != nil {
		t.Fatalf("saved cut: %v", err)
	}
	var errLine string
	for l := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(l, "level=ERROR") {
			errLine = l + "\n"
		}
	}
	for _, want := range []string{
		"cut a whole record or line, not part of one: a crash leaves part of a line; an acknowledged record may have been made to look torn",
		" file=" + name + " ", fmt.Sprintf(" offset=%d ", cut), fmt.Sprintf(" bytes=%d ", len(b)-cut), " saved_as=" + saved + "\n",
	} {
		if !strings.Contains(errLine, want) {
			t.Fatalf("whole record cut logged:\n%s\nwant an error line with %q", logs.String(), want)
		}
	}
	if l := repairLine(t, logs.String()); !strings.Contains(l, " whole_record_cut=true") {
		t.Fatalf("repair logged:\n%s\nwant whole_record_cut=true", logs.String())
	}
}

// wholeLinesFrom counts the lines of b that start at or after from and end
// in a newline.
func wholeLinesFrom(b []byte, from int) int {
	var n int
	for s := 0; s < len(b); {
		e := bytes.IndexByte(b[s:], '\n')
		if e < 0 {
			break
		}
		if s >= from {
			n++
		}
		s += e + 1
	}
	return n
}

// unsealedLog reads the audit file last of be's data directory data before
// any checkpoint seals it, then closes be (which publishes one): the file's
// bytes and the checkpoint's path.
func unsealedLog(ctx context.Context, t *testing.T, be *Backend, data, last string) ([]byte, string) {
	t.Helper()
	b, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(data, AuditDir, auditlog.CheckpointFile)
	if _, err := os.Stat(cp); err == nil {
		t.Fatal("a checkpoint was published before the file was read")
	}
	if err := be.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return b, cp
}
