package sidecar

import (
	"math"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc/status"
)

// metrics holds the sidecar's Prometheus collectors, in a registry of its own
// (no global state).
type metrics struct {
	reg       *prometheus.Registry
	decisions *prometheus.CounterVec
	reasons   *prometheus.CounterVec
	errors    *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	// reloads counts reloads of the tokens and TLS files by kind and result;
	// loadedAt is when the copy in force of each kind was loaded.
	reloads  *prometheus.CounterVec
	loadedAt *prometheus.GaugeVec
	// releaseFailures counts allows that could not be delivered and whose
	// release failed: their capacity stays held until its window passes.
	releaseFailures prometheus.Counter
	// afterRelease counts outcomes of placed calls reported after their
	// decision was released: every report with the store's guard (the
	// Gate tells), each decision once without it (this server's memory).
	afterRelease prometheus.Counter
	// authRefused counts calls (and stream messages) the tokens file
	// refused, by the scope they needed and the gRPC code.
	authRefused *prometheus.CounterVec
	// handshakes counts refused TLS handshakes by reason
	// (handshakeReasons).
	handshakes *prometheus.CounterVec
}

func newMetrics(ages func(time.Time) []SnapshotAge, holidays func(time.Time) []HolidayDataLeft, counters func() (keys, reservations int), journal func() boltstore.JournalStats, expiry func() ExpiryStats) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialgate_decisions_total",
			Help: "Decisions made, by outcome (allowed, denied, shadow_allowed).",
		}, []string{"outcome"}),
		reasons: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialgate_decision_reasons_total",
			Help: "Reason codes of decisions (one increment per reason of each decision), by outcome and code.",
		}, []string{"outcome", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialgate_check_errors_total",
			Help: "Check requests answered with an error (the client must not dial), by gRPC code.",
		}, []string{"grpc_code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dialgate_check_duration_seconds",
			Help:    "Time to decide one dial in the server, by method (Check, CheckStream).",
			Buckets: []float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1},
		}, []string{"method"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialgate_reloads_total",
			Help: "Reloads of changed files, by kind (tokens, tls, blackouts) and result (ok: the new copy is in force; error: refused — the loaded copy stays, except a blackouts file, whose failure denies the dials the schedule judges).",
		}, []string{"kind", "result"}),
		loadedAt: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dialgate_reload_last_success_timestamp_seconds",
			Help: "Unix time at which the copy in force of each kind of file (tokens, tls, blackouts) was loaded: at start or by the last successful reload.",
		}, []string{"kind"}),
		releaseFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialgate_undelivered_release_failures_total",
			Help: "Allowed decisions that could not be delivered (the client went away, or the server was stopping) whose release failed: the capacity they reserved (frequency caps, segment counters) stays held until its window passes. Each is logged at Error with its decision id.",
		}),
		authRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialgate_auth_refused_total",
			Help: "Calls, and messages of open streams, refused by the tokens file, by the scope they needed (gate, admin) and gRPC code (Unauthenticated: no token, a malformed or unknown one, or one removed by a reload; PermissionDenied: a token without the scope). Logged at Debug only.",
		}, []string{"scope", "grpc_code"}),
		handshakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialgate_tls_handshake_failures_total",
			Help: "TLS handshakes the server refused or that failed, by reason: not_tls (a plaintext client), no_client_cert and bad_client_cert (mTLS), client_refused (the client ended it with an alert: typically it does not trust the server certificate), protocol (no TLS version, cipher suite or ALPN h2 in common), timeout, closed (closed or reset before the end: TCP health checks, scanners), other. Logged at Warn (closed at Debug), at most 10 lines a minute at each level.",
		}, []string{"reason"}),
		afterRelease: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialgate_outcomes_after_release_total",
			Help: "Outcomes of placed calls reported after their decision was released through this server: the dialer placed calls whose capacity it had given back. The Gate counts each again when its outcome carries the dial (the frequency caps whatever they say, the segment counters when a slot is left); otherwise they undercount it. Each is logged at Warn with its decision id. With the release guard in the store every report counts, a retry of the same outcome too; without it each decision counts once, at its first report.",
		}),
	}
	m.reg.MustRegister(m.decisions, m.reasons, m.errors, m.latency, m.reloads, m.loadedAt, m.releaseFailures, m.afterRelease, m.authRefused, m.handshakes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if ages != nil {
		m.reg.MustRegister(&gaugeCollector{
			desc: prometheus.NewDesc("dialgate_snapshot_age_seconds", "Age of each registry snapshot the gate uses, in seconds since its as-of instant; +Inf while no copy of a registry the profile requires is in force: none loaded (every dial the dnc check judges is denied, dnc.registry_stale), or the loaded one withdrawn for a write in place of its file (every dial denied, dnc.unavailable).", []string{"list"}, nil),
			values: func(now time.Time) (out []labeled) {
				for _, a := range ages(now) {
					v := a.Age.Seconds()
					if a.Missing {
						v = math.Inf(1) // no copy: older than any limit
					}
					out = append(out, labeled{a.List, v})
				}
				return out
			}})
	}
	if holidays != nil {
		m.reg.MustRegister(&gaugeCollector{
			desc: prometheus.NewDesc("dialgate_holiday_data_days_left",
				"Days from today to the last date with holiday data, per calendar series of the profile; negative once it has passed.",
				[]string{"series"}, nil),
			values: func(now time.Time) (out []labeled) {
				for _, l := range holidays(now) {
					out = append(out, labeled{l.Series, float64(l.Days)})
				}
				return out
			}})
	}
	if counters != nil {
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialgate_counter_keys",
				Help: "Counter keys (callees, segments) the embedded store keeps in memory."},
				func() float64 { k, _ := counters(); return float64(k) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialgate_counter_reservations",
				Help: "Reservations the embedded store keeps in memory, each until its longest cap window passes (≈ 190 bytes each), sweep run records included."},
				func() float64 { _, r := counters(); return float64(r) }))
	}
	if journal != nil {
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialgate_counter_journal_bytes",
				Help: "Bytes of the embedded store's counter journal segments (compaction keeps them near twice the held reservations')."},
				func() float64 { return float64(journal().Bytes) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialgate_counter_journal_compaction_failing",
				Help: "1 when the last compaction of the counter journal failed: the journal grows until it succeeds, and a full disk stops every dial."},
				func() float64 {
					if journal().CompactErr != nil {
						return 1
					}
					return 0
				}))
	}
	if expiry != nil {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "dialgate_counter_expiry_removed_total",
				Help: "Entries the hourly counter expiry removed since start (counter entries; on a fleet's PostgreSQL, sequential-run records too)."},
				func() float64 { return float64(expiry().Removed) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialgate_counter_expiry_failing",
				Help: "1 when the last hourly counter expiry failed: the store keeps the entries it did not remove, and grows, until a run succeeds."},
				func() float64 {
					if expiry().Failing {
						return 1
					}
					return 0
				}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialgate_counter_expiry_last_success_timestamp_seconds",
				Help: "Unix time at which the last hourly counter expiry that succeeded ended (0: none since start)."},
				func() float64 {
					if t := expiry().LastSuccess; !t.IsZero() {
						return float64(t.UnixNano()) / 1e9
					}
					return 0
				}))
	}
	return m
}

