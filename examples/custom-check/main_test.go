package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var b strings.Builder
	if err := run(&b); err != nil {
		t.Fatal(err)
	}
	want := "Fri 22:30 allowed=false schedule.outside_window(schedule) campaigns.paused(campaigns)\n" +
		"Sat 10:30 allowed=false campaigns.paused(campaigns)\n"
	if b.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", b.String(), want)
	}
}
