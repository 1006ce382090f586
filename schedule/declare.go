package schedule

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/yamlx"
)

// DeclarationsSchema is the schema of a declarations file (ParseDeclarations).
const DeclarationsSchema = "dialgate.blackouts.v1"

// EvidenceDeclarations is the evidence key that names the Declarations in
// force (Declarations.Version) in the evidence of every dial a WindowCheck
// with declarations judges, allowed or denied: an auditor reads which
// declared no-call periods a decision was taken under.
const EvidenceDeclarations = "schedule.declarations"

// Declarations are declared no-call periods (a governor's state of
// emergency) that an operator puts in force while a WindowCheck runs, beside
// the Blackouts of its Config: `dialgate serve` reads them from the file its
// configuration names (blackouts_file) and puts each changed copy in force
// without a restart (WindowCheck.Declare). Each Blackout means what it means
// in a Config: the schedule's purposes, callbacks included, absolute
// instants.
//
// A declarations file in YAML:
//
//	schema: dialgate.blackouts.v1
//	blackouts:
//	  - from: 2026-08-26T06:00:00-05:00
//	    until: 2026-09-25T06:00:00-05:00
//	    prefixes: ["+1225", "+1504"]
//	    reason: Hurricane X, Proclamation No. 123 JML 2026
//	    cite: {source: L, ref: La. R.S. 45:844.31(A)}
//
// "blackouts: []" declares none (an emergency lifted); the key is required,
// so that an empty or cut file is not read as "no emergency".
type Declarations struct {
	// Schema is DeclarationsSchema. Required.
	Schema string `json:"schema"`
	// Blackouts are the declared periods; empty for none. The key is
	// required in a file.
	Blackouts []Blackout `json:"blackouts"`
}

// Validate reports the first problem of d as an error naming the field
// ("blackouts[0].until: missing …"), wrapping ErrInvalidConfig.
func (d Declarations) Validate() error {
	_, err := d.compile()
	return err
}

// compile validates d (see Validate) and compiles its blackouts.
func (d Declarations) compile() ([]blackoutPlan, error) {
	if d.Schema != DeclarationsSchema {
		return nil, fieldErr("schema", "%q is not %q", d.Schema, DeclarationsSchema)
	}
	return compileBlackouts(d.Blackouts, "blackouts")
}

// Version identifies d's content: "blackouts@" and the first 12 hex digits of
// the SHA-256 of its JSON encoding (instants in UTC, so that the same periods
// written with other offsets are the same version).
func (d Declarations) Version() string {
	c := Declarations{Schema: d.Schema, Blackouts: slices.Clone(d.Blackouts)}
	for i := range c.Blackouts {
		c.Blackouts[i].From = c.Blackouts[i].From.UTC()
		c.Blackouts[i].Until = c.Blackouts[i].Until.UTC()
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "blackouts@invalid"
	}
	sum := sha256.Sum256(b)
	return "blackouts@" + hex.EncodeToString(sum[:6])
}

// ParseDeclarations parses a declarations file (see Declarations) named file
// in errors: unknown keys, a missing schema or blackouts key and every
// problem Validate finds are errors naming the file, the line and the field
// ("emergency.yaml:4: blackouts[0].until: missing …"), wrapping
// ErrInvalidConfig.
func ParseDeclarations(file string, data []byte) (Declarations, error) {
	doc, err := yamlx.Parse(file, data)
	if err != nil {
		return Declarations{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if err := doc.CheckKeys(doc.Root, reflect.TypeFor[Declarations](), ""); err != nil {
		return Declarations{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	for _, key := range []string{"schema", "blackouts"} {
		if n := yamlx.Lookup(doc.Root, key); n == nil || yamlx.IsNull(n) {
			return Declarations{}, fmt.Errorf("%s: %s: missing (a declarations file has schema: %s and blackouts:, [] for none): %w",
				file, key, DeclarationsSchema, ErrInvalidConfig)
		}
	}
	var d Declarations
	if err := doc.Decode(doc.Root, "", &d); err != nil {
		return Declarations{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if err := d.Validate(); err != nil {
		path, _, _ := strings.Cut(err.Error(), ": ")
		return Declarations{}, fmt.Errorf("%s:%d: %w", file, yamlx.LineOfPath(doc.Root, path), err)
	}
	return d, nil
}

// ErrDeclarationsUnavailable is wrapped by the error every dial the schedule
// judges gets after DeclarationsFailed: the Gate denies it with
// schedule.unavailable.
var ErrDeclarationsUnavailable = errors.New("schedule: the declared no-call periods could not be loaded")

// Declare puts d in force beside the Config's blackouts, replacing the
// Declarations (or the failure) in force, for every dial decided after it
// returns. It validates d first: an invalid d is an error wrapping
// ErrInvalidConfig and changes nothing. From then on every dial the
// schedule judges carries the evidence EvidenceDeclarations with
// d.Version(), and a deny by one of d's blackouts names it as
// "blackouts[i]".
func (w *WindowCheck) Declare(d Declarations) error {
	extra, err := d.compile()
	if err != nil {
		return err
	}
	w.declMu.Lock()
	defer w.declMu.Unlock()
	w.install(&windowState{p: w.base.withBlackouts(extra),
		declEv: []dialgate.Evidence{{Key: EvidenceDeclarations, Value: d.Version()}}})
	return nil
}

// DeclarationsFailed records that the Declarations to be in force could not
// be loaded (a declarations file unreadable or invalid): until the next
// Declare, every dial the schedule judges is undecidable — Check returns an
// error wrapping ErrDeclarationsUnavailable and err, and the Gate denies it
// with schedule.unavailable. An emergency the operator tried to declare must
// not be missed because its file was mistyped; dials of purposes the schedule
// does not judge are unaffected.
func (w *WindowCheck) DeclarationsFailed(err error) {
	if err == nil {
		err = errors.New("no reason given")
	}
	w.declMu.Lock()
	defer w.declMu.Unlock()
	cur := w.st.Load()
	w.install(&windowState{p: cur.p, declEv: cur.declEv,
		failed: fmt.Errorf("%w: %w", ErrDeclarationsUnavailable, err)})
}

// withBlackouts returns p with the blackouts extra added after its own, in
// its regional plans too; p itself when extra is empty.
func (p *plan) withBlackouts(extra []blackoutPlan) *plan {
	if len(extra) == 0 {
		return p
	}
	v := *p
	v.blackouts = append(slices.Clip(p.blackouts), extra...)
	v.regional = make([]regionalPlan, len(p.regional))
	for i, r := range p.regional {
		rp := *r.p
		rp.blackouts = v.blackouts
		v.regional[i] = regionalPlan{prefixes: r.prefixes, p: &rp}
	}
	return &v
}
