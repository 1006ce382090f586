package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	yaml3 "go.yaml.in/yaml/v3"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/textsafe"
	"github.com/dialgate/dialgate/internal/yamlx"
	"github.com/dialgate/dialgate/policy"
)

// Schema is the schema tag of a scenario file.
const Schema = "dialgate.scenario.v1"

// ErrInvalid is wrapped by every error about an invalid scenario file (exit 2
// in `dialgate scenarios run`), as opposed to a step that fails.
var ErrInvalid = errors.New("scenario: invalid file")

// File is a parsed scenario file. It is immutable after Parse; Run may be called
// on it many times, each time on fresh state.
type File struct {
	// Path is the file's path as given to Parse.
	Path string
	// Name is the scenario's name.
	Name string
	// Profile is the profile: a built-in name or a path relative to the file.
	Profile string
	// Policy holds the policy: overrides as a JSON merge patch; nil when none.
	Policy []byte
	// Tenant is the tenant of every dial that does not name its own.
	Tenant string
	// Steps are the steps in file order.
	Steps []*Step

	seeds       []seed
	profileLine int
	policyLine  int
}

// Step is one step of a scenario: a dial or an event at an instant, with what
// it should come back with.
type Step struct {
	// Index is the step's 1-based position in the file.
	Index int
	// Line is the line of the step in the file.
	Line int
	// ID names the step for later decision: references; may be empty.
	ID string
	// At is the instant the clock is set to before the step runs.
	At time.Time
	// Dial is the dial to decide; nil for an event step.
	Dial *DialSpec
	// Event is the event to apply; nil for a dial step.
	Event *Event
	// Want is what the step must come back with.
	Want Want
}

// DialSpec is a dial as the file writes it. Numbers and the purpose are kept as
// text: a malformed one is the dial's problem (dial.invalid), not the file's.
//
// Each field is the Dial field of the same name.
type DialSpec struct {
	To           string     `json:"to,omitempty"`            // the callee number as text; empty or malformed gives dial.invalid
	From         string     `json:"from,omitempty"`          // the caller ID as text; empty for none
	Purpose      string     `json:"purpose,omitempty"`       // the purpose name ("marketing"); an unknown one gives dial.invalid
	Tenant       string     `json:"tenant,omitempty"`        // the tenant; empty takes the file's tenant
	Industry     string     `json:"industry,omitempty"`      // the industry category; may be empty
	BusinessLine string     `json:"business_line,omitempty"` // the business line; may be empty
	Campaign     string     `json:"campaign,omitempty"`      // the campaign; may be empty
	Subject      string     `json:"subject,omitempty"`       // the matter the call is about; may be empty
	ConsentID    string     `json:"consent_id,omitempty"`    // the consent record relied on; may be empty
	LeadID       string     `json:"lead_id,omitempty"`       // the lead record the number came from; may be empty
	TriggerAt    *time.Time `json:"trigger_at,omitempty"`    // the instant of the contact triggering a callback; nil for none
	Route        string     `json:"route,omitempty"`         // "", "domestic" or "international"; another gives dial.invalid
	CalleeZone   string     `json:"callee_zone,omitempty"`   // the IANA zone of the callee's known location; may be empty
	// AgentReserved says an agent is reserved for the call (preview or
	// progressive dialing): it cannot be abandoned.
	AgentReserved bool `json:"agent_reserved,omitempty"`
}

// Want is what a step must come back with. For a dial: Allowed (and every code
// in Codes present), or Error. For an event: nothing (it must succeed), Error,
// or Deleted.
type Want struct {
	Allowed *bool    `json:"allowed,omitempty"` // for a dial: whether it must be allowed; nil when Error is set
	Codes   []string `json:"codes,omitempty"`   // reason codes that must be among a denial's reasons (others may be too); only with Allowed false
	Error   string   `json:"error,omitempty"`   // the error name the step must meet ("dial.invalid", "recording.held"); empty for none
	Deleted *int     `json:"deleted,omitempty"` // for a sweep_recordings event: how many recordings it must delete; nil for no check
	// Evidence maps evidence keys to the value each must have in the
	// decision: among the facts the passing checks relied on
	// (Decision.Evidence) or a reason's evidence, at least one entry of the
	// key must carry the value ("consent.id": "c-1", "ring.min_seconds":
	// "15"). Only for dial steps, not with Error.
	Evidence map[string]string `json:"evidence,omitempty"`
}

