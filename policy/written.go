package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/yamlx"
	yaml3 "go.yaml.in/yaml/v3"
)

// zeroStandsFor lists the profile fields whose zero value is not taken as
// written but stands for a default or for no limit, with what it stands for.
// A path element "[]" is every element of a list, "*" every key of a map.
var zeroStandsFor = []struct {
	path  []string
	means string
}{
	{[]string{"recording", "retention"}, "the 30-day floor"},
	{[]string{"complaint", "forward_days"}, "3 working days"},
	{[]string{"complaint", "handle_days"}, "15 working days"},
	{[]string{"complaint", "answer_days"}, "3 working days"},
	{[]string{"complaint", "zone"}, "the schedule's default_zone, else UTC"},
	{[]string{"dnc", "registries", "[]", "max_age"}, "no age limit: a copy of any age screens dials"},
	{[]string{"sweep", "sequential", "max_step"}, "no fixed-step rule"},
	{[]string{"sweep", "tenants", "*", "sequential", "max_step"}, "no fixed-step rule"},
	{[]string{"sweep", "stride", "max_step"}, "no fixed-step rule"},
	{[]string{"sweep", "tenants", "*", "stride", "max_step"}, "no fixed-step rule"},
}

// explicitZeros refuses a zero written in a profile document (patch, its
// JSON form) for a field whose zero stands for a default or for no limit
// (zeroStandsFor), and a dnc.hold written that holds nothing once merged (p
// is the merged profile): the profile would do something else than it says
// (forward_days: 0 read as 3 days, max_age: 0s as no age limit). Leaving the
// key out (null in an overlay) keeps the documented meaning. The error names
// the field and its line.
func explicitZeros(doc *yamlx.Doc, patch []byte, p *Profile) error {
	var root any
	if err := json.Unmarshal(patch, &root); err != nil {
		return nil // the decoder has reported it
	}
	var errs []error
	fail := func(path, msg string) {
		errs = append(errs, fmt.Errorf("%s:%d: %s: %s", doc.File, yamlx.LineOfPath(doc.Root, path), path, msg))
	}
	for _, z := range zeroStandsFor {
		walkPatch(root, z.path, "", func(path string, v any) {
			if isZeroValue(v) {
				fail(path, fmt.Sprintf("%s is not a value here: it would stand for %s; write the value meant, or leave the key out", zeroText(v), z.means))
			}
		})
	}
	if d, ok := root.(map[string]any)["dnc"].(map[string]any); ok {
		if _, ok := d["hold"].(map[string]any); ok && p.DNC != nil && p.DNC.Hold.Months == 0 && p.DNC.Hold.Days == 0 {
			fail("dnc.hold", "0 months 0 days holds nothing: an entry could be removed at once; give months or days, or leave hold out (null in an overlay) for no hold")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidProfile, errors.Join(errs...))
}

// walkPatch calls f with the path and value of every node of v at the
// pattern path (see zeroStandsFor); prefix is the path walked so far.
func walkPatch(v any, pattern []string, prefix string, f func(string, any)) {
	if len(pattern) == 0 {
		f(prefix, v)
		return
	}
	switch el := pattern[0]; el {
	case "[]":
		list, _ := v.([]any)
		for i, x := range list {
			walkPatch(x, pattern[1:], fmt.Sprintf("%s[%d]", prefix, i), f)
		}
	case "*":
		m, _ := v.(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			walkPatch(m[k], pattern[1:], joinPath(prefix, k), f)
		}
	default:
		m, _ := v.(map[string]any)
		if x, ok := m[el]; ok {
			walkPatch(x, pattern[1:], joinPath(prefix, el), f)
		}
	}
}

// isZeroValue reports whether a JSON value written for a number, a duration
// or a text is its zero: the number 0, a duration of no length ("0s", "0d"),
// empty text. A null (remove the key) and a value of another type (the
// decoder refuses it) are not.
func isZeroValue(v any) bool {
	switch x := v.(type) {
	case float64:
		return x == 0
	case string:
		if strings.TrimSpace(x) == "" {
			return true
		}
		d, err := dialgate.ParseDuration(x)
		return err == nil && d == 0
	}
	return false
}

// zeroText writes a zero value found by isZeroValue as the profile wrote it.
func zeroText(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

// tenantKeys refuses a sweep.tenants key that YAML does not read as the text
// written: a plain float (1.10 is read as 1.1, 1e3 as 1000) or a null. A
// tenant key is a Dial.Tenant matched exactly, and a re-spelt one binds the
// tenant's thresholds to another tenant. Integers in any spelling and
// booleans reach the key as written; a quoted key always does.
func tenantKeys(doc *yamlx.Doc) error {
	sw := yamlx.Lookup(doc.Root, "sweep")
	if sw == nil {
		return nil
	}
	var check func(m *yaml3.Node, depth int) error
	check = func(m *yaml3.Node, depth int) error {
		if m == nil || depth > 8 {
			return nil
		}
		if m.Kind == yaml3.SequenceNode { // a << of several mappings
			for _, c := range m.Content {
				if err := check(c, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		if m.Kind != yaml3.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			switch {
			case k.Kind == yaml3.ScalarNode && k.Tag == "!!merge":
				if err := check(m.Content[i+1], depth+1); err != nil {
					return err
				}
			case k.Kind == yaml3.ScalarNode && (k.Tag == "!!float" || k.Tag == "!!null"):
				return fmt.Errorf("%w: %s:%d: sweep.tenants: key %s is read by YAML as a %s, not as the tenant %q: put it in quotes",
					ErrInvalidProfile, doc.File, k.Line, k.Value, strings.TrimPrefix(k.Tag, "!!"), k.Value)
			}
		}
		return nil
	}
	return check(yamlx.Lookup(sw, "tenants"), 0)
}
