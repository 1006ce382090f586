package scenario

import (
	"context"
	"reflect"

	yaml3 "go.yaml.in/yaml/v3"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/yamlx"
)

// registry holds the event types and the seeding top-level keys of
// dialgate.scenario.v1 with their handlers.
type registry struct {
	events map[string]*eventSpec
	seeds  map[string]*seedSpec
}

// handlers returns every event type and every seeding top-level key the format
// defines (DESIGN §4) with its handler. A nil handler is a name the format
// knows whose domain dialgate does not support yet: a file that uses it is
// invalid ("event type complaint is not supported yet"), never passed.
//
// This is the one place where handlers are listed; each domain's handlers
// live in events_<domain>.go.
func handlers() *registry {
	return &registry{
		events: map[string]*eventSpec{
			"opt_out":          optOutEvent(),
			"revoke_consent":   revokeConsentEvent(),
			"grant_consent":    grantConsentEvent(),
			"complaint":        complaintEvent(),
			"outcome":          outcomeEvent(),
			"recording":        recordingEvent(),
			"end_recording":    endRecordingEvent(),
			"hold_recording":   holdRecordingEvent(),
			"release_hold":     releaseHoldEvent(),
			"delete_recording": deleteRecordingEvent(),
			"sweep_recordings": sweepRecordingsEvent(),
			"load_registry":    loadRegistryEvent(),
		},
		seeds: map[string]*seedSpec{
			"ledger":     ledgerSeed(),
			"dnc":        dncSeed(),
			"consents":   consentsSeed(),
			"registries": registriesSeed(),
		},
	}
}

// Result is what an event step came back with.
type Result struct {
	// Error names the error the event met (compared with want.error), empty
	// when it succeeded. Handlers map their domain errors to the names of
	// DESIGN §4 ("recording.retention_locked").
	Error string
	// Message says more about the error, for the report.
	Message string
	// Deleted is the number of items an event deleted (sweep_recordings).
	Deleted *int
}

// action applies a parsed event to the environment. ref is the decision of the
// step named by the event's decision: key, nil when it names none. A non-nil
// error is a failure of the harness (not an expected error) and fails the step.
type action func(ctx context.Context, env *Env, ref *dialgate.Decision) (Result, error)

// seedAction applies a parsed top-level key to the environment before the
// first step.
type seedAction func(ctx context.Context, env *Env) error

type eventSpec struct {
	args          reflect.Type // the event's keys, besides type and decision
	needsDecision bool         // whether decision: is required
	// decisionKey is the event's own key that names the same call as
	// decision: by its decision id (complaint: call_decision_id); the two
	// exclude each other. Empty when it has none.
	decisionKey string
	decode      func(doc *yamlx.Doc, n *yaml3.Node, path string) (action, error)
}

type seedSpec struct {
	args   reflect.Type // the key's value
	decode func(doc *yamlx.Doc, n *yaml3.Node, path string) (seedAction, error)
}

// event returns the spec of an event whose keys (besides type and decision)
// decode strictly into T. validate, when not nil, checks the decoded keys; its
// error is reported at the event's line.
func event[T any](needsDecision bool, validate func(*T) error, run func(ctx context.Context, env *Env, a *T, ref *dialgate.Decision) (Result, error)) *eventSpec {
	return &eventSpec{
		args:          reflect.TypeFor[T](),
		needsDecision: needsDecision,
		decode: func(doc *yamlx.Doc, n *yaml3.Node, path string) (action, error) {
			a := new(T)
			if err := doc.Decode(n, path, a); err != nil {
				return nil, err
			}
			if validate != nil {
				if err := validate(a); err != nil {
					return nil, &yamlx.Error{File: doc.File, Line: n.Line, Path: path, Msg: err.Error()}
				}
			}
			return func(ctx context.Context, env *Env, ref *dialgate.Decision) (Result, error) {
				return run(ctx, env, a, ref)
			}, nil
		},
	}
}

// seedKey returns the spec of a top-level key whose value decodes strictly
// into T.
func seedKey[T any](validate func(*T) error, run func(ctx context.Context, env *Env, a *T) error) *seedSpec {
	return &seedSpec{
		args: reflect.TypeFor[T](),
		decode: func(doc *yamlx.Doc, n *yaml3.Node, path string) (seedAction, error) {
			a := new(T)
			if err := doc.Decode(n, path, a); err != nil {
				return nil, err
			}
			if validate != nil {
				if err := validate(a); err != nil {
					return nil, &yamlx.Error{File: doc.File, Line: n.Line, Path: path, Msg: err.Error()}
				}
			}
			return func(ctx context.Context, env *Env) error { return run(ctx, env, a) }, nil
		},
	}
}
