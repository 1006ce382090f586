package schedule

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
)

// A CounterKey names one counter key of a frequency configuration: a group
// of caps sharing a scope and purposes, or a pause. Counter keys are
// "frequency|<callee hash>" followed by Suffix.
type CounterKey struct {
	// Suffix is the end of the key: the kind of rule, its scope, its
	// purposes and the longest window counted under it, as in
	// "|cap|callee|marketing|30d" or "|pause_abandoned|callee||72h".
	Suffix string `json:"suffix"`
	// Window is the longest window the key is used with: its entries are
	// pruned past it.
	Window dialgate.Duration `json:"window"`
}

// A CounterTransition carries the counts of a counter key that an earlier
// configuration used, and the current one no longer uses, into the rule that
// replaced it (the same kind, scope and purposes with another longest
// window). From Since until the transition ends (Until) the CapCheck keeps
// counting under the earlier key too: each cap of the group is also checked
// and recorded under it — so the earlier key holds the calls counted before
// the change and every call since — and a pause is also checked under it,
// and each outcome it records is recorded under both keys. A transition ends
// when every entry the earlier key held at Since has left every window that
// can count it.
type CounterTransition struct {
	// From is the earlier configuration's key.
	From CounterKey `json:"from"`
	// Since is when the change was noticed: the first start with the
	// configuration that no longer uses From.
	Since time.Time `json:"since"`
}

// Until returns when t ends under cfg: Since plus the longer of From.Window
// and the longest window of the rule of cfg it carries into, plus
// dialgate.MaxAllowLifetime and storage.PruneMargin: a cap counts over its
// window plus the Gate's allow lifetime (WithAllowLifetime), so a call
// counted under the earlier key just before Since, and placed up to that
// lifetime later, still counts for a dial decided that long past Since plus
// the window; and counting tolerates clocks up to storage.PruneMargin apart
// (see CapCheck), so a Since read by a clock that far behind (corrected
// later), or a call recorded under the earlier key by a clock that far
// ahead, still leaves the call counted until it has left every window. A
// transition carrying into no rule of cfg (its kind, scope and purposes
// are gone) ends at Since plus From.Window plus those margins and carries
// nothing.
func (t CounterTransition) Until(cfg CapsConfig) time.Time {
	caps, pauses := capRules(&cfg)
	return t.until(caps, pauses)
}

func (t CounterTransition) until(caps, pauses []capRule) time.Time {
	w := t.From.Window.Std()
	g := groupOf(t.From.Suffix)
	for _, rs := range [][]capRule{caps, pauses} {
		for _, r := range rs {
			if groupOf(r.suffix) == g {
				w = max(w, r.cap.Window.Std())
			}
		}
	}
	return t.Since.Add(w + dialgate.MaxAllowLifetime + storage.PruneMargin)
}

// groupOf is a suffix without its window: the kind, scope and purposes. A
// pre-window suffix (preWindow) is its own group.
func groupOf(suffix string) string {
	if preWindow(suffix) {
		return suffix
	}
	if i := strings.LastIndexByte(suffix, '|'); i >= 0 {
		return suffix[:i]
	}
	return suffix
}

// CounterHistory is what a caller keeps between runs so that changing a
// frequency rule's longest window keeps the calls and outcomes already
// counted (see NextCounterHistory and WithCounterHistory).
type CounterHistory struct {
	// Keys are the counter keys of the configuration the history was made
	// for (CounterKeys).
	Keys []CounterKey `json:"keys"`
	// Transitions are the earlier keys still carried.
	Transitions []CounterTransition `json:"transitions,omitempty"`
}

// preWindowKinds are the kinds of rule a build from before counter keys
// named their longest window (dialgate before commit f8aa432, 2026-12-04)
// counted under: the caps and the pause after a conversation. Their keys
// were "frequency|<callee hash>|<kind>|<scope>|<purposes>", without the
// "|<window>" every later key ends with.
var preWindowKinds = []string{"cap", "pause"}

// preWindow reports whether suffix is a pre-window counter key suffix:
// "|<kind>|<scope>|<purposes>", of a kind in preWindowKinds.
func preWindow(suffix string) bool {
	parts := strings.Split(suffix, "|")
	return len(parts) == 4 && parts[0] == "" && slices.Contains(preWindowKinds, parts[1]) && parts[2] != ""
}