// Event is an event step's parsed event.
type Event struct {
	// Type is the event type ("outcome").
	Type string
	// Decision is the id of the earlier step whose decision the event refers to.
	Decision string
	run      action
}

type seed struct {
	key  string
	line int
	run  seedAction
}

// stepSchema lists the keys of a step for the strict key check; the event's
// keys are checked against its type.
type stepSchema struct {
	At    time.Time      `json:"at"`
	ID    string         `json:"id,omitempty"`
	Dial  *DialSpec      `json:"dial,omitempty"`
	Event map[string]any `json:"event,omitempty"`
	Want  *Want          `json:"want,omitempty"`
}

// minAt is the earliest step instant: the Gate refuses to decide at an
// instant before 2000 (dialgate.Gate.Check).
var minAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	idRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	codeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$`)
)

// coreKeys are the top-level keys every scenario file may have; the seeding
// keys come from handlers.
var coreKeys = []string{"schema", "name", "profile", "policy", "tenant", "steps"}

// ParseFile reads and parses the scenario file at path.
func ParseFile(path string) (*File, error) {
	data, err := yamlx.ReadFile(path) // at most yamlx.MaxSize+1 bytes
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return Parse(path, data)
}

// Parse parses a scenario file; path names it in errors and anchors a relative
// profile path. Every problem is an error wrapping ErrInvalid that starts with
// "path:line:".
func Parse(path string, data []byte) (*File, error) {
	f, err := parse(path, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return f, nil
}

func parse(path string, data []byte) (*File, error) {
	doc, err := yamlx.Parse(path, data)
	if err != nil {
		return nil, err
	}
	reg := handlers()
	f := &File{Path: path}
	errAt := func(n *yaml3.Node, p, format string, args ...any) error {
		return &yamlx.Error{File: path, Line: n.Line, Path: p, Msg: fmt.Sprintf(format, args...)}
	}
	var stepsNode *yaml3.Node
	found := map[string]bool{}
	for i := 0; i+1 < len(doc.Root.Content); i += 2 {
		k, v := doc.Root.Content[i], doc.Root.Content[i+1]
		found[k.Value] = true
		switch k.Value {
		case "schema":
			var s string
			if err := doc.Decode(v, "schema", &s); err != nil {
				return nil, err
			}
			if s != Schema {
				return nil, errAt(v, "schema", "%q is not supported (want %s)", s, Schema)
			}
		case "name":
			if err := doc.Decode(v, "name", &f.Name); err != nil {
				return nil, err
			}
		case "profile":
			if err := doc.Decode(v, "profile", &f.Profile); err != nil {
				return nil, err
			}
			f.profileLine = v.Line
		case "tenant":
			if err := doc.Decode(v, "tenant", &f.Tenant); err != nil {
				return nil, err
			}
		case "policy":
			if yamlx.IsNull(v) {
				continue
			}
			if v.Kind != yaml3.MappingNode {
				return nil, errAt(v, "policy", "want a mapping of profile keys to override")
			}
			if err := doc.CheckKeys(v, reflect.TypeFor[policy.Profile](), "policy"); err != nil {
				return nil, err
			}
			for _, key := range []string{"schema", "extends"} {
				if n := yamlx.Lookup(v, key); n != nil {
					return nil, errAt(n, "policy."+key, "may not be overridden in a scenario")
				}
			}
			if f.Policy, err = yamlx.ToJSON(v); err != nil {
				var ye *yamlx.Error
				if errors.As(err, &ye) { // a NaN or infinity: its own line and path
					return nil, &yamlx.Error{File: path, Line: ye.Line, Path: "policy." + ye.Path, Msg: ye.Msg}
				}
				return nil, errAt(v, "policy", "%v", err)
			}
			f.policyLine = v.Line
		case "steps":
			stepsNode = v
		default:
			spec, known := reg.seeds[k.Value]
			if !known {
				return nil, errAt(k, k.Value, "unknown key %q (want one of %s)", k.Value, strings.Join(topKeys(reg), ", "))
			}
			if spec == nil {
				return nil, errAt(k, k.Value, "top-level key %s is not supported yet", k.Value)
			}
			if err := doc.CheckKeys(v, spec.args, k.Value); err != nil {
				return nil, err
			}
			run, err := spec.decode(doc, v, k.Value)
			if err != nil {
				return nil, err
			}
			f.seeds = append(f.seeds, seed{key: k.Value, line: k.Line, run: run})
		}
	}
	for _, key := range []string{"schema", "name", "profile", "steps"} {
		if !found[key] {
			return nil, errAt(doc.Root, key, "missing")
		}
	}
	if strings.TrimSpace(f.Name) == "" {
		return nil, errAt(yamlx.Lookup(doc.Root, "name"), "name", "empty")
	}
	// The report prints the name as written: a control or bidirectional
	// character would rewrite what the reader sees of the results.
	if p := textsafe.Problem(f.Name, textsafe.Line); p != "" {
		return nil, errAt(yamlx.Lookup(doc.Root, "name"), "name", "%s", p)
	}
	if strings.TrimSpace(f.Profile) == "" {
		return nil, errAt(yamlx.Lookup(doc.Root, "profile"), "profile", "empty (want a built-in profile name or a path)")
	}
	if stepsNode.Kind != yaml3.SequenceNode || len(stepsNode.Content) == 0 {
		return nil, errAt(stepsNode, "steps", "want a non-empty list of steps")
	}
	ids := map[string]*Step{}
	for i, sn := range stepsNode.Content {
		s, err := parseStep(doc, reg, sn, i, ids)
		if err != nil {
			return nil, err
		}
		if s.ID != "" {
			ids[s.ID] = s
		}
		f.Steps = append(f.Steps, s)
	}
	return f, nil
}

func topKeys(reg *registry) []string {
	keys := slices.Clone(coreKeys)
	for k := range reg.seeds {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func parseStep(doc *yamlx.Doc, reg *registry, n *yaml3.Node, i int, ids map[string]*Step) (*Step, error) {
	path := fmt.Sprintf("steps[%d]", i)
	errAt := func(n *yaml3.Node, p, format string, args ...any) error {
		return &yamlx.Error{File: doc.File, Line: n.Line, Path: p, Msg: fmt.Sprintf(format, args...)}
	}
	if n.Kind != yaml3.MappingNode {
		return nil, errAt(n, path, "want a mapping with at, and dial or event")
	}
	if err := doc.CheckKeys(n, reflect.TypeFor[stepSchema](), path); err != nil {
		return nil, err
	}
	var raw stepSchema
	if err := doc.Decode(n, path, &raw); err != nil {
		return nil, err
	}
	s := &Step{Index: i + 1, Line: n.Line, ID: raw.ID, At: raw.At, Dial: raw.Dial}
	if raw.Want != nil {
		s.Want = *raw.Want
	}
	// A null at would decode as the zero instant, where a delete_recording
	// is always retention_locked and a sweep deletes nothing: missing.
	if atNode := yamlx.Lookup(n, "at"); yamlx.IsNull(atNode) {
		return nil, errAt(n, path+".at", "missing (want an RFC 3339 time with offset, e.g. 2026-12-04T22:30:00+08:00)")
	} else if s.At.Before(minAt) {
		return nil, errAt(atNode, path+".at", "%s is before 2000: the Gate denies every dial at such an instant (a clock reset), so the step would test nothing", s.At.Format(time.RFC3339))
	}
	if s.ID != "" {
		idNode := yamlx.Lookup(n, "id")
		if !idRE.MatchString(s.ID) {
			return nil, errAt(idNode, path+".id", "%q: want letters, digits, '_', '.' or '-'", s.ID)
		}
		if prev, dup := ids[s.ID]; dup {
			return nil, errAt(idNode, path+".id", "%q already names step %d (line %d)", s.ID, prev.Index, prev.Line)
		}
	}
	dialNode, eventNode, wantNode := yamlx.Lookup(n, "dial"), yamlx.Lookup(n, "event"), yamlx.Lookup(n, "want")
	switch {
	case dialNode != nil && eventNode != nil:
		return nil, errAt(eventNode, path, "a step has either dial or event, not both")
	case dialNode == nil && eventNode == nil:
		return nil, errAt(n, path, "a step needs a dial or an event")
	case dialNode != nil:
		if s.Dial == nil {
			return nil, errAt(dialNode, path+".dial", "want a mapping of dial keys")
		}
		if wantNode == nil {
			return nil, errAt(n, path+".want", "missing: a dial step must say what it expects (allowed, or error)")
		}
		if s.Want.Allowed == nil && s.Want.Error == "" {
			return nil, errAt(wantNode, path+".want", "want allowed: true|false, or error")
		}
		if s.Want.Allowed != nil && s.Want.Error != "" {
			return nil, errAt(wantNode, path+".want", "allowed and error exclude each other")
		}
		if len(s.Want.Codes) > 0 && (s.Want.Allowed == nil || *s.Want.Allowed) {
			return nil, errAt(wantNode, path+".want.codes", "codes are the reasons of a denial: they need allowed: false")
		}
		if s.Want.Deleted != nil {
			return nil, errAt(wantNode, path+".want.deleted", "only for sweep_recordings events")
		}
		if len(s.Want.Evidence) > 0 && s.Want.Error != "" {
			return nil, errAt(wantNode, path+".want.evidence", "evidence is a decision's: it needs allowed: true|false, not error")
		}
		for _, k := range slices.Sorted(maps.Keys(s.Want.Evidence)) {
			if !codeRE.MatchString(k) {
				return nil, errAt(wantNode, path+".want.evidence", "%q is not an evidence key (want check.name, e.g. consent.id, ring.min_seconds)", k)
			}
			// Printed as written in the step's summary; no evidence
			// value the Gate gives holds such a character.
			if p := textsafe.Problem(s.Want.Evidence[k], textsafe.Line); p != "" {
				at := wantNode
				if en := yamlx.Lookup(wantNode, "evidence"); en != nil {
					at = en
					if vn := yamlx.Lookup(en, k); vn != nil {
						at = vn
					}
				}
				return nil, errAt(at, path+".want.evidence."+k, "%s", p)
			}
		}
	default:
		ev, err := parseEvent(doc, reg, eventNode, path+".event", ids)
		if err != nil {
			return nil, err
		}
		s.Event = ev
		if s.Want.Allowed != nil || len(s.Want.Codes) > 0 || len(s.Want.Evidence) > 0 {
			return nil, errAt(wantNode, path+".want", "allowed, codes and evidence are for dial steps; an event wants error or deleted")
		}
		if s.Want.Deleted != nil && ev.Type != "sweep_recordings" {
			return nil, errAt(wantNode, path+".want.deleted", "only for sweep_recordings events")
		}
		if s.Want.Deleted != nil && s.Want.Error != "" {
			return nil, errAt(wantNode, path+".want", "deleted and error exclude each other")
		}
	}
	for j, c := range s.Want.Codes {
		if !codeRE.MatchString(c) {
			return nil, errAt(wantNode, fmt.Sprintf("%s.want.codes[%d]", path, j), "%q is not a reason code (want check.code, e.g. schedule.outside_window)", c)
		}
		if code := dialgate.Code(c); !code.IsUnavailable() && !slices.Contains(dialgate.KnownCodes(), code) {
			return nil, errAt(wantNode, fmt.Sprintf("%s.want.codes[%d]", path, j), "unknown reason code %q (DESIGN §3; a typo would make the step fail for the wrong reason)", c)
		}
	}
	if s.Want.Error != "" && !codeRE.MatchString(s.Want.Error) {
		return nil, errAt(wantNode, path+".want.error", "%q is not an error name (want e.g. dial.invalid, recording.retention_locked)", s.Want.Error)
	}
	return s, nil
}

func parseEvent(doc *yamlx.Doc, reg *registry, n *yaml3.Node, path string, ids map[string]*Step) (*Event, error) {
	errAt := func(n *yaml3.Node, p, format string, args ...any) error {
		return &yamlx.Error{File: doc.File, Line: n.Line, Path: p, Msg: fmt.Sprintf(format, args...)}
	}
	if n.Kind != yaml3.MappingNode {
		return nil, errAt(n, path, "want a mapping with type and the event's keys")
	}
	tn := yamlx.Lookup(n, "type")
	if tn == nil {
		return nil, errAt(n, path+".type", "missing (want one of %s)", strings.Join(eventTypes(reg), ", "))
	}
	ev := &Event{}
	if err := doc.Decode(tn, path+".type", &ev.Type); err != nil {
		return nil, err
	}
	spec, known := reg.events[ev.Type]
	if !known {
		return nil, errAt(tn, path+".type", "unknown event type %q (want one of %s)", ev.Type, strings.Join(eventTypes(reg), ", "))
	}
	if spec == nil {
		return nil, errAt(tn, path+".type", "event type %s is not supported yet", ev.Type)
	}
	if err := doc.CheckKeys(n, spec.args, path, "type", "decision"); err != nil {
		return nil, err
	}
	if dn := yamlx.Lookup(n, "decision"); dn != nil {
		if err := doc.Decode(dn, path+".decision", &ev.Decision); err != nil {
			return nil, err
		}
		ref, ok := ids[ev.Decision]
		switch {
		case !ok:
			return nil, errAt(dn, path+".decision", "no earlier step has id %q", ev.Decision)
		case ref.Dial == nil:
			return nil, errAt(dn, path+".decision", "step %q (line %d) is an event, not a dial", ev.Decision, ref.Line)
		case spec.decisionKey != "" && yamlx.Lookup(n, spec.decisionKey) != nil:
			// One would be dropped without a word.
			return nil, errAt(dn, path, "decision and %s both name the call: give one", spec.decisionKey)
		}
	} else if spec.needsDecision {
		return nil, errAt(n, path+".decision", "required for %s: the id of the earlier dial step it refers to", ev.Type)
	}
	args := &yaml3.Node{Kind: yaml3.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "type" && k != "decision" {
			args.Content = append(args.Content, n.Content[i], n.Content[i+1])
		}
	}
	run, err := spec.decode(doc, args, path)
	if err != nil {
		return nil, err
	}
	ev.run = run
	return ev, nil
}

func eventTypes(reg *registry) []string {
	var ts []string
	for t := range reg.events {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

var (
	profileRE = regexp.MustCompile(`(?m)^schema:[ \t]*["']?dialgate\.profile\.`)
	// stepsRE finds a top-level steps: key, which no profile has: a file
	// with one is a scenario, whatever its schema line says.
	stepsRE = regexp.MustCompile(`(?m)^["']?steps["']?[ \t]*:`)
)

