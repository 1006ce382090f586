package policy

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/dialgate/dialgate"
)

var citationType = reflect.TypeFor[dialgate.Citation]()

// Cited is one citation found in a profile, with the path of the rule it cites.
type Cited struct {
	Path string            // e.g. "schedule.windows[0].cite"
	Cite dialgate.Citation // the citation
}

// Citations returns every citation in p, in field order, with its path.
func Citations(p *Profile) []Cited {
	var out []Cited
	walkCitations(reflect.ValueOf(p).Elem(), "", func(path string, c dialgate.Citation) {
		out = append(out, Cited{Path: path, Cite: c})
	}, 0)
	return out
}

// citationErrors validates every citation field of p.
func citationErrors(p *Profile) []error {
	var errs []error
	walkCitations(reflect.ValueOf(p).Elem(), "", func(path string, c dialgate.Citation) {
		if err := c.Validate(path); err != nil {
			errs = append(errs, err)
		}
	}, 0)
	return errs
}

func walkCitations(v reflect.Value, path string, f func(string, dialgate.Citation), depth int) {
	if depth > 32 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkCitations(v.Elem(), path, f, depth+1)
		}
	case reflect.Struct:
		if v.Type() == citationType {
			f(path, v.Interface().(dialgate.Citation))
			return
		}
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() || sf.Tag.Get("json") == "-" {
				continue
			}
			if sf.Type == citationType && strings.Contains(sf.Tag.Get("json"), ",omitzero") && v.Field(i).IsZero() {
				continue // an optional citation left out; its section's Validate says when it is required
			}
			p := path
			if name, _, _ := strings.Cut(sf.Tag.Get("json"), ","); !sf.Anonymous || name != "" {
				p = joinPath(path, jsonName(sf))
			}
			walkCitations(v.Field(i), p, f, depth+1)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkCitations(v.Index(i), fmt.Sprintf("%s[%d]", path, i), f, depth+1)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			return strings.Compare(fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()))
		})
		for _, k := range keys {
			walkCitations(v.MapIndex(k), joinPath(path, fmt.Sprint(k.Interface())), f, depth+1)
		}
	}
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		name = f.Name
	}
	return name
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}
