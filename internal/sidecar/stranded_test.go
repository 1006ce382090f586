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
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/testdb"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// A data directory whose embedded store holds opt-outs (written by a CLI
// command without --config, by a build whose CLI had no --config, or by
// the host before it joined the fleet) started with a fleet config that
// keeps the do-not-call lists in Redis: those opt-outs are not in force.
// The start says so at Warn, with their number and where the config keeps
// the lists now (it said nothing).
func TestStrandedEmbeddedRecords(t *testing.T) {
	rurl := os.Getenv("DIALGATE_TEST_REDIS")
	if rurl == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set")
	}
	prefix := fmt.Sprintf("strandtest%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropRedisPrefix(rurl, prefix) })
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if _, err := LoadKeys(data); err != nil {
		t.Fatal(err)
	}
	store, err := boltstore.Open(filepath.Join(data, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour)
	if err := store.AddDNC(context.Background(), dnc.Entry{Number: dialgate.MustParseNumber("+14055550125"), Scope: dnc.Scope{Kind: dnc.ScopeGlobal},
		List: "opt_out", Source: "test", AddedAt: at, HoldUntil: at.Add(365 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "fleet-hmac.key")
	if err := os.WriteFile(key, []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	be, err := openWithProfileOn(t, Config{Data: data, Redis: rurl, RedisPrefix: prefix, RedisRequireAOF: new(false), HMACKeyFile: key},
		windowProfile("30d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(context.Background())
	line := ""
	for l := range strings.Lines(log.String()) {
		if strings.Contains(l, "not in force") {
			line = l
		}
	}
	if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "dnc_entries=1") || !strings.Contains(line, "redis") {
		t.Errorf("no Warn naming the embedded store's opt-out:\n%s", log.String())
	}
}
