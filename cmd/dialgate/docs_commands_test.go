package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// docInvocation is one `dialgate …` command line found in a document or a
// help text: where it is and its text (continuation lines joined, comments
// removed).
type docInvocation struct {
	where string // file:line, or the command whose help text holds it
	text  string
	// whole: a command line as it would be typed (a code block, an
	// Example), not a command named in prose: its flags' values and its
	// arguments are checked too, unless it elides (…) or offers
	// alternatives (add|revoke).
	whole bool
}

// docCommandAllowList holds the invocations the documents show wrong on
// purpose (an error's demonstration), by their exact text, each with why.
// Keep it small: every other invocation must run as written.
var docCommandAllowList = map[string]string{
	// (none yet)
}

// docFiles are the documents whose command lines are checked, relative to
// the repository root.
func docFiles(t *testing.T) []string {
	t.Helper()
	root := filepath.Join("..", "..")
	files := []string{filepath.Join(root, "README.md")}
	for _, pattern := range []string{"docs/*.md", "examples/*/README*"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	return files
}

// TestDocCommands checks that every dialgate command line in the README,
// docs/*.md, examples/*/README*, the package comment of cmd/dialgate and the
// commands' own help texts names commands that exist and flags those
// commands take (their own, or inherited).
func TestDocCommands(t *testing.T) {
	root := newApp(strings.NewReader(""), io.Discard, io.Discard).root()
	var invs []docInvocation
	for _, f := range docFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Join("..", ".."), f)
		invs = append(invs, markdownInvocations(root, rel, string(b))...)
	}
	b, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	invs = append(invs, goDocInvocations("cmd/dialgate/main.go", string(b))...)
	invs = append(invs, helpInvocations(root)...)

	// A floor well under today's count (about 170): the extraction cannot
	// silently find nothing.
	const minInvocations = 120
	if len(invs) < minInvocations {
		t.Fatalf("found %d dialgate invocations, want at least %d: is the extraction broken?", len(invs), minInvocations)
	}
	t.Logf("checked %d dialgate invocations", len(invs))
	if os.Getenv("DIALGATE_DOCS_LIST") != "" {
		for _, inv := range invs {
			t.Logf("%s: %s", inv.where, inv.text)
		}
	}

	used := map[string]bool{}
	for _, inv := range invs {
		if why, ok := docCommandAllowList[inv.text]; ok {
			used[inv.text] = true
			t.Logf("%s: allowed (%s): %s", inv.where, why, inv.text)
			continue
		}
		for _, err := range checkInvocation(root, inv) {
			t.Errorf("%s: %s: %v", inv.where, inv.text, err)
		}
	}
	for text := range docCommandAllowList {
		if !used[text] {
			t.Errorf("allow-list entry %q matches no invocation any more: remove it", text)
		}
	}
}

// otherToolFlags are the --flags the documents give to other programs, by
// name, each with the program: every other --flag a document names must be
// a flag of some dialgate command.
var otherToolFlags = map[string]string{
	"arg":        "jq --arg (reading the audit log with jq)",
	"save":       "redis-server --save (the test server's persistence)",
	"appendonly": "redis-server --appendonly",
	"inplace":    "rsync --inplace (how not to replace a registry copy)",
	"interval":   "Docker HEALTHCHECK --interval (dialgate health in a container)",
	"retries":    "Docker HEALTHCHECK --retries",
}

var docFlagRE = regexp.MustCompile("(?:^|[\\s(`/|\\[])--([a-z][a-z0-9-]*)")

// TestDocFlagsExist checks that every --flag the documents and the help
// texts (Short, Long, Example, flag usages) name, in a command line or in
// prose ("the token in `--token-file`"), is a flag of some dialgate
// command, so that a renamed flag leaves no stale mention.
func TestDocFlagsExist(t *testing.T) {
	root := newApp(strings.NewReader(""), io.Discard, io.Discard).root()
	known := map[string]bool{"help": true}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	n := 0
	used := map[string]bool{}
	check := func(where, text string) {
		for i, line := range strings.Split(text, "\n") {
			for _, m := range docFlagRE.FindAllStringSubmatch(line, -1) {
				n++
				switch {
				case known[m[1]]:
				case otherToolFlags[m[1]] != "":
					used[m[1]] = true
				default:
					t.Errorf("%s:%d: --%s is a flag of no dialgate command", where, i+1, m[1])
				}
			}
		}
	}
	for _, f := range docFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Join("..", ".."), f)
		check(rel, string(b))
	}
	var help func(c *cobra.Command)
	help = func(c *cobra.Command) {
		where := fmt.Sprintf("help of %q", c.CommandPath())
		check(where+" (Short)", c.Short)
		check(where+" (Long)", c.Long)
		check(where+" (Example)", c.Example)
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { check(fmt.Sprintf("%s (--%s)", where, f.Name), f.Usage) })
		for _, sub := range c.Commands() {
			help(sub)
		}
	}
	help(root)
	if n < 200 {
		t.Fatalf("found %d --flags in the documents, want at least 200: is the extraction broken?", n)
	}
	t.Logf("checked %d --flag mentions", n)
	for name := range otherToolFlags {
		if !used[name] {
			t.Errorf("otherToolFlags entry %q matches no document any more: remove it", name)
		}
	}
}

