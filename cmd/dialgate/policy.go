package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/dialgate/dialgate/policy"
)

func (a *app) policyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Show, lint and explain jurisdiction profiles",
		Long: `Show, lint and explain jurisdiction profiles. A profile is named by a built-in
name (see "dialgate policy list") or a path to a profile file.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.policyListCmd(), a.policyShowCmd(), a.policyLintCmd(), a.policyExplainCmd())
	return cmd
}

// loadProfile loads a profile argument; a missing or invalid one is bad input.
func loadProfile(arg string) (*policy.Profile, error) {
	p, err := policy.Load(arg)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return p, nil
}

// listedProfile is one entry of `policy list --json`.
type listedProfile struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

func (a *app) policyListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the built-in profiles",
		Long: `List the built-in profiles: version and description, one a line. With --json,
an array of objects with the keys name, version and description.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := []listedProfile{}
			for _, name := range policy.Builtins() {
				p, err := policy.Builtin(name)
				if err != nil {
					return failErr(err)
				}
				out = append(out, listedProfile{Name: name, Version: p.Version(), Description: oneLine(p.Description)})
			}
			if asJSON {
				return a.printJSON(out)
			}
			for _, p := range out {
				fmt.Fprintf(a.stdout, "%-14s %s\n", p.Version, p.Description)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (a *app) policyShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Print a profile resolved (extends applied), with its version",
		Args:  argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadProfile(args[0])
			if err != nil {
				return err
			}
			j, err := p.JSON()
			if err != nil {
				return failErr(err)
			}
			if asJSON {
				var v any
				_ = json.Unmarshal(j, &v)
				return a.printJSON(map[string]any{"version": p.Version(), "profile": v})
			}
			if j, err = standalone(args[0], p, j); err != nil {
				return failErr(err)
			}
			y, err := yaml.JSONToYAML(j)
			if err != nil {
				return failErr(err)
			}
			fmt.Fprintf(a.stdout, "# %s\n%s", p.Version(), y)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// standalone returns j, the JSON of the profile p loaded from arg, as a
// profile file that loads back to p: p keeps its extends:, so a file of j
// alone would be merged onto the base again, and a merge patch keeps every
// key of the base it leaves out — a section the profile removed (cn-insurance's
// schedule.callback: null) or a setting it turned off (required: false,
// left out of j as a zero value) would come back. Each such key is written
// as null, which removes it. A profile without extends is j as it is.
func standalone(arg string, p *policy.Profile, j []byte) ([]byte, error) {
	if p.Extends == "" {
		return j, nil
	}
	var base *policy.Profile
	var err error
	switch {
	case slices.Contains(policy.Builtins(), p.Extends):
		base, err = policy.Builtin(p.Extends)
	case slices.Contains(policy.Builtins(), arg):
		return nil, fmt.Errorf("profile %s extends %q, which is not built in", arg, p.Extends)
	default:
		ref := p.Extends
		if !filepath.IsAbs(ref) {
			ref = filepath.Join(filepath.Dir(arg), ref)
		}
		base, err = policy.LoadFile(ref)
	}
	if err != nil {
		return nil, fmt.Errorf("extends %q: %w", p.Extends, err)
	}
	bj, err := base.JSON()
	if err != nil {
		return nil, err
	}
	var pm, bm map[string]any
	if err := json.Unmarshal(j, &pm); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(bj, &bm); err != nil {
		return nil, err
	}
	nullRemoved(pm, bm)
	return json.Marshal(pm)
}

// nullRemoved sets to null every key of base that p lacks, at every depth
// where both are objects, so that p as a merge patch onto base gives p.
func nullRemoved(p, base map[string]any) {
	for k, bv := range base {
		pv, ok := p[k]
		if !ok {
			p[k] = nil
			continue
		}
		po, pok := pv.(map[string]any)
		bo, bok := bv.(map[string]any)
		if pok && bok {
			nullRemoved(po, bo)
		}
	}
}

// lintResult is `policy lint --json`.
type lintResult struct {
	OK       bool          `json:"ok"` // every profile is valid
	Profiles []lintProfile `json:"profiles"`
}

// lintProfile is what lint found in one argument.
type lintProfile struct {
	Profile   string           `json:"profile"` // the argument: a built-in name or a file
	Valid     bool             `json:"valid"`
	Version   string           `json:"version,omitempty"`
	Citations int              `json:"citations,omitempty"`
	Problems  []string         `json:"problems,omitempty"` // why it is invalid
	Warnings  []policy.Warning `json:"warnings"`           // of a valid profile
}

func (a *app) policyLintCmd() *cobra.Command {
	var at string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "lint NAME|FILE...",
		Short: "Check profiles: syntax, unknown keys, values, and a citation on every rule",
		Long: `Check profiles: YAML syntax, unknown keys (with their line), every value, and
that every rule carries a valid citation. Exit 0 when all are valid, 1 when
one is not, 2 when there is nothing to lint.

A valid profile may also get warnings, which do not change the exit code: a
holiday calendar series whose data ends within 60 days of now (--at), or has
ended, with its last calendar and last covered date. After that date a profile
whose holidays forbid calls denies every dial (schedule.unavailable). A profile
that extends a built-in one (directly, or through profile files that do) is
warned about every rule that built-in base cites to a law or a regulator
(source L or R) that it relaxes or removes: a wider calling window, a holiday
calendar dropped, a default zone for callees whose zone is unknown, a shorter
retention or hold, a registry no longer required or allowed
older, consent no longer required, a looser cap, a shorter minimum ring time.

With --json, prints an object: ok (every profile valid) and profiles, one per
argument with the keys profile, valid, version, citations, problems (of an
invalid one) and warnings (path and message each). The exit codes are the same.`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			now, err := parseAt("at", at)
			if err != nil {
				return err
			}
			bad := 0
			res := lintResult{Profiles: []lintProfile{}}
			for _, arg := range args {
				lp := lintProfile{Profile: arg, Warnings: []policy.Warning{}}
				if p, err := policy.Load(arg); err != nil {
					bad++
					lp.Problems = problems(err)
				} else {
					lp.Valid, lp.Version, lp.Citations = true, p.Version(), len(policy.Citations(p))
					lp.Warnings = append(lp.Warnings, policy.Lint(p, now)...)
				}
				res.Profiles = append(res.Profiles, lp)
			}
			res.OK = bad == 0
			if asJSON {
				if err := a.printJSON(res); err != nil {
					return err
				}
			} else {
				for _, lp := range res.Profiles {
					if !lp.Valid {
						fmt.Fprintf(a.stdout, "FAIL %s\n", lp.Profile)
						for _, line := range lp.Problems {
							fmt.Fprintf(a.stdout, "  %s\n", line)
						}
						continue
					}
					fmt.Fprintf(a.stdout, "ok   %s (%s, %d citations)\n", lp.Profile, lp.Version, lp.Citations)
					for _, w := range lp.Warnings {
						fmt.Fprintf(a.stdout, "  warning: %s\n", w)
					}
				}
			}
			if bad > 0 {
				return failErr(fmt.Errorf("%d of %d profiles invalid", bad, len(args)))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "lint as of this RFC 3339 time instead of now (calendar coverage warnings)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// problems splits an error into its lines, without the sentinel prefix.
func problems(err error) []string {
	msg := err.Error()
	msg = strings.ReplaceAll(msg, policy.ErrInvalidProfile.Error()+": ", "")
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		out = append(out, errors.Unwrap(err).Error())
	}
	return out
}

func (a *app) policyExplainCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "explain NAME|FILE",
		Short: "Say every rule of a profile in plain words, with its citation",
		Args:  argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadProfile(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				rules := policy.Explain(p)
				if rules == nil {
					rules = []policy.Rule{}
				}
				return a.printJSON(map[string]any{"profile": p.Name, "version": p.Version(), "rules": rules})
			}
			if err := policy.WriteExplain(a.stdout, p); err != nil {
				return failErr(err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
