package consent

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/textfold"
	"github.com/dialgate/dialgate/internal/textsafe"
)

// ErrInvalid is wrapped by every error that reports a malformed Record, Scope,
// Method or Config. The error is a *FieldError naming the field.
var ErrInvalid = errors.New("consent: invalid")

// FieldError reports a bad field of a Record or Config by its wire name
// ("expires_at", "consent.require[0].purposes[1]"). It wraps ErrInvalid.
type FieldError struct {
	Field   string // the field's wire name
	Problem string // what is wrong with it, in plain words
}

// Error returns "consent: <field>: <problem>".
func (e *FieldError) Error() string { return "consent: " + e.Field + ": " + e.Problem }

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Method is how a consent was captured.
type Method string

// The capture methods.
const (
	MethodWebForm        Method = "web_form"        // a form on a web page (checkbox, button)
	MethodIVRKeypress    Method = "ivr_keypress"    // a key pressed after an IVR prompt
	MethodRecordedVerbal Method = "recorded_verbal" // a spoken "yes" on a recorded call
	MethodWritten        Method = "written"         // a signed paper or electronic document
	MethodInApp          Method = "in_app"          // a control in a mobile or desktop app
)

// Methods lists every known method in a fixed order.
func Methods() []Method {
	return []Method{MethodWebForm, MethodIVRKeypress, MethodRecordedVerbal, MethodWritten, MethodInApp}
}

// IsValid reports whether m is a known method.
func (m Method) IsValid() bool {
	switch m {
	case MethodWebForm, MethodIVRKeypress, MethodRecordedVerbal, MethodWritten, MethodInApp:
		return true
	}
	return false
}

// NeedsDisclosureHash reports whether a record captured by m must carry the
// SHA-256 of the disclosure text. Web forms, IVR prompts and in-app controls
// present a fixed, machine-held text, so its hash pins exactly what the person
// agreed to. For recorded verbal and written consent the recording or the
// signed document (EvidenceURI) is the proof, and the hash is optional.
func (m Method) NeedsDisclosureHash() bool {
	return m == MethodWebForm || m == MethodIVRKeypress || m == MethodInApp
}

// NeedsEvidenceURI reports whether a record captured by m must point to its
// evidence: the call recording (recorded verbal) or the signed document (written).
func (m Method) NeedsEvidenceURI() bool {
	return m == MethodRecordedVerbal || m == MethodWritten
}

// Record is one consent: a person (Number) agreed, by Method, at GrantedAt, to
// receive calls within Scope — from the seller Tenant, when it names one —
// after being shown the disclosure whose SHA-256 is DisclosureSHA256.
//
// A Record is never edited after it is added, except that RevokeConsent sets
// RevokedAt and RevocationChannel once. Consent given again after a revocation
// or a do-not-call refusal is a new Record with a new ID.
//
// The zero Record is not valid.
type Record struct {
	// ID identifies the record. Required; 1–128 bytes of letters, digits and
	// . _ : @ / - (starting with a letter or digit).
	ID string `json:"id"`
	// Number is the person who consented. Required.
	Number dialgate.Number `json:"number"`
	// Scope is what the consent covers: "industry:<name>", "business:<name>",
	// "campaign:<name>" or "tenant:<name>". Required.
	Scope Scope `json:"scope"`
	// Tenant is the seller (Dial.Tenant) the person consented to; empty means
	// the consent is not tied to one seller and covers every tenant's dials
	// in its scope (single-tenant deployments). A record with a Tenant covers
	// a dial only when the dial's Tenant equals it (exactly, as Scope names
	// are matched), in addition to its Scope. Optional; when set, 1–256
	// bytes without control characters or leading or trailing spaces, and
	// equal to the scope's name when the scope is "tenant:<name>".
	Tenant string `json:"tenant,omitempty"`
	// Method is how the consent was captured. Required.
	Method Method `json:"method"`
	// DisclosureSHA256 is the SHA-256 of the disclosure text the person agreed
	// to, as 64 lower-case hex digits. Required for the methods whose
	// NeedsDisclosureHash is true.
	DisclosureSHA256 string `json:"disclosure_sha256,omitempty"`
	// EvidenceURI points to the stored proof (form submission, recording,
	// scanned document). Required for the methods whose NeedsEvidenceURI is true.
	EvidenceURI string `json:"evidence_uri,omitempty"`
	// Channel is where the consent was captured (e.g. "website", "ivr",
	// "agent", "app"). Optional free text.
	Channel string `json:"channel,omitempty"`
	// GrantedAt is when the consent was given. Required. It must not be
	// after the instant the record is added (the stores have no clock to
	// check it; the sidecar and the CLI refuse it): a withdrawal recorded
	// before a future GrantedAt is dated before it, and the record then
	// reads as consent given again after the withdrawal.
	GrantedAt time.Time `json:"granted_at"`
	// ExpiresAt is when the consent lapses; zero means it does not lapse by time.
	// If set it must be after GrantedAt.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// RevokedAt is when the person withdrew the consent; zero means not revoked.
	// Set only by RevokeConsent, and never before GrantedAt: a withdrawal
	// dated before the grant is recorded as of GrantedAt (see RevokedRecord).
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// RevocationChannel is how the withdrawal reached the call centre
	// ("call", "sms", "web", "complaint"). Set only with RevokedAt.
	RevocationChannel string `json:"revocation_channel,omitempty"`
}

