package yamlx

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// MaxSize is the largest file Parse accepts, in bytes.
const MaxSize = 8 << 20

// maxNodes bounds the nodes of a document after aliases are expanded, so that a
// few lines of anchors cannot expand into gigabytes.
const maxNodes = 1 << 18

// maxDepth bounds the nesting of a document.
const maxDepth = 64

// ErrInvalid is wrapped by every *Error.
var ErrInvalid = errors.New("yamlx: invalid document")

// Error is a problem at a place in a YAML file.
type Error struct {
	File string // the file name given to Parse; may be empty
	Line int    // 1-based line, 0 when unknown
	Path string // the dotted path of the offending key or value, e.g. "steps[2].want"; may be empty
	Msg  string // the problem in plain words
}

// Error returns the problem prefixed with the file, line and key path it is at.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Doc is a parsed YAML document: one mapping at the root, aliases expanded.
// A Doc is not modified after Parse and may be read concurrently.
type Doc struct {
	// File names the document in errors.
	File string
	// Root is the root mapping node.
	Root *yaml3.Node
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// ReadFile reads the file at path as Parse would take it, reading at most
// MaxSize+1 bytes: a larger file (or a device that never ends, /dev/zero) is
// an *Error naming the file, and is never read whole into memory.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooLarge := &Error{File: path, Msg: fmt.Sprintf("file larger than %d bytes", MaxSize)}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxSize {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, tooLarge
	}
	return data, nil
}

// Parse parses data as a single YAML document whose root is a mapping. Syntax
// errors, duplicate keys, several documents and oversized input are reported as
// *Error with the line where known.
func Parse(file string, data []byte) (*Doc, error) {
	if len(data) > MaxSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("file larger than %d bytes", MaxSize)}
	}
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	var n yaml3.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Msg: "empty document"}
		}
		return nil, syntaxErr(file, err)
	}
	var extra yaml3.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Msg: "more than one YAML document (remove the second ---)"}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxErr(file, err)
	}
	root := &n
	if root.Kind == yaml3.DocumentNode {
		if len(root.Content) == 0 {
			return nil, &Error{File: file, Msg: "empty document"}
		}
		root = root.Content[0]
	}
	budget := maxNodes
	root, err := expand(root, 0, &budget)
	if err != nil {
		msg, line := err.Error(), 0
		if m := lineRE.FindStringSubmatch(msg); m != nil && strings.HasPrefix(msg, m[0]) {
			line, _ = strconv.Atoi(m[1])
			msg = strings.TrimPrefix(msg, m[0]+": ")
		}
		return nil, &Error{File: file, Line: line, Msg: msg}
	}
	if root.Kind != yaml3.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Msg: "the document must be a mapping of keys to values"}
	}
	return &Doc{File: file, Root: root}, nil
}

func syntaxErr(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.TrimPrefix(msg, m[0]+": ")
	}
	return &Error{File: file, Line: line, Msg: "YAML syntax: " + msg}
}

