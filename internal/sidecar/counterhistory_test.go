package sidecar

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/testdb"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/redis/go-redis/v9"
)

// windowProfile caps every callee at one call in the given window.
func windowProfile(window string) string {
	return `schema: dialgate.profile.v1
name: window-caps
frequency:
  caps:
    - {count: 1, window: ` + window + `, cite: {source: U, ref: "test: one call"}}
`
}

// pauseProfile pauses a callee for the given window after an abandoned call.
func pauseProfile(window string) string {
	return `schema: dialgate.profile.v1
name: window-pause
frequency:
  pause_after_abandoned: {window: ` + window + `, cite: {source: U, ref: "test: abandoned"}}
`
}

// openWithProfile opens a backend on data with the profile text, logging to
// log.
func openWithProfile(t *testing.T, data, profile string, log *bytes.Buffer) (*Backend, error) {
	t.Helper()
	return openWithProfileOn(t, Config{Data: data}, profile, log)
}

// openWithProfileOn is openWithProfile with the config cfg.
func openWithProfileOn(t *testing.T, cfg Config, profile string, log *bytes.Buffer) (*Backend, error) {
	t.Helper()
	prof := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(prof, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Profile = prof
	return Open(context.Background(), cfg, slog.New(slog.NewTextHandler(log, nil)))
}

// A profile whose cap window was lengthened (30 days to 60) keeps the calls
// counted before the restart: the callee called under the 30-day profile is
// still capped under the 60-day one, and the change is logged at Warn.
// The counter key names the window, so the new profile used to start from an
// empty counter and allow the call at once.
func TestCounterHistoryAcrossRestart(t *testing.T) {
	data := t.TempDir()
	d := dialgate.Dial{To: dialgate.MustParseNumber("+14055550123"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
	var log bytes.Buffer
	be, err := openWithProfile(t, data, windowProfile("30d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	if dec, err := be.Gate.Check(context.Background(), d); err != nil || !dec.Allowed {
		t.Fatalf("first dial: %v %+v", err, dec.Reasons)
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, CounterHistoryFile)); err != nil {
		t.Fatalf("counter history not written: %v", err)
	}

	log.Reset()
	be, err = openWithProfile(t, data, windowProfile("60d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(context.Background())
	dec, err := be.Gate.Check(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Allowed || !dec.Has(dialgate.CodeFrequencyCapped) {
		t.Fatalf("after the window change: allowed %v %+v, want frequency.capped", dec.Allowed, dec.Reasons)
	}
	if s := log.String(); !strings.Contains(s, "level=WARN") || !strings.Contains(s, "earlier_key=|cap|callee||30d") {
		t.Errorf("the change is not logged at Warn:\n%s", s)
	}
}

// A damaged counter history file is refused, naming it, rather than
// silently carrying nothing.
func TestCounterHistoryDamagedFile(t *testing.T) {
	data := t.TempDir()
	var log bytes.Buffer
	be, err := openWithProfile(t, data, windowProfile("30d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	be.Close(context.Background())
	path := filepath.Join(data, CounterHistoryFile)
	if err := os.WriteFile(path, []byte(`{"version":1,"keys":[{"suffix":"30d"`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = openWithProfile(t, data, windowProfile("60d"), &log)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open with a damaged %s: %v, want an error naming it", CounterHistoryFile, err)
	}
	// A file without the profile's keys (cut by hand, or not this file)
	// would carry nothing: refused, naming the field.
	for _, doc := range []string{`{"version":1}`, `{"version":1,"keys":null}`} {
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = openWithProfile(t, data, windowProfile("60d"), &log)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "keys: missing") {
			t.Fatalf("Open with %s in %s: %v, want an error naming it and keys", doc, CounterHistoryFile, err)
		}
	}
}

// carriedInto matches an earlier key with a key of the same kind, scope and
// purposes only.
func TestCarriedInto(t *testing.T) {
	keys := []schedule.CounterKey{{Suffix: "|cap|callee|marketing|60d"}, {Suffix: "|pause_abandoned|callee||4d"}}
	for suffix, want := range map[string]bool{
		"|cap|callee|marketing|30d":   true,
		"|cap|callee||30d":            false,
		"|cap|callee|marketing,x|30d": false,
		"|pause_abandoned|callee||3d": true,
		"|pause|callee||3d":           false,
	} {
		if got := carriedInto(suffix, keys); got != want {
			t.Errorf("carriedInto(%q) = %v, want %v", suffix, got, want)
		}
	}
}

// In a fleet sharing its counters (Redis, PostgreSQL) every host carries the
// earlier counter from its own restart: a call placed on one host under the
// 30-day profile caps the callee on another after both moved to 60 days.
func TestCounterHistoryFleet(t *testing.T) {
	rurl, purl := os.Getenv("DIALGATE_TEST_REDIS"), os.Getenv("DIALGATE_TEST_POSTGRES")
	prefix := fmt.Sprintf("histtest%d", time.Now().UnixNano())
	for _, tc := range []struct {
		name, url string
		cfg       Config
	}{
		{"redis", rurl, Config{Redis: rurl, RedisPrefix: prefix, RedisRequireAOF: new(false)}},
		{"postgres", purl, Config{Postgres: purl, PostgresSchema: prefix}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.url == "" {
				t.Skip("DIALGATE_TEST_REDIS or DIALGATE_TEST_POSTGRES is not set")
			}
			t.Cleanup(func() {
				if tc.name == "redis" {
					testdb.DropRedisPrefix(rurl, prefix)
					return
				}
				testdb.DropPostgresSchema(purl, prefix)
			})
			dir := t.TempDir()
			key := filepath.Join(dir, "fleet-hmac.key")
			if err := os.WriteFile(key, []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			d := dialgate.Dial{To: dialgate.MustParseNumber("+14055550124"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-2"}
			var log bytes.Buffer
			start := func(profile string) []*Backend {
				var bes []*Backend
				for i := range 2 {
					c := tc.cfg
					c.Data, c.HMACKeyFile = filepath.Join(dir, fmt.Sprintf("host%d", i)), key
					be, err := openWithProfileOn(t, c, profile, &log)
					if err != nil {
						t.Fatal(err)
					}
					bes = append(bes, be)
				}
				return bes
			}
			ctx := context.Background()
			restart := func(bes []*Backend, profile string) []*Backend {
				for _, be := range bes {
					be.Close(ctx)
				}
				return start(profile)
			}
			bes := start(windowProfile("30d"))
			if dec, err := bes[0].Gate.Check(ctx, d); err != nil || !dec.Allowed {
				t.Fatalf("first dial: %v %+v", err, dec.Reasons)
			}
			bes = restart(bes, windowProfile("60d"))
			dec, err := bes[1].Gate.Check(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if dec.Allowed || !dec.Has(dialgate.CodeFrequencyCapped) {
				t.Fatalf("other host after the window change: allowed %v %+v, want frequency.capped", dec.Allowed, dec.Reasons)
			}

			// The same for a pause window (uk's 72h after an abandoned call,
			// to 96h).
			bes = restart(bes, pauseProfile("72h"))
			d.To = dialgate.MustParseNumber("+14055550125")
			placed, err := bes[0].Gate.Check(ctx, d)
			if err != nil || !placed.Allowed {
				t.Fatalf("pause: first dial: %v %+v", err, placed.Reasons)
			}
			if err := bes[0].Gate.ReportOutcome(ctx, dialgate.Outcome{DecisionID: placed.ID, Dial: placed.Dial, Answered: true, Abandoned: true}); err != nil {
				t.Fatal(err)
			}
			bes = restart(bes, pauseProfile("96h"))
			defer func() {
				for _, be := range bes {
					be.Close(ctx)
				}
			}()
			if dec, err = bes[1].Gate.Check(ctx, d); err != nil {
				t.Fatal(err)
			}
			if dec.Allowed || !dec.Has(dialgate.CodeFrequencyCapped) {
				t.Fatalf("other host after the pause window change: allowed %v %+v, want frequency.capped", dec.Allowed, dec.Reasons)
			}
		})
	}
}

// A Redis fleet's counter keys expire their window (plus a day) after the
// last call recorded under them. After a start that lengthened a window
// (30 days to 60) the earlier key of a callee capped before the change is
// not written again (its dials are denied), so it expired 31 days after
// that call although the 60-day cap the carried key is checked with still
// counts it. The start now makes the earlier keys last until the carrying
// ends.
func TestCounterHistoryRedisKeyExpiry(t *testing.T) {
	rurl := os.Getenv("DIALGATE_TEST_REDIS")
	if rurl == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set")
	}
	prefix := fmt.Sprintf("histttl%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropRedisPrefix(rurl, prefix) })
	dir := t.TempDir()
	key := filepath.Join(dir, "fleet-hmac.key")
	if err := os.WriteFile(key, []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Redis: rurl, RedisPrefix: prefix, RedisRequireAOF: new(false), Data: filepath.Join(dir, "host"), HMACKeyFile: key}
	ctx := context.Background()
	var log bytes.Buffer
	be, err := openWithProfileOn(t, cfg, windowProfile("30d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+14055550126"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-3"}
	if dec, err := be.Gate.Check(ctx, d); err != nil || !dec.Allowed {
		t.Fatalf("first dial: %v %+v", err, dec.Reasons)
	}
	be.Close(ctx)

	o, err := redis.ParseURL(rurl)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(o)
	defer rc.Close()
	keys, err := rc.Keys(ctx, "{"+prefix+"}:c:frequency|*|cap|callee||30d").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("the 30-day counter keys: %q %v, want one", keys, err)
	}
	if ttl := rc.PTTL(ctx, keys[0]).Val(); ttl > 32*24*time.Hour {
		t.Fatalf("TTL before the change %s, want about 31 days", ttl)
	}

	be, err = openWithProfileOn(t, cfg, windowProfile("60d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(ctx)
	if ttl := rc.PTTL(ctx, keys[0]).Val(); ttl < 59*24*time.Hour {
		t.Fatalf("TTL of the carried 30-day key after the change %s, want at least the carrying's 60 days", ttl)
	}
}

// A data directory written by a build from before counter keys named their
// window (no counter history: builds before the counter history) holds its
// calls under pre-window keys. The first start of this build carries them:
// a callee called just before the upgrade stays capped. A new data directory
// carries nothing (no extra keys on every dial for a month).
func TestCounterHistoryPreWindowStore(t *testing.T) {
	data := t.TempDir()
	keys, err := LoadKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+14055550123"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
	m := hmac.New(sha256.New, keys.HMAC)
	m.Write([]byte("callee\x00acme\x00" + strconv.FormatUint(d.To.Uint64(), 10)))
	key := "frequency|" + hex.EncodeToString(m.Sum(nil)[:16]) + "|cap|callee|"
	store, err := boltstore.Open(filepath.Join(data, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := store.Reserve(context.Background(), "frequency:old-1", time.Now().Add(-time.Hour),
		[]storage.Limit{{Key: key, Window: 30 * 24 * time.Hour, Max: 1}}); err != nil || !ok {
		t.Fatalf("Reserve = %v, %v", ok, err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	var log bytes.Buffer
	be, err := openWithProfile(t, data, windowProfile("30d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := be.Gate.Check(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Allowed || !dec.Has(dialgate.CodeFrequencyCapped) {
		t.Errorf("after the upgrade: allowed %v %+v, want frequency.capped (the call counted by the earlier build)", dec.Allowed, dec.Reasons)
	}
	if s := log.String(); !strings.Contains(s, "earlier_key=|cap|callee|") || !strings.Contains(s, "before counter keys named their window") {
		t.Errorf("the carrying is not logged:\n%s", s)
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The next start keeps carrying.
	h, found, err := LoadCounterHistory(data, mustProfile(t, windowProfile("30d")), time.Now(), false)
	if err != nil || !found || len(h.Transitions) != 1 || h.Transitions[0].From.Suffix != "|cap|callee|" {
		t.Errorf("history at the next start: %+v, %v, %v; want the pre-window key carried", h, found, err)
	}

	fresh := t.TempDir()
	be, err = openWithProfile(t, fresh, windowProfile("30d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h, _, err := LoadCounterHistory(fresh, mustProfile(t, windowProfile("30d")), time.Now(), false); err != nil || len(h.Transitions) != 0 {
		t.Errorf("a new data directory carries %+v, %v; want nothing", h.Transitions, err)
	}
}

// mustProfile loads the profile text.
func mustProfile(t *testing.T, text string) *policy.Profile {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
