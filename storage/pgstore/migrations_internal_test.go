package pgstore

import (
	"strings"
	"testing"
	"testing/fstest"
)

// The consent-tenant version the writes record is the embedded lazy
// migration of that version and name, and no other migration is lazy.
func TestEmbeddedMigrations(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < schemaTenantConsents {
		t.Fatalf("%d migrations, want at least %d", len(ms), schemaTenantConsents)
	}
	m := ms[schemaTenantConsents-1]
	if m.version != schemaTenantConsents || m.name != tenantConsentsMigration || !m.lazy {
		t.Fatalf("migration %d: %s lazy=%v, want %s lazy", schemaTenantConsents, m.name, m.lazy, tenantConsentsMigration)
	}
	if len(ms) < schemaSweepRuns {
		t.Fatalf("%d migrations, want at least %d", len(ms), schemaSweepRuns)
	}
	m = ms[schemaSweepRuns-1]
	if m.version != schemaSweepRuns || m.name != sweepRunsMigration || !m.lazy || !m.firstUse {
		t.Fatalf("migration %d: %s lazy=%v first use=%v, want %s first use", schemaSweepRuns, m.name, m.lazy, m.firstUse, sweepRunsMigration)
	}
	for _, v := range []int{schemaCounterExpiry, schemaRunExpiry} {
		if len(ms) < v || !ms[v-1].firstUse {
			t.Fatalf("migration %d is not a first-use migration", v)
		}
	}
	for _, m := range ms {
		if m.lazy && m.version != schemaTenantConsents && m.version != schemaSweepRuns && m.version != schemaCounterExpiry && m.version != schemaRunExpiry {
			t.Errorf("migration %s is lazy, but no write records it", m.name)
		}
	}
	if v := SchemaVersion(); v != ms[len(ms)-1].version {
		t.Errorf("SchemaVersion() = %d, want the newest migration's %d", v, ms[len(ms)-1].version)
	}
}

func TestParseMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		lazy []bool
		err  string
	}{
		{"eager and lazy", fstest.MapFS{
			"migrations/0001_init.sql": file("CREATE TABLE t (a int);\n"),
			"migrations/0002_mark.sql": file(lazyMark + "\n-- nothing to apply\n\n  -- indented comment\n"),
			"migrations/0003_more.sql": file("-- +dialgate lazy is not the first line\nCREATE TABLE u (a int);\n"),
		}, []bool{false, true, false}, ""},
		{"first use holds statements", fstest.MapFS{
			"migrations/0001_init.sql": file("CREATE TABLE t (a int);\n"),
			"migrations/0002_runs.sql": file(firstUseMark + "\n-- a comment\nCREATE TABLE IF NOT EXISTS u (a int);\n"),
		}, []bool{false, true}, ""},
		{"first use first", fstest.MapFS{
			"migrations/0001_runs.sql": file(firstUseMark + "\nCREATE TABLE IF NOT EXISTS u (a int);\n"),
		}, nil, "0001_runs.sql: the first migration cannot be lazy"},
		{"lazy with a statement", fstest.MapFS{
			"migrations/0001_init.sql": file("CREATE TABLE t (a int);\n"),
			"migrations/0002_mark.sql": file(lazyMark + "\n-- comment\nDROP TABLE t;\n"),
		}, nil, "0002_mark.sql: line 3: a lazy migration holds comments only"},
		{"lazy first", fstest.MapFS{
			"migrations/0001_mark.sql": file(lazyMark + "\n"),
		}, nil, "0001_mark.sql: the first migration cannot be lazy"},
		{"gap", fstest.MapFS{
			"migrations/0001_init.sql": file("CREATE TABLE t (a int);\n"),
			"migrations/0003_more.sql": file("CREATE TABLE u (a int);\n"),
		}, nil, "version 3, want 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := parseMigrations(tc.fsys)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseMigrations: %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != len(tc.lazy) {
				t.Fatalf("%d migrations, want %d", len(ms), len(tc.lazy))
			}
			for i, m := range ms {
				if m.lazy != tc.lazy[i] {
					t.Errorf("%s: lazy = %v, want %v", m.name, m.lazy, tc.lazy[i])
				}
			}
		})
	}
}
