package consent

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

const hashA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func goodRecord() Record {
	return Record{
		ID: "c-1", Number: dialgate.MustParseNumber("+8613900139000"), Scope: "industry:finance",
		Method: MethodWebForm, DisclosureSHA256: hashA, EvidenceURI: "https://evidence.example/forms/1",
		Channel: "website", GrantedAt: t0, ExpiresAt: t0.AddDate(1, 0, 0),
	}
}

func TestRecordValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *Record)
		field string // "" = valid
		want  string // substring of the message
	}{
		{"good", func(r *Record) {}, "", ""},
		{"no expiry", func(r *Record) { r.ExpiresAt = time.Time{} }, "", ""},
		{"missing id", func(r *Record) { r.ID = "" }, "id", "missing"},
		{"id with space", func(r *Record) { r.ID = "c 1" }, "id", "not a letter"},
		{"id starting with dash", func(r *Record) { r.ID = "-c" }, "id", "start with"},
		{"id too long", func(r *Record) { r.ID = strings.Repeat("a", 129) }, "id", "128"},
		{"missing number", func(r *Record) { r.Number = dialgate.Number{} }, "number", "missing"},
		{"missing scope", func(r *Record) { r.Scope = "" }, "scope", "missing"},
		{"global scope", func(r *Record) { r.Scope = "global" }, "scope", "consent is never global"},
		{"scope without kind", func(r *Record) { r.Scope = "finance" }, "scope", `"finance" is not <kind>:<name> (want industry:<name>`},
		{"unknown scope kind", func(r *Record) { r.Scope = "planet:earth" }, "scope", "unknown kind"},
		{"empty scope name", func(r *Record) { r.Scope = "industry:" }, "scope", "empty name"},
		{"tenant", func(r *Record) { r.Tenant = "acme" }, "", ""},
		{"tenant of 256 bytes", func(r *Record) { r.Tenant = strings.Repeat("t", 256) }, "", ""},
		{"tenant too long", func(r *Record) { r.Tenant = strings.Repeat("t", 257) }, "tenant", "longer than 256 bytes"},
		{"tenant control char", func(r *Record) { r.Tenant = "ac\x00me" }, "tenant", "control character at byte 2"},
		{"tenant with newline", func(r *Record) { r.Tenant = "acme\n" }, "tenant", "control character at byte 4"},
		{"tenant DEL", func(r *Record) { r.Tenant = "acme\x7f" }, "tenant", "control character"},
		{"tenant with trailing space", func(r *Record) { r.Tenant = "acme " }, "tenant", "leading or trailing space"},
		{"tenant in its own tenant scope", func(r *Record) { r.Scope, r.Tenant = "tenant:acme", "acme" }, "", ""},
		{"tenant against another tenant scope", func(r *Record) { r.Scope, r.Tenant = "tenant:beta", "acme" }, "tenant", "cover no dial"},
		{"missing method", func(r *Record) { r.Method = "" }, "method", "missing"},
		{"unknown method", func(r *Record) { r.Method = "telepathy" }, "method", `unknown method "telepathy"`},
		{"web form without hash", func(r *Record) { r.DisclosureSHA256 = "" }, "disclosure_sha256", "requires"},
		{"ivr without hash", func(r *Record) { r.Method, r.DisclosureSHA256 = MethodIVRKeypress, "" }, "disclosure_sha256", "requires"},
		{"in_app without hash", func(r *Record) { r.Method, r.DisclosureSHA256 = MethodInApp, "" }, "disclosure_sha256", "requires"},
		{"verbal without hash is fine", func(r *Record) { r.Method, r.DisclosureSHA256 = MethodRecordedVerbal, "" }, "", ""},
		{"written without hash is fine", func(r *Record) { r.Method, r.DisclosureSHA256 = MethodWritten, "" }, "", ""},
		{"short hash", func(r *Record) { r.DisclosureSHA256 = "9f86d08" }, "disclosure_sha256", "64"},
		{"upper-case hash", func(r *Record) { r.DisclosureSHA256 = strings.ToUpper(hashA) }, "disclosure_sha256", "lower-case"},
		{"verbal without evidence", func(r *Record) { r.Method, r.EvidenceURI = MethodRecordedVerbal, "" }, "evidence_uri", "requires"},
		{"written without evidence", func(r *Record) { r.Method, r.EvidenceURI = MethodWritten, "" }, "evidence_uri", "requires"},
		{"relative evidence uri", func(r *Record) { r.EvidenceURI = "forms/1" }, "evidence_uri", "absolute"},
		{"evidence uri with space", func(r *Record) { r.EvidenceURI = "https://x/ y" }, "evidence_uri", "space"},
		{"channel control char", func(r *Record) { r.Channel = "web\n" }, "channel", "control"},
		{"missing granted_at", func(r *Record) { r.GrantedAt = time.Time{} }, "granted_at", "missing"},
		{"expires before granted", func(r *Record) { r.ExpiresAt = t0.Add(-time.Hour) }, "expires_at", "not after granted_at"},
		{"expires at granted", func(r *Record) { r.ExpiresAt = t0 }, "expires_at", "not after granted_at"},
		{"revoked before granted", func(r *Record) { r.RevokedAt = t0.Add(-time.Second) }, "revoked_at", "before granted_at"},
		{"revocation channel alone", func(r *Record) { r.RevocationChannel = "sms" }, "revocation_channel", "without revoked_at"},
		{"revoked is valid", func(r *Record) { r.RevokedAt, r.RevocationChannel = t0.Add(time.Hour), "sms" }, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := goodRecord()
			tc.edit(&r)
			err := r.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want *FieldError for %s", err, tc.field)
			}
			if fe.Field != tc.field {
				t.Errorf("field = %q, want %q (err %v)", fe.Field, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err does not wrap ErrInvalid")
			}
		})
	}
}

