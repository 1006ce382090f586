package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// untarFixture extracts the gzipped tar file into a new directory and
// returns it (modes kept: the keys must stay 0600).
func untarFixture(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(path, dir+string(filepath.Separator)) {
			t.Fatalf("fixture entry %q leaves the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, os.FileMode(h.Mode).Perm()); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, os.FileMode(h.Mode).Perm()); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("fixture entry %q: type %c", h.Name, h.Typeflag)
		}
	}
}

// The data directory of `dialgate serve` built from 393a66d (2026-12-04:
// schema-1 store, counter keys without their window, no counter history,
// audit log without a log id; testdata/upgrade/make-393a66d.sh) under
// today's build: every opt-out, the revocation, the ledger entry, the holds
// and the complaint are in force, the audit log verifies across the
// boundary, and the call counted before the upgrade still caps its callee
// (it was allowed again: the pre-window keys were never read).
func TestUpgradeFrom393a66d(t *testing.T) {
	data := filepath.Join(untarFixture(t, filepath.Join("testdata", "upgrade", "upgrade-393a66d.tar.gz")), "data")
	ctx := context.Background()
	from := dialgate.MustParseNumber("+861058001234")

	be, err := sidecar.Open(ctx, sidecar.Config{Data: data, Profile: "cn"}, nil)
	if err != nil {
		t.Fatalf("start on the earlier build's data: %v", err)
	}
	now := time.Now()
	callback := func(to string) dialgate.Dial {
		return dialgate.Dial{To: dialgate.MustParseNumber(to), From: from, Tenant: "acme", Purpose: dialgate.PurposeCallback,
			TriggerAt: now.Add(-time.Minute), LeadID: "crm-1"}
	}
	revoked := dialgate.Dial{To: dialgate.MustParseNumber("+8613800138002"), From: from, Tenant: "acme",
		Purpose: dialgate.PurposeMarketing, Industry: "finance", ConsentID: "c-2"}
	for _, c := range []struct {
		d    dialgate.Dial
		want dialgate.Code
	}{
		{callback("+8613800138001"), dialgate.CodeDNCListed}, // dnc import
		{callback("+8613800138004"), dialgate.CodeDNCListed}, // complaint
		{revoked, dialgate.CodeConsentRevoked},               // consent revoke
		{callback("+8613800138007"), ""},                     // the ledger's caller ID: allowed
	} {
		dec, err := be.Gate.Check(ctx, c.d)
		switch {
		case err != nil:
			t.Errorf("%s: %v", c.d.To, err)
		case c.want == "" && !dec.Allowed:
			t.Errorf("%s: denied %+v, want allowed", c.d.To, dec.Reasons)
		case c.want != "" && (dec.Allowed || !dec.Has(c.want)):
			t.Errorf("%s: allowed %v %+v, want %s", c.d.To, dec.Allowed, dec.Reasons, c.want)
		}
	}
	if err := be.Close(ctx); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"dnc", "lookup", "+8613800138001"}, "LISTED"},
		{[]string{"consent", "show", "+8613800138002"}, "2026-12-02T10:00:00+08:00"},
		{[]string{"ledger", "show", "--tenant", "acme"}, "+861058001234"},
		{[]string{"recordings", "show", "rec-1"}, "holds [lit-1, complaint:cmp-1]"},
		{[]string{"complaint", "list"}, "forwarded"},
		{[]string{"audit", "verify", filepath.Join(data, "audit"), "--key", filepath.Join(data, "keys", "audit-signer.pub")}, "OK"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, c.args...)...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("dialgate %s: exit %d, want 0 and %q in\n%s%s", strings.Join(c.args, " "), code, c.want, out, errs)
		}
	}

	// The call the earlier build counted at 10:00 caps the callee at 10:01
	// (1 per 5 minutes), decided at that instant on the migrated store.
	at := time.Date(2026, 12, 5, 10, 1, 0, 0, time.FixedZone("CST", 8*3600))
	p, err := policy.Load("cn")
	if err != nil {
		t.Fatal(err)
	}
	h, found, err := sidecar.LoadCounterHistory(data, p, at, true)
	if err != nil || !found {
		t.Fatalf("counter history: found %v, %v", found, err)
	}
	keys, err := sidecar.LoadKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	store, err := boltstore.Open(filepath.Join(data, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	deps, err := policy.StoreDeps(store, keys.HMAC)
	if err != nil {
		t.Fatal(err)
	}
	deps.CounterHistory = &h
	g, err := policy.Build(p, deps, dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })), dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	d := callback("+8613800138003")
	d.TriggerAt = at.Add(-time.Minute)
	dec, err := g.Check(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Allowed || !dec.Has(dialgate.CodeFrequencyCapped) {
		t.Errorf("the callee called at 10:00 before the upgrade, at 10:01: allowed %v %+v, want frequency.capped", dec.Allowed, dec.Reasons)
	}
}
