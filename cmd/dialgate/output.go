package main

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// printJSON writes v as indented JSON, and a newline, to stdout: the output of
// every command's --json. A value that cannot be encoded is a failure (exit 1).
func (a *app) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return failErr(err)
	}
	fmt.Fprintf(a.stdout, "%s\n", b)
	return nil
}

// plural returns one when n is 1, else many: "1 number", "2 numbers".
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkText refuses a flag value that is not valid UTF-8 (a terminal or file
// in GBK or Latin-1): the stores keep text as JSON, which would write each
// bad byte as U+FFFD, so the value read back would differ from the one given
// (a list scope that matches no dial, a hold no release can name). flags and
// values alternate: checkText("--scope", scope, "--list", list).
func checkText(flagsAndValues ...string) error {
	for i := 0; i+1 < len(flagsAndValues); i += 2 {
		if v := flagsAndValues[i+1]; !utf8.ValidString(v) {
			return usageErr("%s: not valid UTF-8 (%q); give it in UTF-8", flagsAndValues[i], v)
		}
	}
	return nil
}
