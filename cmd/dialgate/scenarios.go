package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dialgate/dialgate/internal/scenario"
	"github.com/dialgate/dialgate/internal/scenariostores"
	"github.com/dialgate/dialgate/internal/textsafe"
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
	var (
		asJSON bool
		store  string
		gates  int
	)
	runCmd := &cobra.Command{
		Use:   "run FILE|DIR...",
		Short: "Run scenario files and report every step",
		Long: `Run scenario files (a directory: every *.yaml and *.yml in it, in any case, at any depth,
links to directories followed, except profile files) each on fresh in-memory state, and report for every step
what was expected and what came back.

--store runs each file on fresh stores of a production back-end instead:
"bolt" (the embedded store of dialgate serve, a new file in a temporary
directory), "postgres=URL" (a new schema in that database), "redis=URL" (a new
key prefix on that server, with the embedded store for what a fleet does not
keep in Redis), or "redis=URL+postgres=URL" (a fleet: each domain where
dialgate serve puts it). They are removed after each file; a file writes its
seed data into them, so the flag never runs on a deployment's own data.
--gates N (1 to 1024) sends the dials to N Gates on those stores in turn, as to N sidecars
of a fleet: a step that then differs shows state kept in a sidecar's memory
(memory keeps the sweep runs there; bolt shares them between the Gates of one
process, which two sidecars cannot do: use a fleet store).

Exit codes: 0 every step of every file passed, 1 a step failed (or the stores
could not be had), 2 a file is invalid (unknown key, bad value, unsupported
event type...) or missing.`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if gates < 1 || gates > scenario.MaxGates {
				return usageErr("--gates: %d is not a number of Gates (want 1 to %d)", gates, scenario.MaxGates)
			}
			opts := scenario.Options{Gates: gates}
			// kind names the back-end without its URLs (which may hold a
			// password): "bolt", "postgres", "redis+postgres"...; "" in memory.
			kind := ""
			if store != "memory" {
				c, err := scenariostores.Parse(store)
				if err != nil {
					return usageErr("--store: %v", err)
				}
				opts.Stores, kind = c.Stores(), c.String()
			}
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
				rep, err := scenario.RunFileWith(cmd.Context(), f, opts)
				switch {
				case errors.Is(err, scenario.ErrInvalid):
					invalid++
					msg := strings.TrimPrefix(err.Error(), scenario.ErrInvalid.Error()+": ")
					results = append(results, fileResult{File: f, Invalid: msg})
					if !asJSON {
						// Escaped as the reports are (Report.WriteText).
						fmt.Fprintf(a.stdout, "=== %s: INVALID\n    %s\n", textsafe.Escape(f, textsafe.Line), textsafe.Escape(msg, textsafe.Line))
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
				out := map[string]any{"files": results, "passed": passed, "failed": failed, "invalid": invalid}
				if kind != "" {
					out["store"] = kind
				}
				if gates > 1 {
					out["gates"] = gates
				}
				if err := a.printJSON(out); err != nil {
					return err
				}
			} else {
				on := ""
				if kind != "" {
					on = " on " + kind
				}
				if gates > 1 {
					on += fmt.Sprintf(" through %d Gates", gates)
				}
				fmt.Fprintf(a.stdout, "\n%d %s%s: %d passed, %d failed, %d invalid\n", len(files), plural(len(files), "file", "files"), on, passed, failed, invalid)
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
	runCmd.Flags().StringVar(&store, "store", "memory", `the stores each file runs on, fresh and removed after it: memory, bolt, postgres=URL, redis=URL or redis=URL+postgres=URL`)
	runCmd.Flags().IntVar(&gates, "gates", 1, "send the dials to this many Gates on the same stores in turn, as to the sidecars of a fleet")
	cmd.AddCommand(runCmd)
	return cmd
}
