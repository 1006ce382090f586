package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

func TestCheckCallerID(t *testing.T) {
	dir := t.TempDir()
	n := 0
	err := storetest.CheckCallerID(context.Background(), func() (callerid.Store, error) {
		n++
		return boltstore.Open(filepath.Join(dir, fmt.Sprintf("ledger-%d.db", n)), boltstore.Options{})
	}, storetest.WithReopen(reopen))
	if err != nil {
		t.Fatal(err)
	}
}