// CarryPreWindowKeys returns h with a transition since since for the
// pre-window key of each of its caps' and conversation pause's keys: the key
// without its window, as a build from before counter keys named their
// window wrote it. A check given the result (WithCounterHistory) counts the
// calls and outcomes such a build recorded until they have left the rule's
// longest window (the transition's From.Window is that window). Without it,
// the first start of a later build on that build's store would count none
// of them: every callee could be called again at once (a wrong allow).
//
// Call it for the first history of a store that may hold such keys (a data
// directory or a fleet store that existed before the first start that kept a
// history); NextCounterHistory then keeps the transitions until they end.
// Transitions h already has are kept; a pre-window key already carried is not
// added twice.
func CarryPreWindowKeys(h CounterHistory, since time.Time) CounterHistory {
	out := CounterHistory{Keys: slices.Clone(h.Keys), Transitions: slices.Clone(h.Transitions)}
	for _, k := range h.Keys {
		g := groupOf(k.Suffix)
		if !preWindow(g) || slices.ContainsFunc(out.Transitions, func(t CounterTransition) bool { return t.From.Suffix == g }) {
			continue
		}
		out.Transitions = append(out.Transitions, CounterTransition{From: CounterKey{Suffix: g, Window: k.Window}, Since: since})
	}
	return out
}

// CounterKeys validates cfg and returns its counter keys: one for each group
// of caps sharing a scope and purposes, then one for each pause.
func CounterKeys(cfg CapsConfig) ([]CounterKey, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return counterKeys(capRules(&cfg)), nil
}

func counterKeys(caps, pauses []capRule) []CounterKey {
	keys := []CounterKey{}
	for _, rs := range [][]capRule{caps, pauses} {
		for _, r := range rs {
			if n := len(keys); n > 0 && keys[n-1].Suffix == r.suffix {
				keys[n-1].Window = max(keys[n-1].Window, r.cap.Window)
				continue
			}
			keys = append(keys, CounterKey{Suffix: r.suffix, Window: r.cap.Window})
		}
	}
	return keys
}

// NextCounterHistory returns the history to keep, and to give NewCapCheck
// with WithCounterHistory, when a run with cfg starts at now after a run that
// kept prev (the zero CounterHistory for the first run: nothing is carried).
// Each key of prev that cfg no longer uses becomes a transition since now;
// the transitions of prev are kept, except those that ended by now (Until)
// and those whose key cfg uses again. A key both in prev.Keys and in
// prev.Transitions is carried since now (the later, longer carrying).
//
// A caller running the same configuration on several hosts that share a
// store (storage/redisstore, storage/pgstore) keeps a history on each host:
// each carries the earlier keys from its own start with the new
// configuration.
func NextCounterHistory(prev CounterHistory, cfg CapsConfig, now time.Time) (CounterHistory, error) {
	if err := cfg.Validate(); err != nil {
		return CounterHistory{}, err
	}
	if now.IsZero() {
		return CounterHistory{}, capErr("NextCounterHistory: now", "zero time")
	}
	if err := prev.validate("NextCounterHistory: prev"); err != nil {
		return CounterHistory{}, err
	}
	caps, pauses := capRules(&cfg)
	next := CounterHistory{Keys: counterKeys(caps, pauses)}
	current := func(suffix string) bool {
		return slices.ContainsFunc(next.Keys, func(k CounterKey) bool { return k.Suffix == suffix })
	}
	dropped := func(suffix string) bool {
		return !current(suffix) && slices.ContainsFunc(prev.Keys, func(k CounterKey) bool { return k.Suffix == suffix })
	}
	for _, t := range prev.Transitions {
		if current(t.From.Suffix) || dropped(t.From.Suffix) || !now.Before(t.until(caps, pauses)) {
			continue
		}
		next.Transitions = append(next.Transitions, t)
	}
	for _, k := range prev.Keys {
		if !current(k.Suffix) {
			next.Transitions = append(next.Transitions, CounterTransition{From: k, Since: now})
		}
	}
	return next, nil
}

// validate checks h's fields, naming them after field.
func (h CounterHistory) validate(field string) error {
	for i, k := range h.Keys {
		if preWindow(k.Suffix) {
			return capErr(fmt.Sprintf("%s.keys[%d].suffix", field, i), "%q is a pre-window key, never one of a configuration's keys (|kind|scope|purposes|window)", k.Suffix)
		}
		if err := k.validate(fmt.Sprintf("%s.keys[%d]", field, i)); err != nil {
			return err
		}
	}
	for i, t := range h.Transitions {
		f := fmt.Sprintf("%s.transitions[%d]", field, i)
		if err := t.From.validate(f + ".from"); err != nil {
			return err
		}
		if t.Since.IsZero() {
			return capErr(f+".since", "zero time")
		}
	}
	return nil
}

