package dialgate

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"
)

// DefaultCheckTimeout bounds the time all checks of one decision may take
// together, unless WithCheckTimeout says otherwise.
const DefaultCheckTimeout = 500 * time.Millisecond

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
	ids           func() string
	policyVersion string
	logger        *slog.Logger
}

// WithClock sets the Clock the Gate reads once per decision. The default is
// SystemClock. A nil Clock is an error.
func WithClock(c Clock) Option {
	return optionFunc(func(o *gateOptions) error {
		if c == nil {
			return fmt.Errorf("WithClock: nil clock: %w", ErrInvalidConfig)
		}
		o.clock = c
		return nil
	})
}

// WithAuditLog sets the log every decision and outcome is recorded in. New
// requires it, or an explicit WithoutAuditLog. A nil log is an error.
func WithAuditLog(l AuditLog) Option {
	return optionFunc(func(o *gateOptions) error {
		if l == nil {
			return fmt.Errorf("WithAuditLog: nil log: %w", ErrInvalidConfig)
		}
		if o.noAudit {
			return fmt.Errorf("WithAuditLog: given with WithoutAuditLog: %w", ErrInvalidConfig)
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
// The timeout must be positive.
func WithCheckTimeout(d time.Duration) Option {
	return optionFunc(func(o *gateOptions) error {
		if d <= 0 {
			return fmt.Errorf("WithCheckTimeout: timeout %v must be positive: %w", d, ErrInvalidConfig)
		}
		o.timeout = d
		return nil
	})
}

// WithDecisionIDs sets the function that names each decision. It must return a
// unique, non-empty id on every call and be safe for concurrent use. The default
// is a random 64-bit prefix per Gate followed by a counter.
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

// newIDSource returns the default decision-id generator: "dg-<16 hex>-<n>",
// with a random prefix so that ids stay unique across processes and restarts.
func newIDSource() (func() string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("decision ids: %w", err)
	}
	prefix := "dg-" + hex.EncodeToString(b[:]) + "-"
	var n atomic.Uint64
	return func() string {
		var buf [48]byte
		out := append(buf[:0], prefix...)
		out = strconv.AppendUint(out, n.Add(1), 10)
		return string(out)
	}, nil
}
