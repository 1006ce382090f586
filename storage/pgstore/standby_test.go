package pgstore_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/pgstore"
)

// readOnlyURL returns u with its sessions made read-only, as every session
// of a hot standby is (pgx sends a URL parameter it does not know as a
// run-time parameter of the session).
func readOnlyURL(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	q.Set("default_transaction_read_only", "on")
	p.RawQuery = q.Encode()
	return p.String()
}

// A session that cannot write is not one of the primary: a hot standby's
// sessions are read-only, and what it answers may lag behind the primary —
// a consent revocation or an opt-out another sidecar had acknowledged, which
// a check reading there would not see (an allow on a withdrawn consent). A
// URL naming several hosts (libpq's failover form, postgres://a,b/db) gets
// such a session whenever the hosts before the standby do not answer, or
// after a failover swapped their roles; pgx, like libpq, takes any session
// unless target_session_attrs says otherwise. The store must take none: Open
// fails when it gets no other, with storage.ErrUnavailable saying why.
func TestOpenRefusesReadOnlySessions(t *testing.T) {
	u := pgURL(t)
	sc := newSchema(t, u)
	open(t, u, sc) // the schema exists: Open needs to write nothing
	for _, attrs := range []string{"", "any", "read-write", "primary"} {
		ro := readOnlyURL(t, u)
		if attrs != "" {
			ro += "&target_session_attrs=" + attrs
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := pgstore.Open(ctx, ro, pgstore.Options{Schema: sc})
		cancel()
		if err == nil {
			s.Close()
			t.Fatalf("target_session_attrs %q: Open on read-only sessions (a standby's) succeeded; its reads would decide dials", attrs)
		}
		if !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("target_session_attrs %q: Open: %v; want storage.ErrUnavailable saying the session is read-only", attrs, err)
		}
	}
}
