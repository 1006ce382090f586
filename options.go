package dialgate

import (
	"context"
	"crypto/aes"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCheckTimeout bounds the time all checks of one decision may take
// together, unless WithCheckTimeout says otherwise.
const DefaultCheckTimeout = 500 * time.Millisecond

// DefaultAllowLifetime is how long an allow stays good for when
// WithAllowLifetime does not say otherwise (Decision.ValidUntil): 60 seconds,
// long enough for a dialer to take a line and place the call it asked about,
// short enough that an allow does not outlive by much what it was judged
// against (a consent revoked, an opt-out, a cap filled by another call, a
// registry copy replaced), which the next Check would see.
const DefaultAllowLifetime = 60 * time.Second

// MaxAllowLifetime is the longest lifetime WithAllowLifetime accepts: 10
// minutes. A dialer that holds a decision longer (a long queue) must Check
// again; a longer lifetime would let an allow ignore revocations and opt-outs
// recorded since for that long.
const MaxAllowLifetime = 10 * time.Minute

// An Option configures a Gate. Options are applied in order by New.
type Option interface {
	apply(*gateOptions) error
}

type optionFunc func(*gateOptions) error

func (f optionFunc) apply(o *gateOptions) error { return f(o) }

type gateOptions struct {
	clock         Clock
	audit         AuditLog
	noAudit       bool
	shadow        bool
	timeout       time.Duration
	lifetime      time.Duration
	ids           func() string
	policyVersion string
	logger        *slog.Logger
	placed        PlacedGuard
	afterRelease  func(ctx context.Context, decisionID string)
}

// WithClock sets the Clock the Gate reads once per decision. The default is
// SystemClock. A nil Clock (a nil ClockFunc too) is an error.
func WithClock(c Clock) Option {
	return optionFunc(func(o *gateOptions) error {
		if f, ok := c.(ClockFunc); c == nil || ok && f == nil {
			return fmt.Errorf("WithClock: nil clock: %w", ErrInvalidConfig)
		}
		o.clock = c
		return nil
	})
}

// WithAuditLog sets the log every decision and outcome is recorded in. New
// requires it, or an explicit WithoutAuditLog. A nil log is an error, and so
// is a second WithAuditLog (it would silently replace the first).
func WithAuditLog(l AuditLog) Option {
	return optionFunc(func(o *gateOptions) error {
		if l == nil {
			return fmt.Errorf("WithAuditLog: nil log: %w", ErrInvalidConfig)
		}
		if o.noAudit {
			return fmt.Errorf("WithAuditLog: given with WithoutAuditLog: %w", ErrInvalidConfig)
		}
		if o.audit != nil {
			return fmt.Errorf("WithAuditLog: given twice (a Gate records in one log; the second would replace the first): %w", ErrInvalidConfig)
		}
		o.audit = l
		return nil
	})
}

// WithoutAuditLog builds a Gate that records nothing: for tests, examples and
// what-if tools whose decisions place no call. A Gate in front of a dialer
// needs WithAuditLog — New refuses a Gate given neither, so that a forgotten
// audit log is an error, not a silent gap in the record. New logs a warning.
func WithoutAuditLog() Option {
	return optionFunc(func(o *gateOptions) error {
		if o.audit != nil {
			return fmt.Errorf("WithoutAuditLog: given with WithAuditLog: %w", ErrInvalidConfig)
		}
		o.noAudit = true
		return nil
	})
}

// WithShadowMode makes the Gate evaluate and record every rule but enforce none:
// Decision.Allowed is true unless the dial is malformed or the audit log fails,
// and Decision.Shadow is set in every decision. Reasons are reported exactly as
// in enforcing mode. Use it to trial a policy beside a live dialer.
//
// A shadow decision that failed a check reserves no capacity (capacity is
// reserved only when every check passed), so frequency caps and segment
// rates do not count the calls placed on such decisions: for the length of
// the longest cap window after switching to enforcing, they under-count.
func WithShadowMode(on bool) Option {
	return optionFunc(func(o *gateOptions) error {
		o.shadow = on
		return nil
	})
}

// WithCheckTimeout bounds the time all checks and commits of one decision may
// take together (default DefaultCheckTimeout). A check still running at the
// deadline, or one that returns after it, becomes "<check>.unavailable": a deny.
// The Gate cannot stop a check that ignores its context: it waits for it to
// return, and then does not trust its answer. The timeout must be positive.
func WithCheckTimeout(d time.Duration) Option {
	return optionFunc(func(o *gateOptions) error {
		if d <= 0 {
			return fmt.Errorf("WithCheckTimeout: timeout %v must be positive: %w", d, ErrInvalidConfig)
		}
		o.timeout = d
		return nil
	})
}

// WithAllowLifetime sets how long an allow stays good for: its
// Decision.ValidUntil is the decision instant plus d, or the earliest end a
// passing check tells (Expirer), whichever comes first. The default is
// DefaultAllowLifetime. d must be positive and at most MaxAllowLifetime.
// A check that counts dials at their decision instant (LifetimeCounter:
// the frequency caps) must count each as if placed up to d after it: New
// refuses a Gate whose lifetime is longer than such a check counts (build
// the frequency check with schedule.WithAllowLifetime(d); policy.Build and
// policy.Assemble do so from their options).
func WithAllowLifetime(d time.Duration) Option {
	return optionFunc(func(o *gateOptions) error {
		if d <= 0 || d > MaxAllowLifetime {
			return fmt.Errorf("WithAllowLifetime: lifetime %v must be positive and at most %v: %w", d, MaxAllowLifetime, ErrInvalidConfig)
		}
		o.lifetime = d
		return nil
	})
}

// AllowLifetimeOf returns the allow lifetime a Gate built with opts would
// have: the last WithAllowLifetime among them, or DefaultAllowLifetime when
// none sets it. It applies opts to fresh options, as New does, and returns
// the first option's error, so that a host can build its checks that count
// the lifetime (LifetimeCounter, such as the frequency check built with
// schedule.WithAllowLifetime) from the options it will give New.
func AllowLifetimeOf(opts ...Option) (time.Duration, error) {
	o := gateOptions{lifetime: DefaultAllowLifetime}
	for _, opt := range opts {
		if opt == nil {
			return 0, fmt.Errorf("nil option: %w", ErrInvalidConfig)
		}
		if err := opt.apply(&o); err != nil {
			return 0, err
		}
	}
	return o.lifetime, nil
}

// WithDecisionIDs sets the function that names each decision. It must return a
// unique id on every call and be safe for concurrent use. Each id must be a
// decision id: 1 to MaxDecisionIDLen (128) bytes of UTF-8 text without
// control characters, not ending in "#placed"; Check denies a dial whose id
// is not (audit.unavailable, an error wrapping ErrInvalidConfig), as the
// stores key pauses and reservations by it and the sidecar's decision_id
// fields take no more. The default
// ids ("dg-" and 26 base32 characters) are unpredictable: no id tells anything
// of another. A source that replaces it should be unpredictable too where
// several tenants share a Gate (the sidecar), or a dialer that sees its own ids
// can name another tenant's decisions.
func WithDecisionIDs(next func() string) Option {
	return optionFunc(func(o *gateOptions) error {
		if next == nil {
			return fmt.Errorf("WithDecisionIDs: nil function: %w", ErrInvalidConfig)
		}
		o.ids = next
		return nil
	})
}

// WithPolicyVersion sets the policy version stamped on every decision (for
// example the profile name and its content hash).
func WithPolicyVersion(v string) Option {
	return optionFunc(func(o *gateOptions) error {
		o.policyVersion = v
		return nil
	})
}

// WithLogger sets the structured logger for operational events: check failures,
// panics, audit failures. The default discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(o *gateOptions) error {
		if l == nil {
			return fmt.Errorf("WithLogger: nil logger: %w", ErrInvalidConfig)
		}
		o.logger = l
		return nil
	})
}

