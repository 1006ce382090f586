package policy

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/dialgate/dialgate/internal/yamlx"
)

//go:embed profiles/*.yaml
var builtinFS embed.FS

// Errors returned (wrapped) by the loaders. Check them with errors.Is.
var (
	// ErrUnknownProfile is returned for a built-in name that does not exist.
	ErrUnknownProfile = errors.New("policy: unknown profile")
	// ErrInvalidProfile is wrapped by every error about a profile's content:
	// syntax, unknown keys, types, validation, citations.
	ErrInvalidProfile = errors.New("policy: invalid profile")
)

// maxExtends bounds a chain of extends.
const maxExtends = 8

// Builtins returns the names of the built-in profiles, sorted.
func Builtins() []string {
	ents, err := fs.ReadDir(builtinFS, "profiles")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// BuiltinSource returns the YAML text of the built-in profile name.
func BuiltinSource(name string) ([]byte, error) {
	if !nameRE.MatchString(name) {
		return nil, unknownErr(name)
	}
	b, err := builtinFS.ReadFile("profiles/" + name + ".yaml")
	if err != nil {
		return nil, unknownErr(name)
	}
	return b, nil
}

func unknownErr(name string) error {
	return fmt.Errorf("%w %q (built-in profiles: %s)", ErrUnknownProfile, name, strings.Join(Builtins(), ", "))
}

// Builtin returns a fresh copy of the built-in profile name, resolved and
// validated.
func Builtin(name string) (*Profile, error) {
	src, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return parse("builtin:"+name, src, loader{}, 0)
}

// Load returns the profile nameOrPath names: a built-in profile when it is a
// built-in name, otherwise the file at that path (see LoadFile).
func Load(nameOrPath string) (*Profile, error) {
	if slices.Contains(Builtins(), nameOrPath) {
		return Builtin(nameOrPath)
	}
	if nameRE.MatchString(nameOrPath) && !strings.Contains(nameOrPath, ".") {
		if _, err := os.Stat(nameOrPath); err != nil {
			return nil, unknownErr(nameOrPath)
		}
	}
	return LoadFile(nameOrPath)
}

// LoadFile reads, resolves and validates the profile file at path. Its extends
// may name a built-in profile or a file relative to path's directory.
func LoadFile(path string) (*Profile, error) {
	return loadFile(path, nil)
}

// LoadWithFiles is Load that also returns the files it read: for a profile
// file, its path then each file of its extends chain in order (the paths
// it opened them by: relative extends joined to the directory of the file
// naming them); none for a built-in profile. A caller that refuses a
// profile file others may write (dialgate serve) checks them all: whoever
// may write a file the profile extends changes the rules as surely as
// whoever may write the profile.
func LoadWithFiles(nameOrPath string) (*Profile, []string, error) {
	if slices.Contains(Builtins(), nameOrPath) {
		p, err := Builtin(nameOrPath)
		return p, nil, err
	}
	if nameRE.MatchString(nameOrPath) && !strings.Contains(nameOrPath, ".") {
		if _, err := os.Stat(nameOrPath); err != nil {
			return nil, nil, unknownErr(nameOrPath)
		}
	}
	var read []string
	p, err := loadFile(nameOrPath, &read)
	if err != nil {
		return nil, nil, err
	}
	return p, read, nil
}

// loadFile is LoadFile, appending each file it reads to *read (nil: not
// recorded).
func loadFile(path string, read *[]string) (*Profile, error) {
	data, err := yamlx.ReadFile(path)
	if err != nil {
		return nil, readErr(err)
	}
	if read != nil {
		*read = append(*read, path)
	}
	return parse(path, data, loader{dir: filepath.Dir(path), files: true, read: read}, 0)
}

// readErr wraps an error of yamlx.ReadFile: a file too large is a profile
// content problem (ErrInvalidProfile), an I/O error is not.
func readErr(err error) error {
	var ye *yamlx.Error
	if errors.As(err, &ye) {
		return fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	return fmt.Errorf("policy: %w", err)
}

// Parse reads, resolves and validates a profile from data; file names it in
// errors. Its extends may name only a built-in profile.
func Parse(file string, data []byte) (*Profile, error) {
	return parse(file, data, loader{}, 0)
}

// Merge returns a copy of base with patch applied as an RFC 7386 JSON merge
// patch, decoded strictly and validated, as `extends` does. patch is JSON or
// YAML with the keys of a profile file; "schema" and "extends" may not be set
// in it. Scenario files use it for their policy: overrides. A nil or invalid base is an
// error wrapping ErrInvalidProfile that names the base's bad fields.
func Merge(base *Profile, patch []byte) (*Profile, error) {
	if base == nil {
		return nil, fmt.Errorf("%w: base: nil profile", ErrInvalidProfile)
	}
	// A base built in Go may hold what no profile file can (a NaN rate has
	// no JSON form): name the field rather than fail in the JSON encoder.
	if err := base.Validate(); err != nil {
		return nil, fmt.Errorf("%w: base %s: %w", ErrInvalidProfile, base.Name, err)
	}
	doc, err := yamlx.Parse("policy", patch)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	for _, k := range []string{"schema", "extends"} {
		if n := yamlx.Lookup(doc.Root, k); n != nil {
			return nil, fmt.Errorf("%w: %s: may not be overridden", ErrInvalidProfile, k)
		}
	}
	return overlay(doc, base)
}

type loader struct {
	dir   string // directory for relative extends paths
	files bool   // whether extends may name files
	// read, when not nil, collects the path of each file read
	// (LoadWithFiles).
	read *[]string
}

func parse(file string, data []byte, l loader, depth int) (*Profile, error) {
	doc, err := yamlx.Parse(file, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	var head struct {
		Extends string `json:"extends"`
	}
	if n := yamlx.Lookup(doc.Root, "extends"); n != nil {
		if err := doc.Decode(n, "extends", &head.Extends); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidProfile, err)
		}
	}
	var base *Profile
	if head.Extends != "" {
		if depth >= maxExtends {
			return nil, fmt.Errorf("%w: %s: extends: chain longer than %d (a cycle?)", ErrInvalidProfile, file, maxExtends)
		}
		base, err = l.resolve(head.Extends, depth+1)
		if err != nil {
			line := yamlx.LineOf(doc.Root, "extends")
			return nil, fmt.Errorf("%w: %s:%d: extends %q: %w", ErrInvalidProfile, file, line, head.Extends, err)
		}
	}
	p, err := overlay(doc, base)
	if err != nil {
		return nil, err
	}
	// Lint compares p with its nearest built-in ancestor: the base itself
	// when it is built in (resolve prefers a built-in name to a file), else
	// the one the base file rests on.
	switch {
	case base == nil:
	case slices.Contains(Builtins(), head.Extends):
		p.lintBase = head.Extends
	default:
		p.lintBase = base.lintBase
	}
	return p, nil
}

// overlay merges the document onto base (nil: none), decodes and validates.
func overlay(doc *yamlx.Doc, base *Profile) (*Profile, error) {
	if err := doc.CheckKeys(doc.Root, reflect.TypeFor[Profile](), ""); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	if err := tenantKeys(doc); err != nil {
		return nil, err
	}
	patch, err := yamlx.ToJSON(doc.Root)
	if err != nil {
		var ye *yamlx.Error
		if errors.As(err, &ye) && ye.File == "" {
			ye.File = doc.File // a NaN or infinity: its line and path
			return nil, fmt.Errorf("%w: %w", ErrInvalidProfile, ye)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidProfile, doc.File, err)
	}
	merged := patch
	if base != nil {
		bj, err := base.JSON()
		if err != nil {
			return nil, fmt.Errorf("%w: base: %w", ErrInvalidProfile, err)
		}
		if merged, err = mergePatch(bj, patch); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidProfile, doc.File, err)
		}
	}
	var p Profile
	if err := doc.DecodeBytes(doc.Root, "", merged, &p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProfile, locate(doc, err))
	}
	if err := explicitZeros(doc, patch, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// locate prefixes each validation problem with the file and the line of the
// path it names.
func locate(doc *yamlx.Doc, err error) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		msg := e.Error()
		path, _, _ := strings.Cut(msg, ": ")
		path = strings.TrimSuffix(path, ":")
		line := yamlx.LineOfPath(doc.Root, path)
		out[i] = fmt.Errorf("%s:%d: %w", doc.File, line, e)
	}
	return errors.Join(out...)
}

func (l loader) resolve(ref string, depth int) (*Profile, error) {
	if slices.Contains(Builtins(), ref) {
		src, _ := BuiltinSource(ref)
		return parse("builtin:"+ref, src, loader{}, depth)
	}
	if !l.files {
		return nil, unknownErr(ref)
	}
	path := ref
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.dir, path)
	}
	data, err := yamlx.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && nameRE.MatchString(ref) {
			return nil, unknownErr(ref)
		}
		return nil, err
	}
	if l.read != nil {
		*l.read = append(*l.read, path)
	}
	return parse(path, data, loader{dir: filepath.Dir(path), files: true, read: l.read}, depth)
}
