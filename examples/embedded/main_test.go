package main

import (
	"os"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
)

func TestRun(t *testing.T) {
	var b strings.Builder
	dir := t.TempDir()
	if err := runIn(&b, dir); err != nil {
		t.Fatal(err)
	}
	// Both decisions and the outcome are in the audit log.
	files, err := auditlog.LogFiles(dir)
	if err != nil || len(files) == 0 {
		t.Fatalf("audit log: %v %v", files, err)
	}
	var text strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text.Write(data)
	}
	if n := strings.Count(text.String(), `"kind":"decision"`); n != 3 {
		t.Errorf("%d decision records in the audit log, want 3:\n%s", n, text.String())
	}
	// An allow is good for the Gate's allow lifetime (60 s), and no longer
	// than the calling window: at 20:59:30 only until 21:00.
	want := "Fri 22:30: denied [schedule.outside_window], retry at Sat 09:00\n" +
		"Sat 10:00:00: allowed, dial before 10:01:00\n" +
		"Sat 20:59:30: allowed, dial before 21:00:00\n"
	if b.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", b.String(), want)
	}
}