// outcomeAfterRelease counts an outcome of a placed call reported after its
// decision was released; a nil m counts nothing.
func (m *metrics) outcomeAfterRelease() {
	if m != nil {
		m.afterRelease.Inc()
	}
}

// refusedAuth counts a call or stream message the tokens file refused
// with err, needing scope.
func (m *metrics) refusedAuth(scope Scope, err error) {
	m.authRefused.WithLabelValues(string(scope), status.Code(err).String()).Inc()
}

// initAuth makes the series of dialgate_auth_refused_total exist, at 0,
// from the start (a server with a tokens file): an alert on their increase
// then sees the first refusal.
func (m *metrics) initAuth() {
	for _, sc := range []Scope{ScopeGate, ScopeAdmin} {
		for _, c := range []string{"Unauthenticated", "PermissionDenied"} {
			m.authRefused.WithLabelValues(string(sc), c)
		}
	}
}

// handshakeFailed counts a refused TLS handshake.
func (m *metrics) handshakeFailed(reason string) {
	m.handshakes.WithLabelValues(reason).Inc()
}

// initHandshakes makes the series of dialgate_tls_handshake_failures_total
// exist, at 0, from the start (a server with TLS): an alert on their
// increase then sees the first refusal.
func (m *metrics) initHandshakes() {
	for _, r := range handshakeReasons {
		m.handshakes.WithLabelValues(r)
	}
}

