package audittest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/audittest"
)

var t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// world is a toy deployment: a do-not-call set and revocable consents.
type world struct {
	mu      sync.Mutex
	listed  map[dialgate.Number]bool
	revoked map[string]bool
}

func newWorld() *world {
	return &world{listed: map[dialgate.Number]bool{}, revoked: map[string]bool{}}
}

func (w *world) dnc() dialgate.Checker {
	return dialgate.CheckerFunc("dnc", func(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.listed[d.To] {
			return []dialgate.Reason{{Code: dialgate.CodeDNCListed, Message: "listed"}}, nil
		}
		return nil, nil
	})
}

// consent ignores revocations when buggy.
func (w *world) consent(buggy bool) dialgate.Checker {
	return dialgate.CheckerFunc("consent", func(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if d.Purpose != dialgate.PurposeMarketing {
			return nil, nil
		}
		if d.ConsentID == "" {
			return []dialgate.Reason{{Code: dialgate.CodeConsentMissing}}, nil
		}
		if w.revoked[d.ConsentID] && !buggy {
			return []dialgate.Reason{{Code: dialgate.CodeConsentRevoked}}, nil
		}
		return nil, nil
	})
}

func dial(to, consent string) dialgate.Dial {
	return dialgate.Dial{To: dialgate.MustParseNumber(to), From: dialgate.MustParseNumber("+861058001234"),
		Purpose: dialgate.PurposeMarketing, Tenant: "acme", ConsentID: consent}
}

// probes returns the standard probes against w, with outage taking down the
// dnc store.
func probes(w *world, outage *audittest.Fault) []audittest.Probe {
	return []audittest.Probe{
		{Name: "plain allowed dial", Dial: dial("+8613900139001", "c-1")},
		{Name: "no consent", Dial: dial("+8613900139002", ""), MustDeny: true, Codes: []dialgate.Code{dialgate.CodeConsentMissing}},
		{Name: "revoked consent", Dial: dial("+8613900139003", "c-2"), MustDeny: true, Codes: []dialgate.Code{dialgate.CodeConsentRevoked},
			Setup: func(ctx context.Context) error {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.revoked["c-2"] = true
				return nil
			}},
		{Name: "listed number", Dial: dial("+8613900139004", "c-1"), MustDeny: true, Codes: []dialgate.Code{dialgate.CodeDNCListed},
			Setup: func(ctx context.Context) error {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.listed[dialgate.MustParseNumber("+8613900139004")] = true
				return nil
			}},
		{Name: "dnc store down", Dial: dial("+8613900139005", "c-1"), Outage: outage, MustDeny: true},
		{Name: "malformed dial", Dial: dialgate.Dial{Purpose: dialgate.PurposeMarketing}, MustDeny: true, Codes: []dialgate.Code{dialgate.CodeDialInvalid}},
	}
}

func newGate(t *testing.T, checks []dialgate.Checker, opts ...dialgate.Option) *dialgate.Gate {
	t.Helper()
	g, err := dialgate.New(checks, append(opts, dialgate.WithClock(audittest.NewClock(t0)))...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestCheckGateHealthy(t *testing.T) {
	for _, shadow := range []bool{false, true} {
		t.Run(fmt.Sprintf("shadow=%v", shadow), func(t *testing.T) {
			w, outage, log := newWorld(), &audittest.Fault{}, &audittest.Log{}
			g := newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(false)},
				dialgate.WithAuditLog(log), dialgate.WithShadowMode(shadow))
			audittest.TestGate(t, g, log, probes(w, outage))
			if outage.Injected() != 1 {
				t.Errorf("outage injected %d failures, want 1", outage.Injected())
			}
		})
	}
}

func TestCheckGateAuditFailure(t *testing.T) {
	w, outage, log, logFault := newWorld(), &audittest.Fault{}, &audittest.Log{}, &audittest.Fault{}
	g := newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(false)},
		dialgate.WithAuditLog(audittest.NewFaultyLog(log, logFault)))
	logFault.FailNext(2, nil)
	// The first two decisions cannot be recorded: they must deny, with no record.
	ps := probes(w, outage)
	if err := audittest.CheckGate(g, log, ps); err != nil {
		t.Fatal(err)
	}
	if log.Len() != len(ps)-2 {
		t.Fatalf("log holds %d decisions, want %d", log.Len(), len(ps)-2)
	}
	for _, d := range log.Decisions() {
		if d.Has(dialgate.CodeAuditUnavailable) {
			t.Fatalf("recorded decision %s says the audit failed", d.ID)
		}
	}
}

// doubleLog records every decision twice: a broken log integration.
type doubleLog struct{ *audittest.Log }

func (d doubleLog) RecordDecision(ctx context.Context, dec dialgate.Decision) error {
	d.Log.RecordDecision(ctx, dec)
	return d.Log.RecordDecision(ctx, dec)
}