// Revoked reports whether the record has been revoked. A revoked record never
// allows a dial, whatever the instant of the dial.
func (r *Record) Revoked() bool { return !r.RevokedAt.IsZero() }

// SameGrant reports whether r and o record the same grant: the same number,
// scope, tenant, method, grant and expiry instants, evidence and channel
// (the id and the withdrawal aside). A grant given again under an id whose
// record is the same grant is a retry of the first (its answer or audit
// record lost); the sidecar's GrantConsent and `dialgate consent add`
// answer it as unchanged, unless that record was revoked since.
func (r *Record) SameGrant(o *Record) bool {
	return r.Number == o.Number && r.Scope == o.Scope && r.Tenant == o.Tenant && r.Method == o.Method &&
		r.GrantedAt.Equal(o.GrantedAt) && r.ExpiresAt.Equal(o.ExpiresAt) &&
		r.DisclosureSHA256 == o.DisclosureSHA256 && r.EvidenceURI == o.EvidenceURI && r.Channel == o.Channel
}

// Expired reports whether the record has lapsed at t.
func (r *Record) Expired(t time.Time) bool {
	return !r.ExpiresAt.IsZero() && !t.Before(r.ExpiresAt)
}

// ValidAt reports whether r allows a dial within its scope at t: granted at or
// before t, not expired at t, not revoked.
func (r *Record) ValidAt(t time.Time) bool {
	return !r.Revoked() && !r.GrantedAt.After(t) && !r.Expired(t)
}

// Covers reports whether r covers dial d: its Scope covers d (see
// Scope.Covers) and, when r has a Tenant, d's Tenant equals it. Covers says
// nothing of time or revocation (see ValidAt).
func (r *Record) Covers(d *dialgate.Dial) bool {
	return r.Scope.Covers(d) && r.coversTenant(d)
}

// coversTenant reports whether r's Tenant admits d: r has none, or d's
// Tenant equals it, compared as Scope.Covers compares names (exactly; an
// empty Dial field is never covered).
func (r *Record) coversTenant(d *dialgate.Dial) bool {
	return r.Tenant == "" || d.Tenant == r.Tenant
}

// foreign reports whether r belongs to a tenant other than d's: its Tenant,
// or the name of its tenant:<name> scope, is set and is not d's Tenant. A
// scope this build cannot read ("tenant:" with its name lost) names no
// tenant: only r's Tenant can then make it another's (see Scope.withdraws).
func (r *Record) foreign(d *dialgate.Dial) bool {
	return !r.coversTenant(d) || (r.Scope.Kind() == ScopeTenant && r.Scope.readable() && !r.Scope.Covers(d))
}

// foreignWithdrawal reports whether r, revoked, withdrew a consent given to
// another tenant than d's (see foreign), so that its withdrawal says
// nothing of d. A dial whose Tenant is empty, blank or invisible
// (textfold.Compat) cannot be shown to be another tenant's: it may be the
// one the person withdrew from, and every tenant's withdrawal reaches it —
// the rule of the other scope fields (Scope.withdraws) and of the
// do-not-call lists (dnc.Scope.Matches). Such a dial is still covered
// only by records tied to no tenant (Covers): this is for withdrawals
// alone, which only ever deny.
func (r *Record) foreignWithdrawal(d *dialgate.Dial) bool {
	if d.Tenant == "" || textfold.Compat(d.Tenant) == "" {
		return false
	}
	return r.foreign(d)
}

// Validate reports the first malformed field of r as a *FieldError wrapping
// ErrInvalid: a bad id, number, scope, tenant or method, a tenant other than
// the name of a tenant:<name> scope, a disclosure hash that is missing (for a
// method that needs one) or not 64 hex digits, a missing or malformed
// evidence URI, a missing granted_at, expires_at not after granted_at,
// revoked_at before granted_at, a revocation channel without revoked_at, or
// a C1 control, bidirectional override or isolate, or line or paragraph
// separator in the scope, tenant, evidence URI or channels (text that would
// display other than it reads). Records read from a store are checked with
// ValidateStored, which leaves the last out so that records earlier builds
// stored still load.
func (r *Record) Validate() error { return r.validate(true) }

