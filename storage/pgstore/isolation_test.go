package pgstore_test

import (
	"strings"
	"testing"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/storetest"
)

// The store passes the counter conformance suite on a server whose default
// isolation is REPEATABLE READ (a database, role or pooler setting): Reserve
// needs READ COMMITTED — the tally after the key-row lock must see what the
// lock holder committed, not the snapshot taken before the lock wait, or two
// dials both take a cap's last slot (fail open).
func TestCountersUnderRepeatableReadDefault(t *testing.T) {
	url := pgURL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	rr := url + sep + "default_transaction_isolation=repeatable%20read"
	storetest.TestCounters(t, func(t *testing.T) storage.Counters {
		return open(t, rr, newSchema(t, url))
	})
}
