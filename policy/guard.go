package policy

import (
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
)

// DefaultGuardWindow is how long the release guard keeps its marks under a
// profile without any limit that reserves capacity (nothing to give back).
const DefaultGuardWindow = 24 * time.Hour

// GuardWindow returns how long the release guard (package placedguard)
// keeps a decision's mark for profile p: the longest window of its limits
// that reserve capacity for an allowed decision (frequency caps, counted
// over their window plus the Gate's allow lifetime and so taken here plus
// dialgate.MaxAllowLifetime, the longest a Gate can have; the segment
// rate, sequential and stride runs of sweep, its tenants' too), so that no
// reservation of a placed call can be given back while it still counts;
// DefaultGuardWindow when there is none. The abandonment window is not one:
// its counts are recorded by outcomes and no Release gives them back. A frequency rule
// whose window changed is carried for its new window (the profile's).
func GuardWindow(p *Profile) time.Duration {
	var w time.Duration
	if p == nil {
		return DefaultGuardWindow
	}
	if f := p.Frequency; f != nil {
		for _, c := range f.Caps {
			w = max(w, c.Window.Std()+dialgate.MaxAllowLifetime)
		}
	}
	if sw := p.Sweep; sw != nil {
		if sw.SegmentRate != nil {
			w = max(w, sw.SegmentRate.Window.Std())
		}
		if sw.Sequential != nil {
			w = max(w, sw.Sequential.Window.Std())
		}
		if sw.Stride != nil {
			w = max(w, sw.Stride.Window.Std())
		}
		for _, tr := range sw.Tenants {
			if tr.SegmentRate != nil {
				w = max(w, tr.SegmentRate.Window.Std())
			}
			if tr.Sequential != nil {
				w = max(w, tr.Sequential.Window.Std())
			}
			if tr.Stride != nil {
				w = max(w, tr.Stride.Window.Std())
			}
		}
	}
	if w <= 0 {
		return DefaultGuardWindow
	}
	return min(w, storage.MaxWindow)
}
