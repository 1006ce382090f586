package boltstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

var tRef = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

// validFile returns the path of a closed store holding one reservation.
func validFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), boltstore.DefaultFileName)
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.Reserve(context.Background(), "a", tRef, []storage.Limit{{Key: "k", Window: time.Hour, Max: 1}}); err != nil || !ok {
		t.Fatalf("Reserve = %v, %v", ok, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// editBolt changes a file with bbolt directly, as another program would.
func editBolt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRefusesAndLeavesUntouched opens files Open must refuse and checks the
// error and that not one byte (nor the modification time) changed.
func TestRefusesAndLeavesUntouched(t *testing.T) {
	cases := []struct {
		name    string
		make    func(t *testing.T) string
		want    error
		message string
	}{
		{"garbage", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "garbage.db")
			if err := os.WriteFile(path, bytes.Repeat([]byte("not a database\n"), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}, storage.ErrCorrupt, "invalid database"},
		{"damaged meta pages", func(t *testing.T) string {
			path := validFile(t)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := 16; i < 80; i++ { // the checksummed meta fields of both meta pages
				b[i] ^= 0xff
				b[4096+i] ^= 0xff
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}, storage.ErrCorrupt, ""},
		{"newer schema", func(t *testing.T) string {
			path := validFile(t)
			editBolt(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("version"), []byte("99"))
			})
			return path
		}, storage.ErrSchemaTooNew, "version 99"},
		{"other schema", func(t *testing.T) string {
			path := validFile(t)
			editBolt(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("someone.else"))
			})
			return path
		}, storage.ErrCorrupt, "someone.else"},
		{"bad version", func(t *testing.T) string {
			path := validFile(t)
			editBolt(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("version"), []byte("one"))
			})
			return path
		}, storage.ErrCorrupt, "version"},
		{"foreign bolt file", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "foreign.db")
			editBolt(t, path, func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket([]byte("widgets"))
				if err != nil {
					return err
				}
				return b.Put([]byte("w1"), []byte("blue"))
			})
			return path
		}, storage.ErrCorrupt, "widgets"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.make(t)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Hour).Truncate(time.Second)
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
			for _, verify := range []bool{false, true} {
				s, err := boltstore.Open(path, boltstore.Options{Verify: verify, LockTimeout: 100 * time.Millisecond})
				if err == nil {
					s.Close()
					t.Fatalf("Open(Verify=%v) succeeded, want an error wrapping %v", verify, tc.want)
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("Open(Verify=%v) = %v, want an error wrapping %v", verify, err, tc.want)
				}
				if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.message) {
					t.Errorf("error %q should name the file and say %q", err, tc.message)
				}
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("Open modified a file it refused")
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.ModTime().Equal(old) {
				t.Errorf("Open touched a file it refused: mtime %s, was %s", fi.ModTime(), old)
			}
		})
	}
}

func TestVerifyAcceptsGoodFile(t *testing.T) {
	path := validFile(t)
	s, err := boltstore.Open(path, boltstore.Options{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.Usage(context.Background(), tRef, []storage.Limit{{Key: "k", Window: time.Hour, Max: 1}})
	if err != nil || u[0].Count != 1 {
		t.Fatalf("Usage after reopen = %+v, %v; want count 1", u, err)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	path := validFile(t)
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	s2, err := boltstore.Open(path, boltstore.Options{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		s2.Close()
		t.Fatal("a second Open of a held file succeeded")
	}
	if !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("second Open = %v, want an error wrapping storage.ErrLocked", err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("second Open waited %v for a 100ms lock timeout", waited)
	}
	// Once the first holder closes, the file opens again.
	s.Close()
	s3, err := boltstore.Open(path, boltstore.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	s3.Close()
}

func TestOpenBadArguments(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		path string
		opts boltstore.Options
	}{
		"empty path":            {"", boltstore.Options{}},
		"directory":             {dir, boltstore.Options{}},
		"negative lock timeout": {filepath.Join(dir, "a.db"), boltstore.Options{LockTimeout: -1}},
		"negative batch delay":  {filepath.Join(dir, "b.db"), boltstore.Options{MaxBatchDelay: -1}},
		"negative batch size":   {filepath.Join(dir, "c.db"), boltstore.Options{MaxBatchSize: -1}},
	} {
		s, err := boltstore.Open(tc.path, tc.opts)
		if err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded", name)
		} else if !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("%s: Open = %v, want storage.ErrInvalid", name, err)
		}
	}
	if _, err := boltstore.Open(filepath.Join(dir, "missing", "x.db"), boltstore.Options{}); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}

// An empty file (left by an interrupted create) holds nothing to lose and is
// initialised.
func TestOpenEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