// plainDecimal reports whether s is an integer in plain decimal: an optional
// "-", then "0" or a digit 1–9 followed by digits.
func plainDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// expand returns a copy of n with every alias replaced by a copy of its anchor's
// node, within a budget of nodes and a nesting limit.
func expand(n *yaml3.Node, depth int, budget *int) (*yaml3.Node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	*budget--
	if *budget < 0 {
		return nil, fmt.Errorf("document too large after expanding aliases (more than %d nodes)", maxNodes)
	}
	if n.Kind == yaml3.AliasNode {
		if n.Alias == nil {
			return nil, fmt.Errorf("line %d: alias without anchor", n.Line)
		}
		c, err := expand(n.Alias, depth+1, budget)
		if err != nil {
			return nil, err
		}
		cp := *c
		cp.Line, cp.Column = n.Line, n.Column
		return &cp, nil
	}
	cp := *n
	cp.Anchor = ""
	if cp.Kind == yaml3.ScalarNode && cp.Style&(yaml3.LiteralStyle|yaml3.FoldedStyle|yaml3.SingleQuotedStyle) == 0 &&
		(cp.Tag == "!!str" || cp.Tag == "!!int" && !plainDecimal(cp.Value)) {
		// Keep YAML 1.2 strings strings when sigs.k8s.io/yaml (YAML 1.1)
		// reads the subtree back: a plain `yes` or `no` is not a boolean here.
		// So is an integer spelt other than in plain decimal (a leading 0 —
		// octal in YAML 1.1 —, 0x, 0o, 0b, "_", "+"): a string field would
		// get it re-spelt in decimal, and "to: 02167123456" (a Shanghai
		// number with its trunk 0, which the number parser refuses) would
		// become "299673390", another country's number. As a string it
		// reaches a string field as written and is no integer for an integer
		// field (an error naming the line).
		cp.Tag = "!!str"
		cp.Style = yaml3.DoubleQuotedStyle
	}
	if n.Kind == yaml3.MappingNode {
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml3.ScalarNode {
				return nil, fmt.Errorf("line %d: a key must be a plain value", k.Line)
			}
			if first, dup := seen[k.Value]; dup && k.Tag != "!!merge" {
				return nil, fmt.Errorf("line %d: key %q already defined at line %d", k.Line, k.Value, first)
			}
			seen[k.Value] = k.Line
		}
	}
	if len(n.Content) > 0 {
		cp.Content = make([]*yaml3.Node, len(n.Content))
		for i, c := range n.Content {
			e, err := expand(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			cp.Content[i] = e
		}
	}
	return &cp, nil
}

// Lookup returns the value node under key in mapping m, and nil when m is not a
// mapping or has no such key.
func Lookup(m *yaml3.Node, key string) *yaml3.Node {
	if m == nil || m.Kind != yaml3.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// LookupMerged returns the value node under key in mapping m as a YAML 1.1
// reader takes it: written in m, else given through a merge key of m
// ("<<: {key: …}", or a list of mappings, the first that has it), looked
// up in the merged mappings the same way; nil when m is not a mapping or
// neither has it. Lookup sees only the keys written in m.
func LookupMerged(m *yaml3.Node, key string) *yaml3.Node {
	return lookupMerged(m, key, 0)
}

func lookupMerged(m *yaml3.Node, key string, depth int) *yaml3.Node {
	if v := Lookup(m, key); v != nil || m == nil || m.Kind != yaml3.MappingNode || depth > maxDepth {
		return v
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Value != "<<" || k.Tag != "!!merge" {
			continue
		}
		ms := []*yaml3.Node{m.Content[i+1]}
		if ms[0].Kind == yaml3.SequenceNode {
			ms = ms[0].Content
		}
		for _, mm := range ms {
			if v := lookupMerged(mm, key, depth+1); v != nil {
				return v
			}
		}
	}
	return nil
}

// Keys returns the key nodes of mapping m in document order.
func Keys(m *yaml3.Node) []*yaml3.Node {
	if m == nil || m.Kind != yaml3.MappingNode {
		return nil
	}
	keys := make([]*yaml3.Node, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		keys = append(keys, m.Content[i])
	}
	return keys
}

// LineOf returns the line of the value at the dotted path below n (as
// encoding/json reports it in UnmarshalTypeError.Field, without indices),
// descending into the first element of sequences; it returns the line of the
// deepest node found, and n's line when nothing matches.
func LineOf(n *yaml3.Node, dotted string) int {
	if n == nil {
		return 0
	}
	line := n.Line
	if dotted == "" {
		return line
	}
	for part := range strings.SplitSeq(dotted, ".") {
		for n.Kind == yaml3.SequenceNode && len(n.Content) > 0 {
			n = n.Content[0]
		}
		v := Lookup(n, part)
		if v == nil {
			return line
		}
		n = v
		line = v.Line
	}
	return line
}

// IsNull reports whether n is absent or an explicit YAML null.
func IsNull(n *yaml3.Node) bool {
	return n == nil || (n.Kind == yaml3.ScalarNode && n.Tag == "!!null")
}

// ToJSON converts the YAML subtree n to JSON with sigs.k8s.io/yaml. JSON has
// no NaN or infinity: a YAML .nan, .inf or -.inf in n is an *Error naming
// its path (relative to n) and line.
func ToJSON(n *yaml3.Node) ([]byte, error) {
	if e := nonFinite(n, "", 0); e != nil {
		return nil, e
	}
	y, err := yaml3.Marshal(n)
	if err != nil {
		return nil, err
	}
	return yaml.YAMLToJSONStrict(y)
}

// nonFinite returns an *Error for the first float scalar below n that is NaN
// or infinite (.nan, .inf, -.inf in any spelling YAML accepts), nil if none.
func nonFinite(n *yaml3.Node, path string, depth int) *Error {
	if n == nil || depth > maxDepth {
		return nil
	}
	switch n.Kind {
	case yaml3.DocumentNode:
		for _, c := range n.Content {
			if e := nonFinite(c, path, depth+1); e != nil {
				return e
			}
		}
	case yaml3.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			// A key may carry the anchor a value's alias refers to.
			if e := nonFinite(n.Content[i], path, depth+1); e != nil {
				return e
			}
			if e := nonFinite(n.Content[i+1], join(path, n.Content[i].Value), depth+1); e != nil {
				return e
			}
		}
	case yaml3.AliasNode:
		if e := nonFinite(n.Alias, path, depth+1); e != nil {
			e.Line = n.Line
			return e
		}
	case yaml3.SequenceNode:
		for i, c := range n.Content {
			if e := nonFinite(c, path+"["+strconv.Itoa(i)+"]", depth+1); e != nil {
				return e
			}
		}
	case yaml3.ScalarNode:
		var f float64
		if n.ShortTag() == "!!float" && n.Decode(&f) == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf("%s is not a finite number", n.Value)}
		}
	}
	return nil
}

