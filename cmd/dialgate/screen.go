package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/numbering"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/sweep"
)

func (a *app) screenCmd() *cobra.Command {
	var (
		profile       string
		country       int
		asJSON, asCSV bool
		all           bool
		dncFiles      []string
		tenant        string
	)
	cmd := &cobra.Command{
		Use:   "screen FILE",
		Short: "Screen a dial list before a campaign: sweeps, coverage, duplicates, do-not-call",
		Long: `Reads a dial list (one number a line, or CSV with a number/phone column) and
reports per number whether it may be dialled: allowed, or each finding —
list.invalid (the line is not a number, or one no dial can be made to, as
check judges a callee: a mobile with a digit too many, a number cut short;
reported with its line number, the rest is screened), list.duplicate, dnc.listed (with --dnc snapshots),
sweep.sequential (part of a run of consecutive numbers, within one segment or
across the boundary of two, or of a stride: numbers with the same last four
digits in successive segments, under a profile with sweep.stride) and
sweep.segment_coverage (the list holds too many numbers of one segment) — and
a summary by segment. The rules come from the profile's sweep section (with
--tenant, that tenant's own thresholds from its sweep.tenants, as its dials
are held to at run time); under
a profile without one (us, uk, ca, au, fr) screen needs --dnc and washes the
list against the snapshots only.

The do-not-call wash reads the --dnc snapshots only, not the store of
--data (its opt-outs and complaints): --data is refused.

Output: text (findings only, --all for every number), --csv or --json (every
number). Exit 0 when every number is allowed, 1 when any has a finding, 2 on
bad input. A progress bar is drawn on stderr when it is a terminal.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.dataSet {
				// The wash reads --dnc snapshots only: a --data ignored
				// without a word let "screen" pass numbers the store there
				// holds opt-outs or complaints for.
				return usageErr("--data: screen reads no store: it washes the list against --dnc snapshots only, not the do-not-call lists, opt-outs or complaints stored in %s; leave --data out and give --dnc (dnc build makes a snapshot)", a.data)
			}
			if asJSON && asCSV {
				return usageErr("--json and --csv: choose one")
			}
			if err := checkCountryCode("--country", country); err != nil {
				return err
			}
			if cmd.Flags().Changed("tenant") {
				// An empty --tenant (an unset shell variable) screened
				// with the profile's thresholds, not the tenant's.
				if tenant == "" {
					return usageErr("--tenant: empty; give the tenant whose sweep thresholds to screen with, or leave it out for the profile's")
				}
				if err := checkText("--tenant", tenant); err != nil {
					return err
				}
			}
			p, err := policy.Load(profile)
			if err != nil {
				return usageErr("--profile: %v", err)
			}
			requirePlus := false
			if !cmd.Flags().Changed("country") && p.Name != "cn" && !strings.HasPrefix(p.Name, "cn-") {
				// 86 is cn's default only: under another profile a US list
				// of 4055550100 read as Chinese (or, with no country, as
				// Romanian) numbers would be screened in the wrong segments
				// (runs missed). Such numbers are invalid findings instead,
				// saying to give --country.
				country, requirePlus = 0, true
			}
			var cfg sweep.Config
			if p.Sweep != nil {
				cfg = *p.Sweep
			}
			if cmd.Flags().Changed("tenant") {
				// The tenant's own thresholds (sweep.tenants), stricter
				// than the profile's: the rules its dials are held to.
				if _, own := cfg.Tenants[tenant]; !own {
					fmt.Fprintf(a.stderr, "dialgate: note: tenant %q has no thresholds of its own in the sweep.tenants of profile %s: screening with the profile's\n", tenant, p.Name)
				}
				cfg = cfg.ForTenant(tenant)
			}
			if cfg.Sequential == nil && cfg.Stride == nil && cfg.Coverage == nil {
				if len(dncFiles) == 0 {
					return usageErr("--profile: %s has no sweep.sequential, sweep.stride or sweep.coverage rule to screen with (give --dnc to wash the list against do-not-call snapshots)", p.Name)
				}
				// The do-not-call wash does not need sweep rules: the
				// profiles with national registries (us, uk, ca, au, fr)
				// have none.
				fmt.Fprintf(a.stderr, "dialgate: note: profile %s has no sweep rule: screening for do-not-call, duplicate and invalid lines only\n", p.Name)
				cfg = sweep.Config{}
			}
			var snaps []*dnc.Snapshot
			for _, path := range dncFiles {
				if err := notDir("--dnc", path); err != nil {
					return err
				}
				s, err := dnc.OpenSnapshot(path)
				if err != nil {
					return usageErr("--dnc: %v", err)
				}
				snaps = append(snaps, s)
			}
			var listed sweep.Listed
			if len(snaps) > 0 {
				listed = func(n dialgate.Number) (bool, error) {
					// A French overseas line is listed under either of its
					// spellings (+33 596 … or +596 596 …), a Mexican number
					// also under the withdrawn prefix 1 (+52 1 55 …), as the
					// gate's do-not-call check looks it up.
					spellings := []dialgate.Number{n}
					if alt, ok := numbering.LineAlias(n); ok {
						spellings = append(spellings, alt)
					}
					for _, s := range snaps {
						for _, m := range spellings {
							// Lookup: a snapshot file truncated while the
							// screen runs is an error, not a crash.
							if in, err := s.Lookup(m); in || err != nil {
								return in, err
							}
						}
					}
					return false, nil
				}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return usageErr("FILE: %v", err)
			}
			defer f.Close()
			if st, err := f.Stat(); err == nil && st.IsDir() {
				return usageErr("FILE: %s: is a directory (want a dial list file)", args[0])
			}
			var r io.Reader = f
			if fd, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(fd.Fd())) {
				if st, err := f.Stat(); err == nil {
					bar := progressbar.NewOptions64(st.Size(),
						progressbar.OptionSetWriter(a.stderr), progressbar.OptionShowBytes(true),
						progressbar.OptionSetDescription("screening"), progressbar.OptionClearOnFinish(),
						progressbar.OptionThrottle(100_000_000))
					defer bar.Finish()
					pr := progressbar.NewReader(f, bar)
					r = &pr
				}
			}
			var items []sweep.Item
			err = sweep.ReadList(r, sweep.ListOptions{Country: country, RequirePlus: requirePlus}, func(it sweep.Item) error {
				items = append(items, it)
				return nil
			})
			if err != nil {
				if errors.Is(err, sweep.ErrBadList) {
					return usageErr("%s: %v", args[0], err)
				}
				return failErr(err)
			}
			if noPlus := countNoPlus(items); noPlus > 0 {
				fmt.Fprintf(a.stderr, "dialgate: %d %s written without +: give --country with the list's country calling code (--country 1 for a US list), or write them with +\n",
					noPlus, plural(noPlus, "number", "numbers"))
			}
			rep, err := sweep.Screen(cmd.Context(), items, cfg, listed)
			if err != nil {
				return failErr(err)
			}
			switch {
			case asJSON:
				err = rep.WriteJSON(a.stdout)
			case asCSV:
				err = rep.WriteCSV(a.stdout)
			default:
				err = rep.WriteText(a.stdout, all)
			}
			if err != nil {
				return failErr(err)
			}
			if rep.Allowed != rep.Total {
				return silent(exitFailed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&profile, "profile", "cn", "profile whose sweep rules to screen with (built-in name or file)")
	f.IntVar(&country, "country", 86, "country code of numbers written without + (national forms such as 13900139000 or 010 5800 1234); 0: every number must be international. Default 86 under cn profiles (cn, cn-…) only; under any other profile numbers without + are invalid unless --country is given")
	f.BoolVar(&asJSON, "json", false, "write the report as JSON")
	f.BoolVar(&asCSV, "csv", false, "write one CSV row per number")
	f.BoolVar(&all, "all", false, "text output: list allowed numbers too")
	f.StringSliceVar(&dncFiles, "dnc", nil, "do-not-call snapshot file to wash the list against (repeatable)")
	f.StringVar(&tenant, "tenant", "", "screen with the sweep thresholds of this tenant (the profile's sweep.tenants, stricter than the profile's); without it, the profile's")
	return cmd
}

// checkCountryCode refuses a country code flag (screen --country, dnc
// --country-code) that is not 0 or an assigned country calling code:
// "--country 4" (for 44) would read "020 7946 0000" as the Czech
// +420 7946 0000.
func checkCountryCode(flag string, cc int) error {
	if cc == 0 {
		return nil
	}
	if cc > 0 && cc <= 999 {
		if n, err := dialgate.ParseNumber("+" + strconv.Itoa(cc) + "1234567"); err == nil && n.CountryCode() == cc {
			return nil
		}
	}
	return usageErr("%s: %d is not an assigned country calling code (e.g. 86, 44, 1; 0: every number in international form)", flag, cc)
}

// countNoPlus counts the items refused for a number written without "+"
// (sweep.ErrNoPlus).
func countNoPlus(items []sweep.Item) int {
	n := 0
	for _, it := range items {
		if errors.Is(it.Err, sweep.ErrNoPlus) {
			n++
		}
	}
	return n
}
