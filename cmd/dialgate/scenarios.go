package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dialgate/dialgate/internal/scenario"
)

// fileResult is one file's entry in `scenarios run --json`.
type fileResult struct {
	File    string           `json:"file"`
	Invalid string           `json:"invalid,omitempty"`
	Report  *scenario.Report `json:"report,omitempty"`
}

func (a *app) scenariosCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "Run dialgate.scenario.v1 files, the auditor's harness",
		Args:  argsUsage(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	var asJSON bool
	runCmd := &cobra.Command{
		Use:   "run FILE|DIR...",
		Short: "Run scenario files and report every step",
		Long: `Run scenario files (a directory: every *.yaml and *.yml in it, at any depth,
except profile files) each on fresh in-memory state, and report for every step
what was expected and what came back.

Exit codes: 0 every step of every file passed, 1 a step failed, 2 a file is
invalid (unknown key, bad value, unsupported event type...) or missing.`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := scenario.Expand(args...)
			if err != nil {
				return usageErr("%v", err)
			}
			if len(files) == 0 {
				return usageErr("no scenario files in %s", strings.Join(args, ", "))
			}
			var results []fileResult
			invalid, failed, passed := 0, 0, 0
			for _, f := range files {
				rep, err := scenario.RunFile(cmd.Context(), f)
				switch {
				case errors.Is(err, scenario.ErrInvalid):
					invalid++
					msg := strings.TrimPrefix(err.Error(), scenario.ErrInvalid.Error()+": ")
					results = append(results, fileResult{File: f, Invalid: msg})
					if !asJSON {
						fmt.Fprintf(a.stdout, "=== %s: INVALID\n    %s\n", f, msg)
					}
					continue
				case err != nil:
					return failErr(err)
				}
				if rep.OK() {
					passed++
				} else {
					failed++
				}
				results = append(results, fileResult{File: f, Report: rep})
				if !asJSON {
					if err := rep.WriteText(a.stdout); err != nil {
						return failErr(err)
					}
				}
			}
			if asJSON {
				if err := a.printJSON(map[string]any{
					"files": results, "passed": passed, "failed": failed, "invalid": invalid,
				}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(a.stdout, "\n%d %s: %d passed, %d failed, %d invalid\n", len(files), plural(len(files), "file", "files"), passed, failed, invalid)
			}
			switch {
			case invalid > 0:
				return silent(exitBadArgs)
			case failed > 0:
				return silent(exitFailed)
			}
			return nil
		},
	}
	runCmd.Flags().BoolVar(&asJSON, "json", false, "print the reports as JSON")
	cmd.AddCommand(runCmd)
	return cmd
}