var fenceRE = regexp.MustCompile("^\\s*(```|~~~)")

// markdownInvocations returns the dialgate command lines of a markdown
// document: those of fenced code blocks, and the inline code spans that
// start with "dialgate ".
func markdownInvocations(root *cobra.Command, name, doc string) []docInvocation {
	var out []docInvocation
	lines := strings.Split(doc, "\n")
	inFence := false
	var prose []string // the current paragraph outside fences
	proseStart := 0
	flushProse := func() {
		out = append(out, spanInvocations(root, name, proseStart, prose)...)
		prose = nil
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if fenceRE.MatchString(line) {
			flushProse()
			inFence = !inFence
			continue
		}
		if !inFence {
			if strings.TrimSpace(line) == "" {
				flushProse()
				continue
			}
			if prose == nil {
				proseStart = i + 1
			}
			prose = append(prose, line)
			continue
		}
		start := i
		cmd := stripComment(line)
		for strings.HasSuffix(strings.TrimSpace(cmd), `\`) && i+1 < len(lines) {
			cmd = joinContinuation(cmd, lines[i+1])
			i++
		}
		for _, c := range shellCommands(cmd) {
			out = append(out, docInvocation{where: fmt.Sprintf("%s:%d", name, start+1), text: c, whole: true})
		}
	}
	flushProse()
	return out
}

// spanInvocations returns the inline code spans of a paragraph that start
// with "dialgate " (a span may run over a line break), and those that name
// a command without it: a top-level command followed by one of its
// subcommands or a flag (`check --registry FILE`, `audit verify/keygen`).
func spanInvocations(root *cobra.Command, name string, firstLine int, para []string) []docInvocation {
	var out []docInvocation
	text := strings.Join(para, "\n")
	for {
		open := strings.IndexByte(text, '`')
		if open < 0 {
			return out
		}
		n := 1
		for open+n < len(text) && text[open+n] == '`' {
			n++
		}
		fence := text[open : open+n]
		rest := text[open+n:]
		end := strings.Index(rest, fence)
		if end < 0 {
			return out
		}
		span := strings.TrimSpace(strings.ReplaceAll(rest[:end], "\n", " "))
		line := firstLine + strings.Count(text[:open], "\n")
		if isBareCommand(root, span) {
			span = "dialgate " + span
		}
		if strings.HasPrefix(span, "dialgate ") || strings.HasPrefix(span, "go run ./cmd/dialgate ") {
			for _, c := range shellCommands(slashAlternatives(span)) {
				out = append(out, docInvocation{where: fmt.Sprintf("%s:%d", name, line), text: c})
			}
		}
		// Count the lines consumed so far into firstLine.
		consumed := text[:open+n+end+n]
		firstLine += strings.Count(consumed, "\n")
		text = text[open+n+end+n:]
	}
}

// isBareCommand reports whether a code span names a dialgate command
// without "dialgate": a top-level command, then a subcommand of it (or
// alternatives of them, import/build) or a flag.
func isBareCommand(root *cobra.Command, span string) bool {
	w := strings.Fields(span)
	if len(w) < 2 {
		return false
	}
	top := childNamed(root, w[0])
	if top == nil {
		return false
	}
	if strings.HasPrefix(w[1], "--") {
		return true
	}
	first := strings.FieldsFunc(w[1], func(r rune) bool { return r == '/' || r == '|' })
	return len(first) > 0 && childNamed(top, first[0]) != nil
}

var slashAltRE = regexp.MustCompile(`^[a-z][a-z-]*(/[a-z][a-z-]*)+$`)

// slashAlternatives rewrites the prose's "import/build/info" into the
// command lines' "import|build|info".
func slashAlternatives(span string) string {
	w := strings.Split(span, " ")
	for i := range w {
		if slashAltRE.MatchString(w[i]) {
			w[i] = strings.ReplaceAll(w[i], "/", "|")
		}
	}
	return strings.Join(w, " ")
}

// goDocInvocations returns the dialgate command lines of a Go file's
// comments that are indented as code ("//\tdialgate …").
func goDocInvocations(name, src string) []docInvocation {
	var out []docInvocation
	for i, line := range strings.Split(src, "\n") {
		if rest, ok := strings.CutPrefix(line, "//\t"); ok {
			for _, c := range shellCommands(stripComment(rest)) {
				out = append(out, docInvocation{where: fmt.Sprintf("%s:%d", name, i+1), text: c, whole: true})
			}
		}
	}
	return out
}

// helpInvocations returns the dialgate command lines of every command's
// Example, of the lines of its Long text indented as code, and of the
// inline code spans of its Long text.
func helpInvocations(root *cobra.Command) []docInvocation {
	var out []docInvocation
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(field, text string, indentedOnly bool) {
			lines := strings.Split(text, "\n")
			for i := 0; i < len(lines); i++ {
				line := lines[i]
				if indentedOnly && !strings.HasPrefix(line, "  ") {
					continue
				}
				cmd := stripComment(line)
				for strings.HasSuffix(strings.TrimSpace(cmd), `\`) && i+1 < len(lines) {
					cmd = joinContinuation(cmd, lines[i+1])
					i++
				}
				for _, s := range shellCommands(cmd) {
					out = append(out, docInvocation{where: fmt.Sprintf("help of %q (%s)", c.CommandPath(), field), text: s, whole: true})
				}
			}
		}
		add("Example", c.Example, false)
		add("Long", c.Long, true)
		for _, inv := range spanInvocations(root, "", 0, strings.Split(c.Long, "\n")) {
			out = append(out, docInvocation{where: fmt.Sprintf("help of %q (Long)", c.CommandPath()), text: inv.text})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// joinContinuation joins a line ending in a backslash and the next one
// with one space.
func joinContinuation(cmd, next string) string {
	head := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(cmd), `\`))
	return head + " " + strings.TrimSpace(stripComment(next))
}

// stripComment removes a shell comment: a # at the start or after a space,
// outside quotes.
func stripComment(line string) string {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return line[:i]
		}
	}
	return line
}

var envAssignRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=\S*\s+`)

// shellCommands splits a command line at the shell's separators (" | ",
// "&&", "||", ";") and returns each part that runs dialgate, with "$ ",
// environment assignments and "go run ./cmd/dialgate" taken off the front.
// A part that is the first one and does not run dialgate is dropped.
func shellCommands(line string) []string {
	var out []string
	for _, part := range splitShell(line) {
		p := strings.TrimSpace(part)
		p = strings.TrimPrefix(p, "$ ")
		for envAssignRE.MatchString(p) {
			p = envAssignRE.ReplaceAllString(p, "")
		}
		if rest, ok := strings.CutPrefix(p, "go run ./cmd/dialgate "); ok {
			p = "dialgate " + rest
		}
		if strings.HasPrefix(p, "dialgate ") {
			out = append(out, p)
		}
	}
	return out
}

// splitShell splits at " | ", "||", "&&" and ";" outside quotes; a "|"
// inside a word (register|end) is the documents' "one of", not a pipe.
func splitShell(line string) []string {
	var parts []string
	var quote rune
	last := 0
	for i := 0; i < len(line); i++ {
		c := rune(line[i])
		if quote != 0 {
			if c == quote {
				quote = 0
			}
			continue
		}
		switch {
		case c == '\'' || c == '"':
			quote = c
		case c == ';':
			parts, last = append(parts, line[last:i]), i+1
		case strings.HasPrefix(line[i:], "&&") || strings.HasPrefix(line[i:], "||"):
			parts, last = append(parts, line[last:i]), i+2
			i++
		case c == '|' && (i == 0 || line[i-1] == ' ') && (i+1 == len(line) || line[i+1] == ' '):
			parts, last = append(parts, line[last:i]), i+1
		}
	}
	return append(parts, line[last:])
}

// tokenize splits a command line into words as a shell would (quotes
// removed, and the brackets of an optional [--flag]), stopping at a
// redirection or an ellipsis; elided reports the ellipsis.
func tokenize(s string) (words []string, elided bool) {
	var cur strings.Builder
	inWord := false
	var quote rune
	flush := func() {
		if inWord {
			w := cur.String()
			if strings.HasPrefix(w, "[") && strings.HasSuffix(w, "]") {
				w = w[1 : len(w)-1]
			}
			words = append(words, w)
		}
		cur.Reset()
		inWord = false
	}
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			flush()
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	for i, w := range words {
		if w == "…" || w == "..." {
			return words[:i], true
		}
		if strings.HasPrefix(w, ">") || strings.HasPrefix(w, "<") && !strings.HasSuffix(w, ">") || strings.HasPrefix(w, "2>") {
			return words[:i], false
		}
	}
	return words, false
}

// expandAlternatives expands the documents' "a|b|c" words into one command
// line per alternative.
func expandAlternatives(words []string) [][]string {
	lines := [][]string{nil}
	for _, w := range words {
		alts := []string{w}
		if strings.Contains(w, "|") && !strings.HasPrefix(w, "-") {
			alts = strings.Split(w, "|")
		}
		var next [][]string
		for _, l := range lines {
			for _, a := range alts {
				next = append(next, append(append([]string(nil), l...), a))
			}
		}
		lines = next
	}
	return lines
}

var multiSpaceRE = regexp.MustCompile(`\s{2,}`)

// checkInvocation resolves a command line against the command tree and
// returns what is wrong with it: an unknown command, an unknown flag.
// Several commands may share a line, separated by two or more spaces
// ("dialgate admin dnc add|remove  consent add|revoke"): a part that starts
// with "dialgate" or with a subcommand of the previous part's command or one
// of its parents is a command of its own; any other part continues the
// previous one.
func checkInvocation(root *cobra.Command, inv docInvocation) []error {
	text := inv.text
	var errs []error
	segments := multiSpaceRE.Split(strings.TrimSpace(text), -1)
	var cmds []string
	var prevPath []string
	for i, seg := range segments {
		first := strings.Fields(seg)[0]
		switch {
		case i == 0 || first == "dialgate":
			cmds = append(cmds, seg)
			prevPath = commandPath(root, words(seg))
		default:
			base, ok := siblingBase(root, prevPath, first)
			if !ok {
				cmds[len(cmds)-1] += " " + seg
				prevPath = commandPath(root, words(cmds[len(cmds)-1]))
				continue
			}
			line := "dialgate " + strings.Join(base, " ") + " " + seg
			cmds = append(cmds, line)
			prevPath = commandPath(root, words(line))
		}
	}
	for _, c := range cmds {
		ws, elided := tokenize(c)
		if len(ws) == 0 || ws[0] != "dialgate" {
			errs = append(errs, fmt.Errorf("does not start with dialgate"))
			continue
		}
		alts := expandAlternatives(ws[1:])
		whole := inv.whole && !elided && len(alts) == 1
		for _, alt := range alts {
			if err := checkWords(root, alt); err != nil {
				errs = append(errs, err)
			} else if whole {
				if err := parseWhole(alt); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errs
}

// words is tokenize without the ellipsis report.
func words(s string) []string {
	w, _ := tokenize(s)
	return w
}

// parseWhole parses a whole command line (the words after "dialgate") as
// the command would, on a command tree of its own, without running it: the
// flags' values must parse and the arguments must be what the command takes.
func parseWhole(ws []string) error {
	root := newApp(strings.NewReader(""), io.Discard, io.Discard).root()
	c, _, _ := resolve(root, ws)
	var path []string
	for x := c; x != root; x = x.Parent() {
		path = append([]string{x.Name()}, path...)
	}
	// Take the command's path out of the words (cobra's own stripping),
	// keeping flags and their values where they are.
	rest := make([]string, 0, len(ws))
	for _, w := range ws {
		if len(path) > 0 && w == path[0] {
			path = path[1:]
			continue
		}
		rest = append(rest, w)
	}
	if err := c.ParseFlags(rest); err != nil {
		return fmt.Errorf("%s: %w", c.CommandPath(), err)
	}
	if err := c.ValidateRequiredFlags(); err != nil {
		return fmt.Errorf("%s: %w", c.CommandPath(), err)
	}
	if err := c.ValidateFlagGroups(); err != nil {
		return fmt.Errorf("%s: %w", c.CommandPath(), err)
	}
	if c.Args != nil {
		if err := c.Args(c, c.Flags().Args()); err != nil {
			return fmt.Errorf("%s: arguments %q: %w", c.CommandPath(), c.Flags().Args(), err)
		}
	}
	return nil
}

// commandPath returns the names of the subcommands words (starting with
// "dialgate") resolve to, alternatives taking their first choice.
func commandPath(root *cobra.Command, words []string) []string {
	if len(words) == 0 {
		return nil
	}
	alts := expandAlternatives(words[1:])
	c, _, _ := resolve(root, alts[0])
	var path []string
	for ; c != nil && c != root; c = c.Parent() {
		path = append([]string{c.Name()}, path...)
	}
	return path
}

// siblingBase returns the path of the nearest command on path (itself
// excluded) of which name is a subcommand.
func siblingBase(root *cobra.Command, path []string, name string) ([]string, bool) {
	for n := len(path) - 1; n >= 0; n-- {
		c, _, _ := resolve(root, path[:n])
		if c != nil && childNamed(c, name) != nil {
			return path[:n], true
		}
	}
	return nil, false
}

func childNamed(c *cobra.Command, n string) *cobra.Command {
	for _, sub := range c.Commands() {
		if sub.Name() == n || sub.HasAlias(n) {
			return sub
		}
	}
	return nil
}

// docFlag is a flag as a command line gives it.
type docFlag struct {
	name  string
	short bool
}

// resolve walks words (after "dialgate") down the command tree as cobra
// does: a word that names a subcommand of the command reached, before any
// positional argument, descends; a flag that takes a value skips the next
// word. It returns the command, the flags given and the positional words.
func resolve(root *cobra.Command, words []string) (*cobra.Command, []docFlag, []string) {
	c := root
	var flags []docFlag
	var args []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "--":
			return c, flags, append(args, words[i+1:]...)
		case strings.HasPrefix(w, "--") && len(w) > 2:
			n, _, hasValue := strings.Cut(w[2:], "=")
			flags = append(flags, docFlag{name: n})
			if f := lookupFlag(c, n); !hasValue && (f == nil || f.NoOptDefVal == "") {
				i++
			}
		case strings.HasPrefix(w, "-") && len(w) > 1 && !isNumberLike(w):
			shorts := strings.SplitN(w[1:], "=", 2)[0]
			for j, r := range shorts {
				flags = append(flags, docFlag{name: string(r), short: true})
				f := lookupShort(c, string(r))
				if j == len(shorts)-1 && !strings.Contains(w, "=") && (f == nil || f.NoOptDefVal == "") {
					i++
				}
			}
		default:
			if len(args) == 0 {
				if sub := childNamed(c, w); sub != nil {
					c = sub
					continue
				}
			}
			args = append(args, w)
		}
	}
	return c, flags, args
}

// isNumberLike reports whether w is a negative number or an offset, not a
// flag.
func isNumberLike(w string) bool {
	return len(w) > 1 && w[1] >= '0' && w[1] <= '9'
}

func lookupFlag(c *cobra.Command, n string) *pflag.Flag {
	c.InitDefaultHelpFlag()
	if f := c.Flags().Lookup(n); f != nil {
		return f
	}
	return c.InheritedFlags().Lookup(n)
}

func lookupShort(c *cobra.Command, s string) *pflag.Flag {
	c.InitDefaultHelpFlag()
	if f := c.Flags().ShorthandLookup(s); f != nil {
		return f
	}
	return c.InheritedFlags().ShorthandLookup(s)
}

// checkWords checks one command line (the words after "dialgate").
func checkWords(root *cobra.Command, words []string) error {
	c, flags, args := resolve(root, words)
	if c == root {
		if len(args) > 0 {
			return fmt.Errorf("unknown command %q", args[0])
		}
		if len(flags) == 0 {
			return fmt.Errorf("names no command")
		}
	}
	if c.HasSubCommands() && len(args) > 0 && !isPlaceholder(args[0]) {
		return fmt.Errorf("unknown command %q under %q", args[0], c.CommandPath())
	}
	var bad []string
	for _, f := range flags {
		var ok bool
		if f.short {
			ok = lookupShort(c, f.name) != nil
		} else {
			ok = lookupFlag(c, f.name) != nil
		}
		if !ok {
			dash := "--"
			if f.short {
				dash = "-"
			}
			bad = append(bad, dash+f.name)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%q has no flag %s", c.CommandPath(), strings.Join(bad, ", "))
	}
	return nil
}

// isPlaceholder reports whether a word stands for something to fill in
// (FILE, <cmd>, SUBCOMMAND).
func isPlaceholder(w string) bool {
	return strings.HasPrefix(w, "<") || w == strings.ToUpper(w)
}

// TestDocCommandsCatchErrors makes sure the check fails on what it is for,
// so that TestDocCommands cannot pass by finding nothing wrong.
func TestDocCommandsCatchErrors(t *testing.T) {
	root := newApp(strings.NewReader(""), io.Discard, io.Discard).root()
	doc := "Run `dialgate dnc import --scopes global x.csv` or:\n\n" +
		"```sh\n" +
		"dialgate check --to +8613800138000 \\\n    --purpose service --lead-idd x   # typo\n" +
		"go run ./cmd/dialgate polcy explain cn\n" +
		"dialgate recordings register|finish\n" +
		"dialgate admin dnc add  consent revok\n" +
		"dialgate dnc build --out x.snap --name n\n" +
		"dialgate dnc import --column one --scope global f.txt\n" +
		"dialgate dnc import|build --column one\n" +
		"```\n" +
		"and `dialgate dnc --config sidecar.yaml import --scope global f.txt` is fine, as is\n" +
		"`dialgate policy show cn > cn.yaml`, `dialgate consent add|revoke`, `dialgate admin …`\n" +
		"and `dialgate -h`.\n" +
		"\n" +
		"Bare: `audit verify/keygen/repare`, `complaint list [--overdu]`, `check --registri FILE`,\n" +
		"`complaint list [--overdue]`, `check` and `consent records`.\n"
	invs := markdownInvocations(root, "doc.md", doc)
	var lines []string
	for _, inv := range invs {
		errs := checkInvocation(root, inv)
		lines = append(lines, fmt.Sprintf("%s %s: %v", inv.where, inv.text, errs))
	}
	got := strings.Join(lines, "\n")
	want := []string{
		`doc.md:1 dialgate dnc import --scopes global x.csv: ["dialgate dnc import" has no flag --scopes]`,
		`doc.md:4 dialgate check --to +8613800138000 --purpose service --lead-idd x: ["dialgate check" has no flag --lead-idd]`,
		`doc.md:6 dialgate polcy explain cn: [unknown command "polcy"]`,
		`doc.md:7 dialgate recordings register|finish: [unknown command "finish" under "dialgate recordings"]`,
		`doc.md:8 dialgate admin dnc add  consent revok: [unknown command "revok" under "dialgate admin consent"]`,
		// A whole command line: its arguments and flag values are checked too.
		`doc.md:9 dialgate dnc build --out x.snap --name n: [dialgate dnc build: arguments []: requires at least 1 arg(s), only received 0 (see dialgate dnc build --help)]`,
		`doc.md:10 dialgate dnc import --column one --scope global f.txt: [dialgate dnc import: invalid argument "one" for "--column" flag: strconv.ParseInt: parsing "one": invalid syntax]`,
		// Alternatives are a summary, not a line to type: names only.
		`doc.md:11 dialgate dnc import|build --column one: []`,
		`doc.md:13 dialgate dnc --config sidecar.yaml import --scope global f.txt: []`,
		`doc.md:14 dialgate policy show cn > cn.yaml: []`,
		`doc.md:14 dialgate consent add|revoke: []`,
		`doc.md:14 dialgate admin …: []`,
		`doc.md:15 dialgate -h: []`,
		// Commands named without "dialgate"; `check` and `consent records`
		// alone are prose, not commands.
		`doc.md:17 dialgate audit verify|keygen|repare: [unknown command "repare" under "dialgate audit"]`,
		`doc.md:17 dialgate complaint list [--overdu]: ["dialgate complaint list" has no flag --overdu]`,
		`doc.md:17 dialgate check --registri FILE: ["dialgate check" has no flag --registri]`,
		`doc.md:18 dialgate complaint list [--overdue]: []`,
	}
	if got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	// The help texts' command lines are found: Examples, and indented
	// lines and code spans of Long.
	fields := map[string]bool{}
	for _, inv := range helpInvocations(root) {
		fields[inv.where] = true
	}
	for _, where := range []string{`help of "dialgate dnc lookup" (Example)`, `help of "dialgate admin" (Long)`} {
		if !fields[where] {
			t.Errorf("no command line found in the %s", where)
		}
	}
}