func TestCheckGateCatchesViolations(t *testing.T) {
	cases := []struct {
		name string
		gate func(w *world, outage *audittest.Fault, log *audittest.Log) *dialgate.Gate
		want []error
	}{
		{"consent check ignores revocations", func(w *world, outage *audittest.Fault, log *audittest.Log) *dialgate.Gate {
			return newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(true)}, dialgate.WithAuditLog(log))
		}, []error{audittest.ErrMustDenyAllowed, audittest.ErrMissingCode}},
		{"outage not wired to any check", func(w *world, outage *audittest.Fault, log *audittest.Log) *dialgate.Gate {
			return newGate(t, []dialgate.Checker{w.dnc(), w.consent(false)}, dialgate.WithAuditLog(log))
		}, []error{audittest.ErrOutageAllowed, audittest.ErrMustDenyAllowed}},
		{"decision ids repeat", func(w *world, outage *audittest.Fault, log *audittest.Log) *dialgate.Gate {
			return newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(false)},
				dialgate.WithAuditLog(log), dialgate.WithDecisionIDs(func() string { return "same" }))
		}, []error{audittest.ErrDuplicateID, audittest.ErrAuditRecord}},
		{"log records twice", func(w *world, outage *audittest.Fault, log *audittest.Log) *dialgate.Gate {
			return newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(false)},
				dialgate.WithAuditLog(doubleLog{log}))
		}, []error{audittest.ErrAuditRecord}},
		{"gate writes to another log", func(w *world, outage *audittest.Fault, log *audittest.Log) *dialgate.Gate {
			return newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(false)},
				dialgate.WithAuditLog(&audittest.Log{}))
		}, []error{audittest.ErrAuditRecord}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, outage, log := newWorld(), &audittest.Fault{}, &audittest.Log{}
			err := audittest.CheckGate(c.gate(w, outage, log), log, probes(w, outage))
			if err == nil {
				t.Fatal("CheckGate found nothing wrong")
			}
			for _, want := range c.want {
				if !errors.Is(err, want) {
					t.Errorf("error does not report %v:\n%v", want, err)
				}
			}
			t.Log(err)
		})
	}
}

func TestCheckShadow(t *testing.T) {
	w, outage := newWorld(), &audittest.Fault{}
	checks := []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(false)}
	enf := newGate(t, checks, dialgate.WithAuditLog(&audittest.Log{}))
	sh := newGate(t, checks, dialgate.WithAuditLog(&audittest.Log{}), dialgate.WithShadowMode(true))
	if err := audittest.CheckShadow(enf, sh, probes(w, outage)); err != nil {
		t.Fatal(err)
	}
	// A "shadow" gate whose rules differ is caught.
	other := newGate(t, []dialgate.Checker{w.dnc()}, dialgate.WithAuditLog(&audittest.Log{}), dialgate.WithShadowMode(true))
	if err := audittest.CheckShadow(enf, other, probes(w, outage)); !errors.Is(err, audittest.ErrModeMismatch) {
		t.Fatalf("CheckShadow with different rules: %v", err)
	}
	if err := audittest.CheckShadow(sh, enf, nil); !errors.Is(err, audittest.ErrModeMismatch) {
		t.Fatalf("CheckShadow with the gates swapped: %v", err)
	}
}

func TestLogConcurrent(t *testing.T) {
	var log audittest.Log
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				id := fmt.Sprintf("d-%d-%d", g, i)
				log.RecordDecision(context.Background(), dialgate.Decision{ID: id, Reasons: []dialgate.Reason{{Code: dialgate.CodeDNCListed}}})
				log.RecordOutcome(context.Background(), dialgate.Outcome{DecisionID: id, Answered: true})
				log.Len()
			}
		}()
	}
	wg.Wait()
	if log.Len() != 800 || len(log.Outcomes()) != 800 || log.Count("d-3-7") != 1 || len(log.OutcomesFor("d-3-7")) != 1 {
		t.Fatalf("len %d outcomes %d", log.Len(), len(log.Outcomes()))
	}
	d, ok := log.Decision("d-3-7")
	if !ok || !d.Has(dialgate.CodeDNCListed) {
		t.Fatalf("Decision(d-3-7) = %+v, %v", d, ok)
	}
	// Returned decisions are copies.
	d.Reasons[0].Code = "x"
	if d2, _ := log.Decision("d-3-7"); !d2.Has(dialgate.CodeDNCListed) {
		t.Fatal("changing a returned decision changed the log")
	}
	log.Reset()
	if log.Len() != 0 {
		t.Fatal("Reset left decisions")
	}
}

func TestFault(t *testing.T) {
	var f audittest.Fault
	if f.Err() != nil {
		t.Fatal("zero Fault injects")
	}
	boom := errors.New("boom")
	f.FailNext(2, boom)
	//lint:ignore SA4000 each call consumes one injected failure: the repetition is the test
	if f.Err() != boom || f.Err() != boom || f.Err() != nil {
		t.Fatal("FailNext(2) did not fail exactly twice")
	}
	f.Fail(nil)
	for range 3 {
		if !errors.Is(f.Err(), audittest.ErrInjected) {
			t.Fatal("Fail(nil) does not inject ErrInjected")
		}
	}
	f.Heal()
	if f.Err() != nil || f.Injected() != 5 {
		t.Fatalf("after Heal: injected %d", f.Injected())
	}
}
