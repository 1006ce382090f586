package boltstore

import (
	"context"

	bolt "go.etcd.io/bbolt"
)

// RecordCounts is how many records of each kind a store holds.
type RecordCounts struct {
	DNC        int // do-not-call entries
	Consents   int // consent records, revoked ones included
	Ledger     int // caller-ID ledger entries
	Recordings int // recording metadata records
	Complaints int // complaints
}

// RecordCounts counts the records the store holds, in one read transaction:
// what a caller that moves a kind of record to another store (a fleet's
// Redis or PostgreSQL) would leave behind unread.
func (s *Store) RecordCounts(ctx context.Context) (RecordCounts, error) {
	if err := ctx.Err(); err != nil {
		return RecordCounts{}, err
	}
	var c RecordCounts
	err := s.view("record counts", func(tx *bolt.Tx) error {
		for _, b := range []struct {
			name []byte
			n    *int
		}{
			{bucketDNC, &c.DNC}, {bucketConsents, &c.Consents}, {bucketLedger, &c.Ledger},
			{bucketRecordings, &c.Recordings}, {bucketComplaints, &c.Complaints},
		} {
			if bk := tx.Bucket(b.name); bk != nil {
				*b.n = bk.Stats().KeyN
			}
		}
		return nil
	})
	if err != nil {
		return RecordCounts{}, err
	}
	return c, nil
}
