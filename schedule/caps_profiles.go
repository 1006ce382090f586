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
		Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "Fla. Stat. §501.616(6)(b) (Florida Telemarketing Act)",
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
			Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "12 CFR 1006.14(b)(2)(i)(A)",
				Note: "presumed harassment: more than 7 calls within 7 consecutive days about a particular debt"},
		}},
		PauseAfterConversation: &ConversationPause{
			Window: 7 * capDay, Purposes: collections, Per: CapPerSubject,
			Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "12 CFR 1006.14(b)(2)(i)(B)",
				Note: "presumed harassment: a call within 7 days after a telephone conversation about the debt"},
		},
	}
}

// CapsFR returns the fr profile's frequency rules: at most 4 marketing calls
// per callee within 30 days (calendar days, counted here as a sliding
// 30 × 24 h), and no marketing call to a callee within 61 × 24 h after they
// refused the canvassing (Outcome.Refused): the law's sixty full calendar days
// from the refusal end with the sixtieth day after it, which 60 × 24 h from
// the report would not cover.
func CapsFR() CapsConfig {
	law := "Code de la consommation art. D. 223-9 (décret n° 2022-1313 du 13 octobre 2022)"
	marketing := []dialgate.Purpose{dialgate.PurposeMarketing}
	return CapsConfig{
		Caps: []Cap{{
			Count: 4, Window: 30 * capDay, Purposes: marketing,
			Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: law,
				Note: "a consumer may not be canvassed by telephone more than 4 times in 30 calendar days"},
		}},
		PauseAfterRefusal: &Pause{
			Window: 61 * capDay, Purposes: marketing,
			Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: law,
				Note: "after a refusal during the conversation, no contact before sixty full calendar days from the refusal (soixante jours calendaires révolus), paused as 61 × 24 h"},
		},
	}
}

// CapsUK returns the uk profile's frequency rule: no call to a callee, of any
// purpose, within 72 hours after an abandoned call to them was reported
// (Outcome.Abandoned). Ofcom allows the repeat call with a guaranteed live
// operator; dialgate cannot know one is reserved, so it denies it.
func CapsUK() CapsConfig {
	return CapsConfig{PauseAfterAbandoned: &Pause{
		Window: 3 * capDay,
		Cite: dialgate.Citation{Source: dialgate.SourceRegulator,
			Ref:  "Ofcom, Persistent Misuse statement of policy (20 December 2016, applying from 1 March 2017), Annex 1; Communications Act 2003 ss. 128-131",
			Note: "a repeat call to a number within 72 hours of an abandoned call to it, without a guaranteed live operator, is likely persistent misuse"},
	}}
}
