package main

import (
	"encoding/json"
	"fmt"
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