// Expand returns the scenario files the arguments name: a file as given, and a
// directory's *.yaml and *.yml files (extension in any case) at any depth (except hidden directories
// and profile files, whose schema is dialgate.profile.v1 and which have no
// top-level steps: key), in lexical order. A
// directory reached through a symbolic link is walked as any other (once,
// however many links lead to it, so a link up the tree does not loop). A
// missing path is an error.
func Expand(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		if out, err = walkScenarios(p, map[string]bool{}, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// walkScenarios appends the scenario files below the directory dir to out,
// following links to directories; seen holds the real paths of the
// directories walked.
func walkScenarios(dir string, seen map[string]bool, out []string) ([]string, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	if seen[real] {
		return out, nil
	}
	seen[real] = true
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, d := range entries {
		path := filepath.Join(dir, d.Name())
		isDir := d.IsDir()
		if d.Type()&fs.ModeSymlink != 0 {
			// A broken link is not a directory: named *.yaml it is
			// listed, and fails to parse (invalid), never skipped.
			if st, err := os.Stat(path); err == nil {
				isDir = st.IsDir()
			}
		}
		if isDir {
			if strings.HasPrefix(d.Name(), ".") {
				continue
			}
			if out, err = walkScenarios(path, seen, out); err != nil {
				return nil, err
			}
			continue
		}
		// However cased: a file saved as Consent.YAML is no less a scenario.
		if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
			// Profile files kept beside the scenarios that use them are not scenarios.
			// (A byte order mark may come before the first line.)
			// A file with top-level steps: is no profile (a scenario whose
			// schema line was copied from one): listed, it is invalid.
			if data, err := yamlx.ReadFile(path); err == nil {
				data = bytes.TrimPrefix(data, []byte("\ufeff"))
				if profileRE.Match(data) && !stepsRE.Match(data) {
					continue
				}
			}
			out = append(out, path)
		}
	}
	return out, nil
}
