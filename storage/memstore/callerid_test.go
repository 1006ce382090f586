package memstore_test

import (
	"context"
	"testing"

	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

func TestCheckCallerID(t *testing.T) {
	err := storetest.CheckCallerID(context.Background(), func() (callerid.Store, error) {
		return memstore.New(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
