package recording

import (
	"context"
	"fmt"

	"github.com/dialgate/dialgate"
)

// Check is the gate check "recording". Where the profile requires every call to
// be recorded (Config.Required), it denies recording.not_configured unless a
// Manager is configured whose retention is at least the profile's. It also
// observes outcomes and links a reported recording to its decision. Safe for
// concurrent use.
type Check struct {
	cfg Config
	mgr *Manager
}

// NewCheck returns the check for the profile's recording rule. mgr may be nil
// when the deployment keeps no recordings; then a profile that requires
// recording denies every dial.
func NewCheck(profile Config, mgr *Manager) (*Check, error) {
	if err := profile.Validate(); err != nil {
		return nil, err
	}
	return &Check{cfg: profile, mgr: mgr}, nil
}

// Manager returns the Manager the check links outcomes through, or nil.
func (c *Check) Manager() *Manager { return c.mgr }

// Name returns "recording".
func (c *Check) Name() string { return "recording" }

// Check implements dialgate.Checker.
func (c *Check) Check(_ context.Context, _ dialgate.Dial) ([]dialgate.Reason, error) {
	if !c.cfg.Required {
		return nil, nil
	}
	if c.mgr == nil {
		return []dialgate.Reason{{Code: dialgate.CodeRecordingNotConfigured,
			Message: "the profile requires every call to be recorded and no recording store is configured"}}, nil
	}
	if have, want := c.mgr.Retention(), c.cfg.RetentionPeriod(); have < want {
		return []dialgate.Reason{{Code: dialgate.CodeRecordingNotConfigured,
			Message: fmt.Sprintf("recordings are kept %s, the profile requires %s", dialgate.Duration(have), dialgate.Duration(want)),
			Evidence: []dialgate.Evidence{
				{Key: "recording.retention", Value: dialgate.Duration(have).String()},
				{Key: "recording.required_retention", Value: dialgate.Duration(want).String()},
			}}}, nil
	}
	return nil, nil
}

// ObserveOutcome links a reported recording to its decision.
func (c *Check) ObserveOutcome(ctx context.Context, o dialgate.Outcome) error {
	if o.RecordingID == "" || c.mgr == nil {
		return nil
	}
	return c.mgr.Link(ctx, o.At, o.RecordingID, o.DecisionID, o.Dial.To, o.Dial.Tenant)
}