// reloaded counts one reload of kind; a nil m counts nothing (the
// back-end's reloaders, made before the server and its metrics).
func (m *metrics) reloaded(kind string, ok bool) {
	if m == nil {
		return
	}
	result := "error"
	if ok {
		result = "ok"
	}
	m.reloads.WithLabelValues(kind, result).Inc()
}

// alertedCodes are the reason codes docs/deploy.md alerts on with
// increase(): a tripped number sweep (REQUIREMENTS §3: a deny and an alert).
var alertedCodes = [...]dialgate.Code{dialgate.CodeSweepSequential, dialgate.CodeSweepSegmentRate}

// initReasons makes the series of alertedCodes exist, at 0, from the start,
// under the outcome their decisions get (denied; shadow_allowed in shadow
// mode): a counter series that first appears at 1 has no increase, so the
// first sweep a sidecar stops after a start would otherwise raise no alert.
func (m *metrics) initReasons(shadow bool) {
	outcome := "denied"
	if shadow {
		outcome = "shadow_allowed"
	}
	for _, c := range alertedCodes {
		m.reasons.WithLabelValues(outcome, string(c))
	}
}

// loaded records that a copy of kind was put in force at t. The reload
// series of kind then exist (at 0 from the start), so that an alert on
// their increase sees the first error.
func (m *metrics) loaded(kind string, t time.Time) {
	if m == nil {
		return
	}
	m.reloads.WithLabelValues(kind, "ok")
	m.reloads.WithLabelValues(kind, "error")
	m.loadedAt.WithLabelValues(kind).Set(float64(t.UnixNano()) / 1e9)
}

// registryRefusals exports, per registry, whether the copy on its file's
// path is refused (Backend.RegistriesRefused).
func (m *metrics) registryRefusals(refused func() []RegistryRefused) {
	m.reg.MustRegister(&gaugeCollector{
		desc: prometheus.NewDesc("dialgate_registry_copy_refused",
			"1 while the registry copy on a registry file's path is refused (it does not load, is of another list, is older than the loaded copy, lists more than registry_max_shrink fewer numbers than it or than the registry's high-water mark, lacks more than registry_max_shrink of a sample of its numbers: swapped for others, or applies in another scope than it, not global): the loaded copy stays and ages (the log says why); 0 once a copy on the path is in force.",
			[]string{"list"}, nil),
		values: func(time.Time) (out []labeled) {
			for _, r := range refused() {
				out = append(out, labeled{r.List, r.Value})
			}
			return out
		}})
}

// certExpiry exports the expiry of the server certificate in force.
func (m *metrics) certExpiry(notAfter func() time.Time) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialgate_tls_cert_not_after_timestamp_seconds",
		Help: "Unix time at which the server certificate in force expires: every handshake fails after it."},
		func() float64 { return float64(notAfter().Unix()) }))
}

func (m *metrics) observe(method string, start time.Time, dec *dialgate.Decision, err error) {
	m.latency.WithLabelValues(method).Observe(time.Since(start).Seconds())
	if err != nil {
		m.errors.WithLabelValues(status.Code(err).String()).Inc()
	}
	if dec == nil || dec.ID == "" {
		return
	}
	outcome := "denied"
	switch {
	case dec.Allowed && len(dec.Reasons) == 0:
		outcome = "allowed"
	case dec.Allowed:
		outcome = "shadow_allowed"
	}
	m.decisions.WithLabelValues(outcome).Inc()
	for _, r := range dec.Reasons {
		m.reasons.WithLabelValues(outcome, string(r.Code)).Inc()
	}
}

// labeled is one value of a gauge with one label.
type labeled struct {
	label string
	value float64
}

// gaugeCollector exports a one-label gauge whose values are computed at each
// scrape, as of its time.
type gaugeCollector struct {
	desc   *prometheus.Desc
	values func(time.Time) []labeled
}

// Describe implements prometheus.Collector: the one gauge.
func (c *gaugeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector: one value per label, as of the
// time of the scrape.
func (c *gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, v := range c.values(time.Now()) {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v.value, v.label)
	}
}