func TestValidateNewRejectsRevoked(t *testing.T) {
	r := goodRecord()
	r.RevokedAt = t0.Add(time.Hour)
	var fe *FieldError
	if err := r.ValidateNew(); !errors.As(err, &fe) || fe.Field != "revoked_at" {
		t.Fatalf("ValidateNew() = %v, want revoked_at error", err)
	}
	r = goodRecord()
	if err := r.ValidateNew(); err != nil {
		t.Fatal(err)
	}
}

func TestRecordStates(t *testing.T) {
	r := goodRecord()
	if !r.ValidAt(t0) || r.ValidAt(t0.Add(-time.Second)) || r.ValidAt(r.ExpiresAt) || !r.ValidAt(r.ExpiresAt.Add(-time.Nanosecond)) {
		t.Error("ValidAt boundaries wrong: granted inclusive, expiry exclusive")
	}
	r.RevokedAt = t0.Add(time.Hour)
	if r.ValidAt(t0.Add(time.Minute)) {
		t.Error("a revoked record is valid before its revocation instant; want never valid")
	}
}

func TestScope(t *testing.T) {
	d := dialgate.Dial{Industry: "finance", BusinessLine: "loans", Campaign: "winter", Tenant: "acme"}
	for _, tc := range []struct {
		s    Scope
		want bool
	}{
		{"industry:finance", true}, {"industry:insurance", false}, {"industry:Finance", false},
		{"business:loans", true}, {"business:cards", false},
		{"campaign:winter", true}, {"campaign:summer", false},
		{"tenant:acme", true}, {"tenant:beta", false},
		{"global", false}, {"industry:", false}, {"", false}, {"planet:finance", false},
	} {
		if got := tc.s.Covers(&d); got != tc.want {
			t.Errorf("%q.Covers = %v, want %v", tc.s, got, tc.want)
		}
	}
	if got := (dialgate.Dial{}); Scope("industry:finance").Covers(&got) {
		t.Error("an empty dial field is covered")
	}
	s, err := NewScope(ScopeBusiness, "loans")
	if err != nil || s != "business:loans" || s.Kind() != ScopeBusiness || s.Name() != "loans" {
		t.Errorf("NewScope = %q, %v", s, err)
	}
	for _, bad := range []string{"", "global", "x:y", "tenant:", "tenant: acme", "tenant:a\x00b", "industry:" + strings.Repeat("x", 257)} {
		if _, err := ParseScope(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseScope(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// TestRecordCovers: a record with a tenant covers a dial only of that tenant
// (compared exactly, as scope names are), in addition to its scope; a record
// without one covers every tenant's dials in its scope.
func TestRecordCovers(t *testing.T) {
	dial := func(tenant, industry string) *dialgate.Dial {
		return &dialgate.Dial{Tenant: tenant, Industry: industry}
	}
	for _, tc := range []struct {
		tenant string
		d      *dialgate.Dial
		want   bool
	}{
		{"acme", dial("acme", "finance"), true},
		{"acme", dial("beta", "finance"), false},
		{"acme", dial("", "finance"), false},
		{"acme", dial("Acme", "finance"), false},
		{"acme", dial("acme", "insurance"), false},
		{"", dial("acme", "finance"), true},
		{"", dial("beta", "finance"), true},
		{"", dial("", "finance"), true},
		{"", dial("acme", "insurance"), false},
	} {
		r := goodRecord()
		r.Tenant = tc.tenant
		if got := r.Covers(tc.d); got != tc.want {
			t.Errorf("record of tenant %q, industry:finance, Covers(tenant %q, industry %q) = %v, want %v",
				tc.tenant, tc.d.Tenant, tc.d.Industry, got, tc.want)
		}
	}
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"industry:finance", "business:loans", "campaign:c", "tenant:acme", "global", "", ":", "tenant:a:b", "industry:\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if string(sc) != s || sc.Kind() == "" || sc.Name() == "" {
			t.Fatalf("ParseScope(%q) = %q kind %q name %q", s, sc, sc.Kind(), sc.Name())
		}
		again, err := NewScope(sc.Kind(), sc.Name())
		if err != nil || again != sc {
			t.Fatalf("round trip %q: %q, %v", s, again, err)
		}
		d := dialgate.Dial{}
		switch sc.Kind() {
		case ScopeIndustry:
			d.Industry = sc.Name()
		case ScopeBusiness:
			d.BusinessLine = sc.Name()
		case ScopeCampaign:
			d.Campaign = sc.Name()
		case ScopeTenant:
			d.Tenant = sc.Name()
		}
		if !sc.Covers(&d) {
			t.Fatalf("%q does not cover its own dial", s)
		}
	})
}

// TestValidateNewRejectsInvalidUTF8: a JSON store would keep a tenant or
// scope name of invalid UTF-8 as another name (U+FFFD), which covers another
// tenant's dials; a new record with one is refused.
func TestValidateNewRejectsInvalidUTF8(t *testing.T) {
	for field, edit := range map[string]func(*Record){
		"tenant": func(r *Record) { r.Tenant = "acme\xff" },
		"scope":  func(r *Record) { r.Scope = "industry:fin\xffance" },
	} {
		r := goodRecord()
		edit(&r)
		var fe *FieldError
		if err := r.ValidateNew(); !errors.As(err, &fe) || fe.Field != field || !strings.Contains(fe.Problem, "UTF-8") {
			t.Errorf("%s: ValidateNew() = %v, want %s: not valid UTF-8", field, err, field)
		}
	}
	r := goodRecord()
	r.Tenant = "阿克米"
	if err := r.ValidateNew(); err != nil {
		t.Errorf("a UTF-8 tenant: %v", err)
	}
}

// TestValidateNewEvidenceURIScheme: a scheme alone points to no evidence, yet
// satisfied require_evidence_uri. New records are refused; Validate (which
// stores run on a revocation) still accepts a record stored earlier, so that
// it can be withdrawn.
func TestValidateNewEvidenceURIScheme(t *testing.T) {
	for _, uri := range []string{"https:", "s3://", "https:///", "urn:"} {
		r := goodRecord()
		r.Method, r.EvidenceURI = MethodWritten, uri
		var fe *FieldError
		if err := r.ValidateNew(); !errors.As(err, &fe) || fe.Field != "evidence_uri" || !strings.Contains(fe.Problem, "nothing after") {
			t.Errorf("ValidateNew(%q) = %v, want evidence_uri: nothing after", uri, err)
		}
		r.RevokedAt, r.RevocationChannel = r.GrantedAt.Add(time.Hour), "sms"
		if err := r.Validate(); err != nil {
			t.Errorf("Validate(%q) of a stored, now revoked record = %v, want nil", uri, err)
		}
	}
	for _, uri := range []string{"s3://bucket/key", "https://evidence.example/1", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", "file:///srv/c/1.pdf"} {
		r := goodRecord()
		r.Method, r.EvidenceURI = MethodWritten, uri
		if err := r.ValidateNew(); err != nil {
			t.Errorf("ValidateNew(%q) = %v", uri, err)
		}
	}
}

// The hash of empty text, or a run of one digit, names no disclosure: a new
// record carrying it is refused.
func TestValidateNewPlaceholderDisclosureHash(t *testing.T) {
	for _, h := range []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		strings.Repeat("0", 64), strings.Repeat("f", 64),
	} {
		r := goodRecord()
		r.DisclosureSHA256 = h
		var fe *FieldError
		if err := r.ValidateNew(); !errors.As(err, &fe) || fe.Field != "disclosure_sha256" {
			t.Errorf("ValidateNew with disclosure_sha256 %s… = %v, want a disclosure_sha256 error", h[:8], err)
		}
	}
	r := goodRecord()
	r.DisclosureSHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	if err := r.ValidateNew(); err != nil {
		t.Errorf("a real hash: %v", err)
	}
}

