package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// A URL Open cannot parse may hold a password: the error names the
// problem (storage.ErrInvalid), never the URL, so that dialgate serve's
// log and the CLI's stderr never show it.
func TestOpenURLErrorHidesPassword(t *testing.T) {
	for _, url := range []string{
		"redis://:s3cret@cache.example:badport/1",
		"redis://u:s3cret@cache.example:6379/notadb",
		"redis://u:s3cret@cache example:6379/1",
	} {
		_, err := redisstore.Open(context.Background(), url, redisstore.Options{})
		if !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), "url") {
			t.Errorf("Open(%q): %v; want storage.ErrInvalid naming the url", url, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q): the error shows the password: %v", url, err)
		}
	}
}
