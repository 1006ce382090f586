package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// app holds what every command writes to and reads from.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	data           string          // --data
	dataSet        bool            // --data given on the command line
	fleetCfg       *sidecar.Config // the config --config names, loaded before the command runs
	fleetConfig    string          // --config of the recordings, complaint and report commands
	// afterReportVerify, when not nil (tests), is called by report
	// quarterly --key once the logs are verified, before they are counted.
	afterReportVerify func()
	// beforeReportVerify, when not nil (tests), is called by report
	// quarterly --key before the logs are verified (a sidecar writing on).
	beforeReportVerify func()
	// afterAuditListed, when not nil (tests), is called by audit verify and
	// report quarterly --key once a log's files are listed, before they are
	// verified (a sidecar writing on, rotating its log).
	afterAuditListed func()
	// now, when not nil (tests), is the clock of the decisions check makes
	// against a store, which refuses --at; nil means the system clock.
	now func() time.Time
	// complaintPageSize, when not 0 (tests), is the page_size admin
	// complaint list asks for; 0 asks for sidecar.MaxComplaintPageSize.
	complaintPageSize int32
}

// clock returns the clock of a decision check records in a store: the
// system clock unless a test set a.now.
func (a *app) clock() dialgate.Clock {
	if a.now != nil {
		return dialgate.ClockFunc(a.now)
	}
	return dialgate.SystemClock{}
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr}
}