// Decode decodes the subtree n of the document into v (a pointer) with
// sigs.k8s.io/yaml in strict mode. Check the keys with CheckKeys first: Decode
// reports type errors with the line of the offending value, as an *Error whose
// Path is path joined with the field encoding/json names.
func (d *Doc) Decode(n *yaml3.Node, path string, v any) error {
	y, err := yaml3.Marshal(n)
	if err != nil {
		return &Error{File: d.File, Line: n.Line, Path: path, Msg: err.Error()}
	}
	return d.DecodeBytes(n, path, y, v)
}

// DecodeBytes decodes YAML or JSON data that stands for the subtree n (for
// example n merged onto a base) into v, reporting errors at n's lines.
func (d *Doc) DecodeBytes(n *yaml3.Node, path string, data []byte, v any) error {
	if err := yaml.UnmarshalStrict(data, v); err != nil {
		return d.decodeErr(n, path, reflect.TypeOf(v), err)
	}
	return nil
}

func (d *Doc) decodeErr(n *yaml3.Node, path string, t reflect.Type, err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) && t != nil {
		// An error of a type that decodes itself (a duration, a date)
		// names neither the key nor the line: find the value that fails.
		if e := d.locate(n, t, path, 0); e != nil {
			return e
		}
	}
	if errors.As(err, &te) {
		p := join(path, te.Field)
		return &Error{File: d.File, Line: LineOf(n, te.Field), Path: p,
			Msg: fmt.Sprintf("cannot use a %s here (want %s)", te.Value, typeWord(te.Type))}
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "error unmarshaling JSON: ")
	msg = strings.TrimPrefix(msg, "while decoding JSON: ")
	msg = strings.TrimPrefix(msg, "json: ")
	line := n.Line
	if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
		if k := findKey(n, m[1], 0); k != nil {
			line = k.Line
		}
	}
	return &Error{File: d.File, Line: line, Path: path, Msg: msg}
}

var unknownFieldRE = regexp.MustCompile(`unknown field "([^"]*)"`)

// findKey returns the first mapping key node named key below n, depth first.
func findKey(n *yaml3.Node, key string, depth int) *yaml3.Node {
	if n == nil || depth > maxDepth {
		return nil
	}
	if n.Kind == yaml3.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i]
			}
		}
	}
	for _, c := range n.Content {
		if k := findKey(c, key, depth+1); k != nil {
			return k
		}
	}
	return nil
}