// newIDSource returns the default decision-id generator: "dg-" and 26
// lower-case base32 characters, the AES-128 encryption of a counter under a
// key drawn at random for the Gate (with a random 64-bit prefix in the
// block). Ids are unique within a Gate (AES is a permutation and the
// counter never repeats) and across processes and restarts (independent
// keys), and unpredictable: one id, or any number of them, tells nothing of
// the next one or of another Gate's. The sidecar relies on that: a dialer
// that sees its own decision ids cannot name another tenant's decision to
// release its reservations or report outcomes into it.
func newIDSource() (func() string, error) {
	var seed [24]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("decision ids: %w", err)
	}
	return newIDSourceSeed(seed)
}

// newIDSourceSeed is newIDSource with the seed given: the AES key (16
// bytes) and the ids' prefix (8 bytes). The cipher's input and output
// blocks are pooled (the cipher.Block interface would move them to the
// heap on every id), so an id costs one allocation, its string.
func newIDSourceSeed(seed [24]byte) (func() string, error) {
	block, err := aes.NewCipher(seed[:16])
	if err != nil {
		return nil, fmt.Errorf("decision ids: %w", err)
	}
	prefix := binary.BigEndian.Uint64(seed[16:])
	var n atomic.Uint64
	blocks := sync.Pool{New: func() any { return new([2 * aes.BlockSize]byte) }}
	return func() string {
		b := blocks.Get().(*[2 * aes.BlockSize]byte)
		in, out := b[:aes.BlockSize], b[aes.BlockSize:]
		binary.BigEndian.PutUint64(in[:8], prefix)
		binary.BigEndian.PutUint64(in[8:], n.Add(1))
		block.Encrypt(out, in)
		var id [3 + 26]byte
		copy(id[:], "dg-")
		idEncoding.Encode(id[3:], out)
		blocks.Put(b)
		return string(id[:])
	}, nil
}