// root returns the dialgate command with every command group.
func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "dialgate",
		Short: "Decide whether outbound calls may be placed, and say why",
		Long: `dialgate decides, for every outbound call a dialer wants to place, whether it
may be placed now under a jurisdiction profile (calling windows, do-not-call
lists, consent, caller-ID rules, frequency caps), and says why.

Exit codes: 0 allowed or passed, 1 denied or failed, 2 bad input.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// A command group parses the flags of a mistyped subcommand
		// (`dnc ad --number …`) as its own: the word spelt wrong, which
		// the group would refuse as an argument, is the problem, not the
		// flag spelt right.
		if args := c.Flags().Args(); c.HasSubCommands() && len(args) > 0 && c.ValidateArgs(args) != nil {
			return usageErr("unknown command %q for %q (see %s --help)", args[0], c.CommandPath(), c.CommandPath())
		}
		return usageErr("%s (see %s --help)", err, c.CommandPath())
	})
	root.PersistentFlags().StringVar(&a.data, "data", defaultData, "directory of the embedded durable store")
	// Commands with --config use the config's data directory unless --data
	// is given (as dialgate serve does).
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		a.dataSet = cmd.Flags().Changed("data")
		if a.dataSet && a.data == "" {
			// An unset shell variable: the store would be made, or looked
			// for, in whatever directory the command runs in.
			return usageErr("--data: empty (the store's directory; leave --data out for ./dialgate-data)")
		}
		return a.loadFleet()
	}

	root.AddCommand(a.checkCmd())
	root.AddCommand(a.ledgerCmd())
	screen := a.screenCmd()
	a.hideGlobalData(screen)
	root.AddCommand(screen)
	root.AddCommand(a.dncCmd())
	root.AddCommand(a.policyCmd())
	root.AddCommand(a.scenariosCmd())
	root.AddCommand(a.serveCmd())
	root.AddCommand(a.versionCmd())
	root.AddCommand(a.recordingsCmd())
	root.AddCommand(a.complaintCmd())
	root.AddCommand(a.reportCmd())
	root.AddCommand(a.auditCmd())
	root.AddCommand(a.consentCmd())
	admin := a.adminCmd()
	a.hideGlobalData(admin)
	root.AddCommand(admin)
	health := a.healthCmd()
	a.hideGlobalData(health)
	root.AddCommand(health)
	refuseUnknownSubcommands(root)
	refuseRepeatedFlags(root)
	return root
}

// defaultData is the default of the global --data.
const defaultData = "./dialgate-data"

// hideGlobalData gives cmd, a command that refuses the global --data (admin
// writes through a sidecar; screen reads snapshots only), a --data of its
// own for it and its subcommands, bound like the global one but hidden, so
// that their help lists only the flags they accept. The flag is still
// parsed, so that the command's refusal names it (rather than "unknown
// flag"), exactly as before.
func (a *app) hideGlobalData(cmd *cobra.Command) {
	p := cmd.PersistentFlags()
	p.StringVar(&a.data, "data", defaultData, "refused: this command opens no data directory")
	_ = p.MarkHidden("data")
}

// refuseRepeatedFlags makes every flag of cmd and its subcommands that takes
// one value refuse a second one: pflag keeps the last without a word, so
// "dnc import --scope global … --scope tenant:acme" listed the numbers for
// one tenant only. Flags that take several values (--registry, --dnc) and
// switches are left as they are.
func refuseRepeatedFlags(cmd *cobra.Command) {
	wrap := func(f *pflag.Flag) {
		if _, done := f.Value.(*onceValue); done {
			return
		}
		t := f.Value.Type()
		if t == "bool" || strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array") {
			return
		}
		f.Value = &onceValue{Value: f.Value}
	}
	cmd.Flags().VisitAll(wrap)
	cmd.PersistentFlags().VisitAll(wrap)
	for _, c := range cmd.Commands() {
		refuseRepeatedFlags(c)
	}
}

// onceValue is a flag value that may be set once.
type onceValue struct {
	pflag.Value
	set bool
}

// Set sets the value, or refuses a second one.
func (v *onceValue) Set(s string) error {
	if v.set {
		return fmt.Errorf("given more than once (the first value is %q): give it once", v.Value.String())
	}
	v.set = true
	return v.Value.Set(s)
}

// refuseUnknownSubcommands makes every command group that does nothing
// itself refuse arguments: cobra prints such a group's help and exits 0 for
// "dialgate consent revok c-1", so a script took a revocation that never
// ran for done. Unknown subcommands are then bad input (exit 2); the group
// alone prints its help.
func refuseUnknownSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		refuseUnknownSubcommands(c)
	}
	if cmd.HasParent() && cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.Args = argsUsage(cobra.NoArgs)
		cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
}

// run executes the command line and writes the message of an error to stderr.
func (a *app) run(ctx context.Context, args []string) error {
	out := &outWriter{w: a.stdout}
	a.stdout = out
	root := a.root()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	var e *exitError
	if out.err != nil {
		// The command's output was lost (stdout on a full disk): exit 0
		// would pass a cut export or decision for a whole one, and 2 (what
		// run makes of an error of no code) says bad input, nothing done,
		// where a write the command made stands. 1: it could not do all
		// its job. A command whose 1 is an answer the output did not give
		// (dnc lookup: listed nowhere) names its own code. A command that
		// failed with a code of its own keeps it.
		code := exitFailed
		if cmd != nil && cmd.Annotations[stdoutFailAnnotation] == "2" {
			code = exitBadArgs
		}
		lost := fmt.Errorf("stdout: %w: the output is incomplete", out.err)
		switch {
		case err == nil:
			err = &exitError{code: code, err: lost}
		case !errors.As(err, &e):
			if !errors.Is(err, out.err) {
				lost = fmt.Errorf("%w; %w", err, lost)
			}
			err = &exitError{code: code, err: lost}
		default:
			fmt.Fprintf(a.stderr, "dialgate: %v\n", lost)
		}
	}
	if err == nil {
		return nil
	}
	if !errors.As(err, &e) {
		// cobra's own errors: unknown command or flag, wrong number of arguments.
		e = &exitError{code: exitBadArgs, err: err}
	}
	if e.err != nil {
		fmt.Fprintf(a.stderr, "dialgate: %v\n", e.err)
	}
	return e
}

// stdoutFailAnnotation is the annotation of a command whose exit code, when
// its output could not be written, is not 1 (exitFailed) but the value
// ("2"): a command whose 1 is an answer.
const stdoutFailAnnotation = "dialgate/stdout-fail-code"

// outWriter is stdout, remembering its first write error: most output is
// written with fmt.Fprintf, whose errors the commands do not check, and a
// command whose output was lost must not exit 0.
type outWriter struct {
	w   io.Writer
	err error
}

// Write writes p, and remembers the first error.
func (o *outWriter) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil && o.err == nil {
		o.err = err
	}
	return n, err
}

// argsUsage wraps a cobra.PositionalArgs so that its error is a usage error.
func argsUsage(f cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := f(cmd, args); err != nil {
			return usageErr("%v (see %s --help)", err, cmd.CommandPath())
		}
		return nil
	}
}