// validate is Validate; without full, it leaves out the checks that cost
// most and matter least to what a record allows (the form of the evidence
// URI, of the channels, and the id), for the check to run on every record it
// reads.
func (r *Record) validate(full bool) error {
	if !full {
		if r.ID == "" {
			return fieldErr("id", "missing")
		}
	} else if err := validateID("id", r.ID); err != nil {
		return err
	}
	if !r.Number.IsValid() {
		return fieldErr("number", "missing")
	}
	if err := r.Scope.validate("scope"); err != nil {
		return err
	}
	if full {
		// A C1 control, a bidirectional override or a line separator would
		// make the audit trail show the consent other than it holds (an
		// evidence URI that reads "…fdp.exe" as "…exe.pdf"). Checked on
		// write only: records earlier builds stored still load.
		for _, f := range [...]struct{ name, v string }{
			{"scope", string(r.Scope)}, {"tenant", r.Tenant}, {"evidence_uri", r.EvidenceURI},
			{"channel", r.Channel}, {"revocation_channel", r.RevocationChannel},
		} {
			if i, c := textsafe.Find(f.v, textsafe.Line); i >= 0 {
				return fieldErr(f.name, "%s", textsafe.Describe(c, i))
			}
		}
	}
	if r.Tenant != "" {
		if problem := nameProblem(r.Tenant); problem != "" {
			return fieldErr("tenant", "%s", problem)
		}
		if r.Scope.Kind() == ScopeTenant && r.Scope.Name() != r.Tenant {
			return fieldErr("tenant", "%q differs from the tenant of scope %s: the consent would cover no dial", clip(r.Tenant), clip(string(r.Scope)))
		}
	}
	switch {
	case r.Method == "":
		return fieldErr("method", "missing (want web_form, ivr_keypress, recorded_verbal, written or in_app)")
	case !r.Method.IsValid():
		return fieldErr("method", "unknown method %q (want web_form, ivr_keypress, recorded_verbal, written or in_app)", clip(string(r.Method)))
	}
	if r.DisclosureSHA256 == "" {
		if r.Method.NeedsDisclosureHash() {
			return fieldErr("disclosure_sha256", "missing; method %s requires the SHA-256 of the disclosure text", r.Method)
		}
	} else if !isSHA256Hex(r.DisclosureSHA256) {
		return fieldErr("disclosure_sha256", "not 64 lower-case hex digits")
	}
	if r.EvidenceURI == "" {
		if r.Method.NeedsEvidenceURI() {
			return fieldErr("evidence_uri", "missing; method %s requires a pointer to the recording or signed document", r.Method)
		}
	} else if full {
		if err := validateURI(r.EvidenceURI); err != nil {
			return fieldErr("evidence_uri", "%s", err)
		}
	}
	if full {
		if err := validateText("channel", r.Channel, 64); err != nil {
			return err
		}
	}
	if r.GrantedAt.IsZero() {
		return fieldErr("granted_at", "missing")
	}
	if !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(r.GrantedAt) {
		return fieldErr("expires_at", "%s is not after granted_at %s",
			r.ExpiresAt.Format(time.RFC3339), r.GrantedAt.Format(time.RFC3339))
	}
	if !r.RevokedAt.IsZero() && r.RevokedAt.Before(r.GrantedAt) {
		return fieldErr("revoked_at", "%s is before granted_at %s",
			r.RevokedAt.Format(time.RFC3339), r.GrantedAt.Format(time.RFC3339))
	}
	if r.RevokedAt.IsZero() && r.RevocationChannel != "" {
		return fieldErr("revocation_channel", "set without revoked_at")
	}
	return validateText("revocation_channel", r.RevocationChannel, 64)
}

// ValidateNew is Validate plus the rules for a record about to be added: it
// must not be revoked yet (a revocation is recorded with RevokeConsent, so
// that it appears in the history), its scope, tenant, evidence URI and
// channel must be valid UTF-8 and its granted_at and expires_at instants a
// store can keep (stores keep them as JSON text: see keepableTime), its
// evidence URI must name more than a scheme ("https:" alone points to no
// evidence), and its disclosure hash must not be that of empty text or a
// placeholder ("000…0").
func (r *Record) ValidateNew() error {
	if err := r.Validate(); err != nil {
		return err
	}
	if !r.RevokedAt.IsZero() {
		return fieldErr("revoked_at", "set on a new record; record the withdrawal with revoke")
	}
	// The JSON stores (boltstore, redisstore, pgstore) write invalid UTF-8 as
	// U+FFFD: a tenant "acme\xff" would be read back as "acme\uFFFD" and
	// cover that tenant's dials instead of its own, and an evidence URI
	// would point to another place than the one given. Only for new
	// records, like the rules below: records stored before them must keep
	// passing Validate.
	for _, f := range [...]struct{ name, v string }{
		{"scope", string(r.Scope)}, {"tenant", r.Tenant}, {"evidence_uri", r.EvidenceURI}, {"channel", r.Channel},
	} {
		if !utf8.ValidString(f.v) {
			return fieldErr(f.name, "not valid UTF-8 (a store would keep another text)")
		}
	}
	if err := keepableTime("granted_at", r.GrantedAt); err != nil {
		return err
	}
	if !r.ExpiresAt.IsZero() {
		if err := keepableTime("expires_at", r.ExpiresAt); err != nil {
			return err
		}
	}
	if r.EvidenceURI != "" && !namesSomething(r.EvidenceURI) {
		// Only for new records: Validate must keep accepting records stored
		// before this rule.
		return fieldErr("evidence_uri", "nothing after the scheme: the URI must name where the evidence is")
	}
	if placeholderHash(r.DisclosureSHA256) {
		return fieldErr("disclosure_sha256", "is the hash of empty text or a placeholder, not of a disclosure the person was shown")
	}
	return nil
}

