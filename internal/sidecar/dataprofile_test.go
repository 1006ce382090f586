package sidecar

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/testdb"
	"github.com/dialgate/dialgate/policy"
)

// readServeProfile reads DataProfileFile of data as JSON, independently of
// ReadDataProfile.
func readServeProfile(t *testing.T, data string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "serve-profile.json"))
	if err != nil {
		t.Fatalf("the profile serve runs is not recorded in the data directory: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("serve-profile.json: %v\n%s", err, b)
	}
	return m
}

// openProfile opens a backend on data with the profile arg (built-in name or
// file) and closes it.
func openProfile(t *testing.T, data, arg string, log *bytes.Buffer) {
	t.Helper()
	be, err := Open(context.Background(), Config{Data: data, Profile: arg}, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// dialgate serve records, in its data directory, the profile it runs (name,
// policy version, and how it was named), so that the CLI commands on the
// same data use it too; a start with another profile replaces the record
// (logged at Warn).
func TestOpenRecordsServeProfile(t *testing.T) {
	data := t.TempDir()
	var log bytes.Buffer
	openProfile(t, data, "us", &log)
	us, _ := policy.Builtin("us")
	m := readServeProfile(t, data)
	if m["profile"] != "us" || m["name"] != "us" || m["policy_version"] != us.Version() {
		t.Fatalf("recorded %v, want profile us, name us, policy_version %s", m, us.Version())
	}
	got, found, err := ReadDataProfile(data)
	if err != nil || !found || got.Name != "us" || got.PolicyVersion != us.Version() || got.Profile != "us" {
		t.Fatalf("ReadDataProfile = %+v, %v, %v", got, found, err)
	}

	// Another profile, given as a relative file path: recorded by its
	// absolute path, so a command run from another directory finds it.
	dir := t.TempDir()
	src, _ := policy.BuiltinSource("cn")
	if err := os.WriteFile(filepath.Join(dir, "mine.yaml"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	log.Reset()
	openProfile(t, data, "mine.yaml", &log)
	m = readServeProfile(t, data)
	cn, _ := policy.Builtin("cn")
	if m["profile"] != filepath.Join(dir, "mine.yaml") || m["name"] != "cn" || m["policy_version"] != cn.Version() {
		t.Fatalf("recorded %v, want the file's absolute path, name cn, %s", m, cn.Version())
	}
	if s := log.String(); !strings.Contains(s, "level=WARN") || !strings.Contains(s, "us") {
		t.Errorf("the change of profile is not logged at Warn:\n%s", s)
	}
	if fi, err := os.Stat(filepath.Join(data, DataProfileFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", fi, err)
	}
}

// A damaged record does not stop serve: it is logged and written again.
func TestOpenRewritesDamagedServeProfile(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, DataProfileFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadDataProfile(data); err == nil || !strings.Contains(err.Error(), DataProfileFile) {
		t.Fatalf("ReadDataProfile of a damaged file = %v, want an error naming it", err)
	}
	var log bytes.Buffer
	openProfile(t, data, "uk", &log)
	if m := readServeProfile(t, data); m["name"] != "uk" {
		t.Fatalf("recorded %v", m)
	}
	if !strings.Contains(log.String(), "level=WARN") {
		t.Errorf("the damaged record is not logged:\n%s", log.String())
	}
}

// A sidecar with a fleet back-end records it in DataProfileFile (the CLI
// then refuses to use the local store for the fleet's records without
// --config); started again on its embedded store alone, it records none.
func TestDataProfileRecordsSharedBackends(t *testing.T) {
	rurl := os.Getenv("DIALGATE_TEST_REDIS")
	if rurl == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set")
	}
	prefix := fmt.Sprintf("dprof%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropRedisPrefix(rurl, prefix) })
	dir := t.TempDir()
	key := filepath.Join(dir, "fleet-hmac.key")
	if err := os.WriteFile(key, []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "host")
	for _, tt := range []struct {
		cfg  Config
		want []string
	}{
		{Config{Redis: rurl, RedisPrefix: prefix, RedisRequireAOF: new(false), Data: data, HMACKeyFile: key, Profile: "cn", MetricsListen: "off"}, []string{"redis"}},
		{Config{Data: data, HMACKeyFile: key, Profile: "cn", MetricsListen: "off"}, nil},
	} {
		be, err := Open(context.Background(), tt.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		be.Close(context.Background())
		dp, found, err := ReadDataProfile(data)
		if err != nil || !found || !slices.Equal(dp.Shared, tt.want) {
			t.Fatalf("recorded %+v (found %t, %v), want shared %v", dp, found, err, tt.want)
		}
	}
}

// serve records its allow lifetime beside its profile: check on the data
// directory counts the frequency caps over their window plus it, as the
// sidecar does. A start with another lifetime records it.
func TestDataProfileRecordsAllowLifetime(t *testing.T) {
	data := t.TempDir()
	open := func(l time.Duration) DataProfile {
		t.Helper()
		be, err := Open(context.Background(), Config{Data: data, Profile: "cn", AllowLifetime: Duration(l), MetricsListen: "off"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		be.Close(context.Background())
		dp, found, err := ReadDataProfile(data)
		if err != nil || !found {
			t.Fatalf("ReadDataProfile = %+v, %t, %v", dp, found, err)
		}
		return dp
	}
	first := open(10 * time.Minute)
	if time.Duration(first.AllowLifetime) != 10*time.Minute {
		t.Fatalf("recorded allow lifetime %v, want 10m", time.Duration(first.AllowLifetime))
	}
	if m := readServeProfile(t, data); m["allow_lifetime"] != "10m0s" {
		t.Errorf("serve-profile.json allow_lifetime = %v, want \"10m0s\"", m["allow_lifetime"])
	}
	again := open(0)
	if again.AllowLifetime != 0 || !again.Since.Equal(first.Since) {
		t.Errorf("restarted with the default lifetime: recorded %+v, want no allow_lifetime and since %v", again, first.Since)
	}
}