func typeWord(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

// CheckKeys reports the first key below n that the Go type t does not know, as
// an *Error with the key's line and path. Keys are matched exactly against the
// JSON names of t's fields (encoding/json would also accept other cases; a
// file that relies on that is rejected). extra lists further keys allowed at
// the top level of n. Values whose type decodes itself (time.Time,
// json.RawMessage, TextUnmarshalers) are not descended into.
func (d *Doc) CheckKeys(n *yaml3.Node, t reflect.Type, path string, extra ...string) error {
	return d.check(n, t, path, extra, 0)
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *Doc) check(n *yaml3.Node, t reflect.Type, path string, extra []string, depth int) error {
	if n == nil || depth > maxDepth {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml3.MappingNode {
			return nil // a type error; Decode reports it
		}
		fs := fieldsOf(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				// A merge takes one mapping or a list of mappings; check the
				// keys of each (json would take "Start" for "start").
				merged := []*yaml3.Node{v}
				if v.Kind == yaml3.SequenceNode {
					merged = v.Content
				}
				for _, m := range merged {
					if err := d.check(m, t, path, extra, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			ft, ok := fs.byName[k.Value]
			if !ok {
				if slices.Contains(extra, k.Value) {
					continue
				}
				return &Error{File: d.File, Line: k.Line, Path: join(path, k.Value),
					Msg: unknownKeyMsg(k.Value, fs.names, extra)}
			}
			if err := d.check(v, ft, join(path, k.Value), nil, depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml3.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := d.check(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), nil, depth+1); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml3.SequenceNode {
			return nil
		}
		for i, c := range n.Content {
			if err := d.check(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), nil, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// locate finds the first value below n, walked as check walks it, whose
// type decodes itself (json.Unmarshaler, encoding.TextUnmarshaler) and
// fails to decode on its own, and reports that failure at the value's line
// and path. It returns nil when no such value fails.
func (d *Doc) locate(n *yaml3.Node, t reflect.Type, path string, depth int) *Error {
	if n == nil || depth > maxDepth {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		y, err := yaml3.Marshal(n)
		if err != nil {
			return nil
		}
		if err := yaml.UnmarshalStrict(y, reflect.New(t).Interface()); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil // decodeErr reports type errors
			}
			msg := err.Error()
			for _, p := range []string{"error converting YAML to JSON: ", "error unmarshaling JSON: ", "while decoding JSON: ", "json: "} {
				msg = strings.TrimPrefix(msg, p)
			}
			return &Error{File: d.File, Line: n.Line, Path: path, Msg: msg}
		}
		return nil
	}
	return eachChild(n, t, path, false, func(c *yaml3.Node, ct reflect.Type, cpath string) *Error {
		return d.locate(c, ct, cpath, depth+1)
	})
}

// eachChild calls f, in document order, for each child node of n that
// the Go type t decodes it into — a struct's known fields, a map's values,
// a slice's or array's elements — with the child's type and path, and
// returns f's first non-zero result. With merge, a struct's merge key
// ("<<: *anchor", or a sequence of them) is followed: f gets each merged
// mapping with t itself. n of another kind than t's: none.
func eachChild[E comparable](n *yaml3.Node, t reflect.Type, path string, merge bool, f func(c *yaml3.Node, ct reflect.Type, cpath string) E) E {
	var zero E
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml3.MappingNode {
			return zero
		}
		fs := fieldsOf(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if merge && k.Value == "<<" && k.Tag == "!!merge" {
				ms := []*yaml3.Node{v}
				if v.Kind == yaml3.SequenceNode {
					ms = v.Content
				}
				for _, m := range ms {
					if e := f(m, t, path); e != zero {
						return e
					}
				}
				continue
			}
			if ft, ok := fs.byName[k.Value]; ok {
				if e := f(v, ft, join(path, k.Value)); e != zero {
					return e
				}
			}
		}
	case reflect.Map:
		if n.Kind != yaml3.MappingNode {
			return zero
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if e := f(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); e != zero {
				return e
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml3.SequenceNode {
			return zero
		}
		for i, c := range n.Content {
			if e := f(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); e != zero {
				return e
			}
		}
	}
	return zero
}

func unknownKeyMsg(key string, names, extra []string) string {
	all := append(slices.Clone(names), extra...)
	slices.Sort(all)
	for _, n := range all {
		if strings.EqualFold(n, key) {
			return fmt.Sprintf("unknown key %q (did you mean %q?)", key, n)
		}
	}
	if len(all) == 0 {
		return fmt.Sprintf("unknown key %q (no keys allowed here)", key)
	}
	return fmt.Sprintf("unknown key %q (want one of %s)", key, strings.Join(all, ", "))
}

type fieldSet struct {
	byName map[string]reflect.Type
	names  []string
}

var fieldCache sync.Map // reflect.Type → *fieldSet

func fieldsOf(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{byName: map[string]reflect.Type{}}
	collectFields(t, fs, 0)
	for n := range fs.byName {
		fs.names = append(fs.names, n)
	}
	slices.Sort(fs.names)
	fieldCache.Store(t, fs)
	return fs
}

func collectFields(t reflect.Type, fs *fieldSet, depth int) {
	if depth > 8 {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, fs, depth+1)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := fs.byName[name]; !dup {
			fs.byName[name] = f.Type
		}
	}
}

// LineOfPath returns the line of the node at a path as validation errors write
// it ("schedule.windows[1].ranges[0]"), or of the deepest node found on the
// way, or 0 when n is nil.
func LineOfPath(n *yaml3.Node, path string) int {
	if n == nil {
		return 0
	}
	line := n.Line
	for part := range strings.SplitSeq(path, ".") {
		name, idx := part, ""
		if i := strings.IndexByte(part, '['); i >= 0 {
			name, idx = part[:i], part[i:]
		}
		if name != "" {
			v := Lookup(n, name)
			if v == nil {
				return line
			}
			n, line = v, v.Line
		}
		for idx != "" {
			j := strings.IndexByte(idx, ']')
			if idx[0] != '[' || j < 0 {
				return line
			}
			k, err := strconv.Atoi(idx[1:j])
			if err != nil || n.Kind != yaml3.SequenceNode || k < 0 || k >= len(n.Content) {
				return line
			}
			n = n.Content[k]
			line = n.Line
			idx = idx[j+1:]
		}
	}
	return line
}

// CheckStrings reports, as an *Error with the value's line and path, the
// first plain value below n that the Go type t takes as a string but YAML
// reads as another type whose text a string field does not get as written:
// a float ("2.10" reaches it as "2.1", "1e3" as "1000"), a boolean in
// another spelling than "true" or "false" ("True"), an integer too large
// for 64 bits. Plain integers in decimal reach a string field as written
// (and Parse keeps other spellings of integers, "007", "0x10", "1_000",
// strings). Walk it as CheckKeys does, after it: values whose type decodes
// itself are not looked at.
func (d *Doc) CheckStrings(n *yaml3.Node, t reflect.Type, path string) error {
	return d.checkStrings(n, t, path, 0)
}

func (d *Doc) checkStrings(n *yaml3.Node, t reflect.Type, path string, depth int) error {
	if n == nil || depth > maxDepth {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		if n.Kind != yaml3.ScalarNode || n.Style&(yaml3.DoubleQuotedStyle|yaml3.SingleQuotedStyle|yaml3.LiteralStyle|yaml3.FoldedStyle) != 0 {
			return nil
		}
		var what string
		switch n.ShortTag() {
		case "!!float":
			what = "a number"
		case "!!bool":
			if n.Value != "true" && n.Value != "false" {
				what = "true or false"
			}
		case "!!int":
			// Reaches a string as its decimal text: as written only when
			// that is how it was written ("-0" would reach it as "0").
			if v, err := strconv.ParseInt(n.Value, 10, 64); err != nil || strconv.FormatInt(v, 10) != n.Value {
				what = "a number"
			}
		}
		if what != "" {
			return &Error{File: d.File, Line: n.Line, Path: path,
				Msg: fmt.Sprintf("YAML reads the value as %s, which would not reach this key as written: put it in quotes", what)}
		}
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
		return eachChild(n, t, path, true, func(c *yaml3.Node, ct reflect.Type, cpath string) error {
			return d.checkStrings(c, ct, cpath, depth+1)
		})
	}
	return nil
}
