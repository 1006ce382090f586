package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/pgstore"
)

// RequireSchema refuses a database without dialgate's schema (a wrong
// database in the URL, a failover to an empty server) instead of creating
// it, and creates nothing; a schema created deliberately (an Open without
// it) is accepted.
func TestRequireSchema(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	ctx := context.Background()
	opts := pgstore.Options{Schema: sc, RequireSchema: true, Heartbeat: 100 * time.Millisecond}
	s, err := pgstore.Open(ctx, url, opts)
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, pgstore.ErrNoSchema) || !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), sc) {
		t.Fatalf("RequireSchema on a database without the schema: %v; want ErrNoSchema (storage.ErrUnavailable) naming %s", err, sc)
	}
	open(t, url, sc).Close() // deliberate creation
	s, err = pgstore.Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("RequireSchema on the created schema: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// An empty schema of that name (created by hand) is no store either.
	execURL(t, url, "DROP SCHEMA "+pgx.Identifier{sc}.Sanitize()+" CASCADE; CREATE SCHEMA "+pgx.Identifier{sc}.Sanitize())
	if s, err := pgstore.Open(ctx, url, opts); !errors.Is(err, pgstore.ErrNoSchema) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("RequireSchema on an empty schema: %v; want ErrNoSchema", err)
	}
}

// A store created before the store identity existed (no store_identity
// table) is given one by the next Open, with or without RequireSchema, and
// its running stores keep working.
func TestIdentityAddedToOldSchema(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	ctx := context.Background()
	a := open(t, url, sc)
	if err := a.AddDNC(ctx, dnc.Entry{Number: dialgate.MustParseNumber("+8613900139104"), Scope: dnc.MustParseScope("global"),
		List: "opt_out", Source: "call", AddedAt: identityT0}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	execURL(t, url, "DROP TABLE "+pgx.Identifier{sc, "store_identity"}.Sanitize())
	s, err := pgstore.Open(ctx, url, pgstore.Options{Schema: sc, RequireSchema: true, Heartbeat: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("RequireSchema on a schema without store_identity: %v", err)
	}
	defer s.Close()
	time.Sleep(300 * time.Millisecond)
	if es, err := s.DNCEntries(ctx, dialgate.MustParseNumber("+8613900139104")); err != nil || len(es) != 1 {
		t.Fatalf("DNCEntries: %v, %v; want the entry", es, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// A schema whose store_identity table lost its row (its tables emptied, or
// restored from a dump without their data) is no store RequireSchema
// accepts either; an Open without it gives the store a new identity.
func TestRequireSchemaRefusesEmptiedIdentity(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	ctx := context.Background()
	open(t, url, sc).Close()
	execURL(t, url, "DELETE FROM "+pgx.Identifier{sc, "store_identity"}.Sanitize())
	opts := pgstore.Options{Schema: sc, RequireSchema: true, Heartbeat: 100 * time.Millisecond}
	if s, err := pgstore.Open(ctx, url, opts); !errors.Is(err, pgstore.ErrNoSchema) || !strings.Contains(err.Error(), "store_identity") {
		if err == nil {
			s.Close()
		}
		t.Fatalf("RequireSchema on a schema whose store_identity is empty: %v; want ErrNoSchema naming store_identity", err)
	}
	open(t, url, sc).Close()
	s, err := pgstore.Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("RequireSchema once the store has its identity again: %v", err)
	}
	s.Close()
}

// A schema of an earlier build (no store_identity) opened by a role that may
// not create tables in it: Open fails naming the table and the privilege
// needed, rather than starting without the identity (or with a driver
// error that says nothing of it).
func TestIdentityNeedsCreateOnce(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	ctx := context.Background()
	open(t, url, sc).Close()
	role := "dgrole_" + sc[len("dgtest_"):]
	qs := pgx.Identifier{sc}.Sanitize()
	execURL(t, url, "DROP TABLE "+pgx.Identifier{sc, "store_identity"}.Sanitize()+
		"; CREATE ROLE "+role+" LOGIN; GRANT USAGE ON SCHEMA "+qs+" TO "+role+
		"; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "+qs+" TO "+role)
	t.Cleanup(func() {
		execURL(t, url, "DROP OWNED BY "+role+"; DROP ROLE IF EXISTS "+role)
	})
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	u := strings.Replace(url, "://"+cfg.User+"@", "://"+role+"@", 1)
	if u == url {
		t.Skipf("cannot put the role in the URL %q", url)
	}
	s, err := pgstore.Open(ctx, u, pgstore.Options{Schema: sc, Heartbeat: 100 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open by a role without CREATE on a schema without store_identity succeeded")
	}
	if !strings.Contains(err.Error(), "store_identity") || !strings.Contains(err.Error(), "CREATE on the schema") {
		t.Fatalf("Open by a role without CREATE: %v; want an error naming store_identity and the privilege", err)
	}
}