// keepableTime returns a *FieldError naming field when t is not an instant
// every store keeps as given: the JSON stores (boltstore, redisstore,
// pgstore) write it in RFC 3339, which fails for a year outside 0000–9999
// or a zone offset of 24 hours or more (a back-end error, where the
// memstore kept it) and drops the seconds of an offset that has some (the
// instant read back is another).
func keepableTime(field string, t time.Time) error {
	b, err := t.MarshalJSON()
	if err != nil {
		return fieldErr(field, "%s cannot be stored: %v", t.UTC().Format(time.RFC3339Nano), err)
	}
	var back time.Time
	if err := back.UnmarshalJSON(b); err != nil || !back.Equal(t) {
		return fieldErr(field, "%s cannot be stored as the same instant (a zone offset with seconds: give it in UTC or another offset)", t.Format(time.RFC3339Nano))
	}
	return nil
}

// emptySHA256 is the SHA-256 of the empty text.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// placeholderHash reports whether h (64 hex digits) is the hash of empty
// text or a run of one digit ("000…0"): no disclosure was hashed.
func placeholderHash(h string) bool {
	if h == "" {
		return false
	}
	return h == emptySHA256 || strings.Count(h, h[:1]) == len(h)
}

// namesSomething reports whether the absolute URI s has more than a scheme
// ("https:", "s3://" point to nothing).
func namesSomething(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Opaque != "" || u.Host != "" || strings.Trim(u.Path, "/") != "")
}

// ValidateID reports whether id is a well-formed consent id.
func ValidateID(id string) error { return validateID("id", id) }

func validateID(field, id string) error {
	if id == "" {
		return fieldErr(field, "missing")
	}
	if len(id) > 128 {
		return fieldErr(field, "longer than 128 bytes")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return fieldErr(field, "must start with a letter or digit")
		}
		if !alnum && c != '.' && c != '_' && c != ':' && c != '@' && c != '/' && c != '-' {
			return fieldErr(field, "character %q at byte %d is not a letter, digit or one of . _ : @ / -", rune(c), i)
		}
	}
	return nil
}

func validateText(field, s string, max int) error {
	if len(s) > max {
		return fieldErr(field, "longer than %d bytes", max)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return fieldErr(field, "control character at byte %d", i)
		}
	}
	return nil
}

func validateURI(s string) error {
	if len(s) > 2048 {
		return errors.New("longer than 2048 bytes")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c == 0x7f {
			return fmt.Errorf("space or control character at byte %d", i)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URI")
	}
	if u.Scheme == "" {
		return errors.New("not an absolute URI (want a scheme such as https: or s3:)")
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// ValidateStored reports what makes r, read back from a store under the id
// key (and, when n is valid, under number n's index), unfit to be handed to
// a check; stores call it on every record they read and return its error
// wrapped in a storage.RecordError (storage.ErrCorrupt). A record whose id
// or number is not the one it is filed under is damage, revoked or not. A
// record that is not revoked must also pass Validate, less the form of its
// id, evidence URI and channels (which decide nothing). A revoked record is
// not checked further: it only ever denies, and a withdrawal is how an
// operator takes a malformed record out of force (see RevokedRecord).
//
// Records written by older builds load: every field added since the first
// release (tenant) is optional, and the rules that apply only to new records
// (ValidateNew) are not applied here.
func (r *Record) ValidateStored(key string, n dialgate.Number) error {
	if r.ID != key {
		return fieldErr("id", "%q differs from the key it is stored under", clip(r.ID))
	}
	if n.IsValid() && r.Number != n {
		// Neither number: errors reach logs and audit records.
		return fieldErr("number", "differs from the number it is filed under")
	}
	if r.Revoked() {
		return nil
	}
	return r.validate(false)
}