// idEncoding writes decision ids: base32 without padding, in lower case
// (ids appear in URLs, logs and file names).
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// WithPlacedGuard sets the PlacedGuard that makes Release refuse, with an
// error wrapping ErrPlaced, a decision an outcome of a placed call was
// reported for — through this Gate or any other Gate on the same store (a
// fleet of sidecars), before or after a restart. ReportOutcome marks the
// decision placed (one store operation per outcome) and Release marks it
// released (one per release); Check does not consult it. Without it the Gate
// keeps no such guard, and Release gives back the capacity of whatever
// decision it is given. A nil guard is an error, and so is a second
// WithPlacedGuard. See package placedguard for
// the guard over a storage.Counters.
func WithPlacedGuard(g PlacedGuard) Option {
	return optionFunc(func(o *gateOptions) error {
		if g == nil {
			return fmt.Errorf("WithPlacedGuard: nil guard: %w", ErrInvalidConfig)
		}
		if o.placed != nil {
			return fmt.Errorf("WithPlacedGuard: given twice (the second would replace the first; policy.Build and policy.Assemble give one over deps.Counters of their own): %w", ErrInvalidConfig)
		}
		o.placed = g
		return nil
	})
}

// WithOutcomeAfterRelease sets a function ReportOutcome calls, after the
// Gate logged it at Warn, when the PlacedGuard reports that the decision of
// an outcome of a placed call was released before (the dialer placed a call
// whose capacity it had given back): for a metric. It runs synchronously and
// must not block. A nil function is an error. It is called for every such
// report, a retry of the same outcome too: the guard (placedguard) keeps
// only the decision's released mark, so the Gate cannot tell a retry from
// the first report without a further write to the shared store; count
// distinct decision ids for the number of decisions.
func WithOutcomeAfterRelease(fn func(ctx context.Context, decisionID string)) Option {
	return optionFunc(func(o *gateOptions) error {
		if fn == nil {
			return fmt.Errorf("WithOutcomeAfterRelease: nil function: %w", ErrInvalidConfig)
		}
		o.afterRelease = fn
		return nil
	})
}