// TestValidateNewRejectsUnkeptValues: what a JSON store (boltstore,
// redisstore, pgstore) cannot keep as given is refused, naming the field:
// invalid UTF-8 in the evidence URI or the channel (written as U+FFFD: the
// evidence pointer read back is another), an instant outside years
// 0000–9999 (a back-end error, while the memstore kept it), a zone offset
// with seconds (RFC 3339 drops them: the instant read back is another).
func TestValidateNewRejectsUnkeptValues(t *testing.T) {
	lmt := time.FixedZone("LMT", 8*3600+5*60+43)
	for _, tc := range []struct {
		field string
		edit  func(*Record)
	}{
		{"channel", func(r *Record) { r.Channel = "web\xff" }},
		{"evidence_uri", func(r *Record) { r.EvidenceURI = "https://evidence.example/\xff" }},
		{"granted_at", func(r *Record) { r.GrantedAt = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"granted_at", func(r *Record) { r.GrantedAt = time.Date(2026, 11, 1, 10, 0, 0, 0, lmt) }},
		{"expires_at", func(r *Record) { r.ExpiresAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"expires_at", func(r *Record) { r.ExpiresAt = time.Date(2027, 1, 1, 0, 0, 0, 0, time.FixedZone("", 25*3600)) }},
	} {
		r := goodRecord()
		tc.edit(&r)
		var fe *FieldError
		if err := r.ValidateNew(); !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("ValidateNew(%s = %q / %q / %v) = %v, want an error naming %s", tc.field, r.Channel, r.EvidenceURI, r.ExpiresAt, err, tc.field)
		}
	}
	r := goodRecord()
	r.Channel, r.GrantedAt, r.ExpiresAt = "网站", time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
	if err := r.ValidateNew(); err != nil {
		t.Errorf("a UTF-8 channel and instants of years 1 and 9999: %v", err)
	}
}
