// Package digitdfa compiles a regular expression into a deterministic
// automaton over the ten ASCII digits, so that matching a string of digits
// against it costs one table look-up a digit and no allocation. It answers
// exactly what package regexp answers for the same pattern on a digit
// string: Match as regexp.MustCompile("^(?:" + pattern + ")$").MatchString,
// MatchPrefix as regexp.MustCompile("^(?:" + pattern + ")").MatchString.
//
// It is built for libphonenumber's number patterns (digit classes,
// alternations, bounded repetitions) and refuses a pattern it cannot
// compile exactly — one with an anchor or another empty-width assertion, or
// whose automaton would exceed the state limit — with an error, so that the
// caller falls back to package regexp.
package digitdfa

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// ErrUnsupported is wrapped by Compile's error for a pattern it cannot
// compile exactly.
var ErrUnsupported = errors.New("digitdfa: pattern not supported")

// dead is the transition to the state from which nothing matches.
const dead = -1

// DFA is a compiled pattern. Its zero value matches nothing. A DFA is
// immutable and safe for concurrent use.
type DFA struct {
	next   [][10]int32 // next[s][d]: the state after digit d, or dead
	accept []bool      // accept[s]: the digits read so far match the pattern
}

// Compile returns the DFA of pattern (Perl syntax, as regexp.Compile reads
// it), with at most maxStates states.
func Compile(pattern string, maxStates int) (*DFA, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("digitdfa: %w", err)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, fmt.Errorf("digitdfa: %w", err)
	}
	c := compiler{prog: prog, ids: map[string]int32{}}
	start, acc, err := c.closure([]uint32{uint32(prog.Start)})
	if err != nil {
		return nil, err
	}
	d := &DFA{}
	queue := [][]uint32{start}
	c.ids[stateKey(start, acc)] = 0
	d.accept = append(d.accept, acc)
	d.next = append(d.next, [10]int32{})
	for s := 0; s < len(queue); s++ {
		for digit := range 10 {
			r := rune('0' + digit)
			var moved []uint32
			for _, pc := range queue[s] {
				if c.matches(&prog.Inst[pc], r) {
					moved = append(moved, prog.Inst[pc].Out)
				}
			}
			if len(moved) == 0 {
				d.next[s][digit] = dead
				continue
			}
			set, acc, err := c.closure(moved)
			if err != nil {
				return nil, err
			}
			if len(set) == 0 && !acc {
				d.next[s][digit] = dead
				continue
			}
			k := stateKey(set, acc)
			id, ok := c.ids[k]
			if !ok {
				if len(queue) >= maxStates {
					return nil, fmt.Errorf("%w: more than %d states", ErrUnsupported, maxStates)
				}
				id = int32(len(queue))
				c.ids[k] = id
				queue = append(queue, set)
				d.accept = append(d.accept, acc)
				d.next = append(d.next, [10]int32{})
			}
			d.next[s][digit] = id
		}
	}
	return d, nil
}

type compiler struct {
	prog *syntax.Prog
	ids  map[string]int32
}

// matches reports whether the rune-consuming instruction in accepts r.
func (c *compiler) matches(in *syntax.Inst, r rune) bool {
	switch in.Op {
	case syntax.InstRune, syntax.InstRune1:
		return in.MatchRune(r)
	case syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		return true // a digit is never a newline
	}
	return false
}

// closure returns the sorted rune-consuming instructions reachable from
// pcs without consuming input, and whether a match instruction is.
func (c *compiler) closure(pcs []uint32) ([]uint32, bool, error) {
	seen := map[uint32]bool{}
	var out []uint32
	acc := false
	stack := slices.Clone(pcs)
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pc] {
			continue
		}
		seen[pc] = true
		in := &c.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, in.Out, in.Arg)
		case syntax.InstCapture, syntax.InstNop:
			stack = append(stack, in.Out)
		case syntax.InstMatch:
			acc = true
		case syntax.InstFail:
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			out = append(out, pc)
		default: // InstEmptyWidth: ^, $, \b, \A, \z …
			return nil, false, fmt.Errorf("%w: instruction %v", ErrUnsupported, in.Op)
		}
	}
	slices.Sort(out)
	return out, acc, nil
}

// stateKey names the DFA state of the instruction set and match flag.
func stateKey(set []uint32, acc bool) string {
	var b strings.Builder
	if acc {
		b.WriteByte('!')
	}
	for _, pc := range set {
		b.WriteString(strconv.FormatUint(uint64(pc), 36))
		b.WriteByte(',')
	}
	return b.String()
}

// States returns the number of states of d.
func (d *DFA) States() int { return len(d.next) }

// Match reports whether the whole of s matches the pattern. s must be ASCII
// digits: any other byte makes Match report false.
func (d *DFA) Match(s []byte) bool {
	if len(d.next) == 0 {
		return false
	}
	st := int32(0)
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return false
		}
		st = d.next[st][c]
		if st == dead {
			return false
		}
	}
	return d.accept[st]
}

// MatchPrefix reports whether some prefix of s (the empty one included)
// matches the pattern. s must be ASCII digits: a prefix that reaches any
// other byte does not match.
func (d *DFA) MatchPrefix(s []byte) bool {
	if len(d.next) == 0 {
		return false
	}
	st := int32(0)
	for i := 0; ; i++ {
		if d.accept[st] {
			return true
		}
		if i == len(s) {
			return false
		}
		c := s[i] - '0'
		if c > 9 {
			return false
		}
		st = d.next[st][c]
		if st == dead {
			return false
		}
	}
}
