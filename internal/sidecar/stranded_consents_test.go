package sidecar

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/internal/testdb"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// A fleet on Redis alone keeps its consents in Redis; with postgres in the
// config they are read from PostgreSQL. A sidecar started with both, on a
// Redis that holds consents (a fleet that added postgres, or sidecars whose
// configs differ — those without postgres write their grants and
// revocations to Redis), reads none of them: the revocations there are not
// in force for it, and a revocation sent to it of a consent kept in Redis
// is "not found". The start said nothing; it now says so at Warn.
func TestStrandedRedisConsents(t *testing.T) {
	rurl, purl := os.Getenv("DIALGATE_TEST_REDIS"), os.Getenv("DIALGATE_TEST_POSTGRES")
	if rurl == "" || purl == "" {
		t.Skip("DIALGATE_TEST_REDIS or DIALGATE_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	name := fmt.Sprintf("strandcons%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropRedisPrefix(rurl, name); testdb.DropPostgresSchema(purl, name) })
	key := filepath.Join(t.TempDir(), "fleet-hmac.key")
	if err := os.WriteFile(key, []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func(withPG bool) (string, error) {
		t.Helper()
		var log bytes.Buffer
		cfg := Config{Data: filepath.Join(t.TempDir(), "data"), Redis: rurl, RedisPrefix: name, RedisRequireAOF: new(false), HMACKeyFile: key}
		if withPG {
			cfg.Postgres, cfg.PostgresSchema = purl, name
		}
		be, err := openWithProfileOn(t, cfg, windowProfile("30d"), &log)
		if err != nil {
			return "", err
		}
		return log.String(), be.Close(ctx)
	}
	// A new fleet: nothing stranded.
	if log, err := open(true); err != nil || strings.Contains(log, "consents") && strings.Contains(log, "not in force") {
		t.Fatalf("a fresh fleet: %v\n%s", err, log)
	}
	rs, err := redisstore.Open(ctx, rurl, redisstore.Options{Prefix: name})
	if err != nil {
		t.Fatal(err)
	}
	r := consent.Record{ID: "c-1", Number: dialgate.MustParseNumber("+8613900139000"), Scope: "industry:finance", Method: consent.MethodWritten,
		EvidenceURI: "https://evidence.example/c-1", GrantedAt: time.Now().Add(-time.Hour)}
	if err := rs.AddConsent(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.RevokeConsent(ctx, "c-1", time.Now(), "call"); err != nil {
		t.Fatal(err)
	}
	rs.Close()
	log, err := open(true)
	if err != nil {
		t.Fatal(err)
	}
	line := ""
	for l := range strings.Lines(log) {
		if strings.Contains(l, "redis_consent_revision") {
			line = l
		}
	}
	if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "redis_consent_revision=2") || !strings.Contains(line, "not in force") {
		t.Errorf("no Warn naming the consents kept in Redis:\n%s", log)
	}
	// Without postgres the consents are Redis's own: nothing stranded.
	if log, err := open(false); err != nil || strings.Contains(log, "redis_consent_revision") {
		t.Errorf("a fleet on Redis alone: %v\n%s", err, log)
	}
}
