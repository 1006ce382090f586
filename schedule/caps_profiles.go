package schedule

import (
	"time"

	"github.com/dialgate/dialgate"
)

const capDay = dialgate.Duration(24 * time.Hour)

// CapsCN returns the frequency caps of the cn profile (REQUIREMENTS.md §2):
// per callee across all caller IDs and campaigns of a tenant, for every
// purpose (CN-S6 covers service calls too; instant callbacks are not exempt):
// at most 1 call per 5 minutes, 2 per 24 hours and 10 per 30 days. These are
// dialgate's convention [U]: the rule text sets no number.
func CapsCN() CapsConfig {
	cite := func(note string) dialgate.Citation {
		return dialgate.Citation{
			Source: dialgate.SourceConvention,
			Ref:    "工信厅信管函〔2018〕337号 (CN-S6 严格控制外呼时间和频次; CN-S10/11 “呼死你”)",
			Note:   note,
		}
	}
	return CapsConfig{Caps: []Cap{
		{Count: 1, Window: dialgate.Duration(5 * time.Minute), Cite: cite("burst cap against call bombing; the rule sets no number (compare Tencent Cloud 3 per 5 min [V])")},
		{Count: 2, Window: capDay, Cite: cite("daily cap; the rule sets no number (compare Huawei Cloud 3 per 24 h, Tencent Cloud 5 per 24 h [V])")},
		{Count: 10, Window: 30 * capDay, Cite: cite("monthly cap; the rule sets no number (compare Huawei Cloud 10 per 30 days [V])")},
	}}
}

// CapsUSFL returns the Florida overlay's cap: at most 3 commercial telephone
// solicitation calls per 24 hours to a person on the same subject, from any
// number. A dial without a Subject is denied (ErrNoSubject).
func CapsUSFL() CapsConfig {
	return CapsConfig{Caps: []Cap{{
		Count: 3, Window: capDay, Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, Per: CapPerCalleeSubject,
		Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "Fla. Stat. §501.616(6)(b) (Florida Telephone Solicitation Act)",
			Note: "no more than 3 commercial telephone solicitation calls from any number to a person over a 24-hour period on the same subject matter or issue"},
	}}}
}

// CapsUSOK returns the Oklahoma overlay's cap: at most 3 commercial telephone
// solicitation calls per 24 hours to a person on the same subject, from any
// number. A dial without a Subject is denied (ErrNoSubject).
func CapsUSOK() CapsConfig {
	return CapsConfig{Caps: []Cap{{
		Count: 3, Window: capDay, Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, Per: CapPerCalleeSubject,
		Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "Okla. Stat. tit. 15, §775C.4 (Telephone Solicitation Act of 2022)",
			Note: "no more than 3 commercial telephone solicitation calls from any number to a person over a 24-hour period on the same subject matter or issue"},
	}}}
}

// CapsUSCollections returns the us-collections profile's caps (Regulation F):
// at most 7 calls within 7 days per debt (Dial.Subject; a collections dial
// without one is denied, frequency.unavailable wrapping ErrNoSubject), and
// none within 7 days after a telephone conversation
// about the debt (reported with Outcome.Conversation).
func CapsUSCollections() CapsConfig {
	collections := []dialgate.Purpose{dialgate.PurposeCollections}
	return CapsConfig{
		Caps: []Cap{{
			Count: 7, Window: 7 * capDay, Purposes: collections, Per: CapPerSubject,
			Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "12 CFR 1006.14(b)(2)(i)",
				Note: "presumed harassment: more than 7 calls within 7 consecutive days about a particular debt"},
		}},
		PauseAfterConversation: &ConversationPause{
			Window: 7 * capDay, Purposes: collections, Per: CapPerSubject,
			Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "12 CFR 1006.14(b)(2)(ii)",
				Note: "presumed harassment: a call within 7 days after a telephone conversation about the debt"},
		},
	}
}

// CapsFR returns the fr profile's cap: at most 4 marketing calls per callee
// within 30 days (calendar days, counted here as a sliding 30 × 24 h).
func CapsFR() CapsConfig {
	return CapsConfig{Caps: []Cap{{
		Count: 4, Window: 30 * capDay, Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "Code de la consommation art. D223-8 (décret n° 2022-1313 du 13 octobre 2022)",
			Note: "a consumer may not be canvassed by telephone more than 4 times in 30 calendar days"},
	}}}
}