func (k CounterKey) validate(field string) error {
	parts := strings.Split(k.Suffix, "|")
	if preWindow(k.Suffix) {
		// An earlier build's key names no window: any positive one up to
		// the longest a cap may have is the horizon it is carried for.
		parts = append(parts, windowString(k.Window))
	}
	switch {
	case len(parts) != 5 || parts[0] != "" || parts[1] == "" || parts[2] == "" || parts[4] == "":
		return capErr(field+".suffix", "%q is not a counter key suffix (|kind|scope|purposes|window)", k.Suffix)
	case k.Window <= 0:
		return capErr(field+".window", "%s is not positive", k.Window)
	case k.Window.Std() > maxCapWindow:
		return capErr(field+".window", "%s is longer than 366 days", k.Window)
	case parts[4] != windowString(k.Window):
		// The key is pruned past the window it names: another window
		// would end a carrying, or prune the key, at the wrong time.
		return capErr(field+".window", "%s is not the window %s the suffix %q names", windowString(k.Window), parts[4], k.Suffix)
	}
	return nil
}

// WithCounterHistory makes the check carry the counter keys of earlier
// configurations that h.Transitions name (see CounterTransition), so that
// changing a rule's longest window — cn's 30 days, a longer cap of the same
// scope and purposes, a pause's window — keeps the calls and outcomes
// already counted. h is what NextCounterHistory returned for the
// configuration given to NewCapCheck; NewCapCheck refuses a history whose
// Keys are not that configuration's (made for another one). A transition
// whose key the configuration uses, or that carries into no rule of it,
// is ignored. Each transition the check carries adds limits to the dials of
// its rule until it ends.
//
// A store records each entry with the longest window of its reservation and
// expires it past that window (storage.CounterExpirer, a Redis key's TTL):
// an entry recorded under the earlier key before a window was lengthened
// (30 days to 60) is dropped when its old window ends, though the carried
// rule counts it for the new one. A caller that runs ExpireCounters while
// such a transition is carried makes it as of the instant minus the
// lengthening (the transition's Until minus Since minus From.Window), and
// makes keys that expire on their own last until the transition's Until
// (storage/redisstore's ExtendCounterExpiry), as `dialgate serve` does.
func WithCounterHistory(h CounterHistory) CapOption {
	return func(o *capOptions) error {
		if err := h.validate("WithCounterHistory"); err != nil {
			return err
		}
		h.Keys = slices.Clone(h.Keys)
		h.Transitions = slices.Clone(h.Transitions)
		o.history = &h
		return nil
	}
}

// carry sets up the transitions of h on c's rules.
func (c *CapCheck) carry(h CounterHistory) error {
	if keys := counterKeys(c.caps, c.pauses); !slices.Equal(h.Keys, keys) {
		return capErr("WithCounterHistory: keys", "%v are not the configuration's counter keys %v (pass the history NextCounterHistory made for it)", h.Keys, keys)
	}
	for _, t := range h.Transitions {
		if slices.ContainsFunc(h.Keys, func(k CounterKey) bool { return k.Suffix == t.From.Suffix }) {
			continue // counted under its own key
		}
		until := t.until(c.caps, c.pauses)
		g := groupOf(t.From.Suffix)
		for i := range c.pauses {
			p := &c.pauses[i]
			if groupOf(p.suffix) != g {
				continue
			}
			r := *p
			r.suffix, r.primary, r.carries = t.From.Suffix, p, nil
			p.carries = append(p.carries, carry{suffix: t.From.Suffix, until: until,
				rules: []capRule{r}, record: max(t.From.Window.Std(), p.cap.Window.Std())})
		}
		for i := 0; i < len(c.caps); {
			j := i + 1
			for j < len(c.caps) && c.caps[j].suffix == c.caps[i].suffix {
				j++
			}
			if groupOf(c.caps[i].suffix) == g {
				cr := carry{suffix: t.From.Suffix, until: until}
				var longest time.Duration
				for k := i; k < j; k++ {
					r := c.caps[k]
					r.suffix, r.primary, r.carries = t.From.Suffix, &c.caps[k], nil
					cr.rules = append(cr.rules, r)
					longest = max(longest, r.cap.Window.Std())
				}
				if w := t.From.Window.Std(); w > longest {
					// Keep the earlier key's pruning horizon: its entries
					// still count for the configurations counting under it
					// (hosts of a fleet not yet restarted, a change undone).
					h := c.caps[i]
					h.cap.Window, h.cap.Count = dialgate.Duration(w), pauseRecordMax
					h.suffix, h.horizon, h.carries = t.From.Suffix, true, nil
					h.desc = "the earlier counter " + t.From.Suffix + " kept for " + windowString(t.From.Window)
					cr.rules = append(cr.rules, h)
				}
				c.caps[j-1].carries = append(c.caps[j-1].carries, cr)
			}
			i = j
		}
	}
	return nil
}
