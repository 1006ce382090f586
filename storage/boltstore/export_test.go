package boltstore

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage/storetest"
)

// Plant writes r's bytes under its key in its bucket as given, bypassing
// every check (for storetest.WithPlant).
func Plant(_ context.Context, store any, r storetest.RawRecord) error {
	s := store.(*Store)
	return s.batch("Plant", func(tx *bolt.Tx) error {
		switch r.Kind {
		case "consent":
			if err := tx.Bucket(bucketConsentByNumber).Put(numKey(r.Number, []byte(r.ID)), nil); err != nil {
				return err
			}
			return tx.Bucket(bucketConsents).Put([]byte(r.ID), r.JSON)
		case "consent index":
			return tx.Bucket(bucketConsentByNumber).Put(numKey(r.Number, []byte(r.ID)), nil)
		case "consent event":
			if err := tx.Bucket(bucketConsentEventsByNumber).Put(numKey(r.Number, seqKey(r.Seq)), nil); err != nil {
				return err
			}
			return tx.Bucket(bucketConsentEvents).Put(seqKey(r.Seq), r.JSON)
		case "dnc entry":
			return tx.Bucket(bucketDNC).Put(append(numKey(r.Number, nil), r.Scope...), r.JSON)
		case "ledger entry":
			return tx.Bucket(bucketLedger).Put(ledgerKey(r.Tenant, r.Number), r.JSON)
		case "complaint":
			for _, ix := range complaintIndexes {
				if was := tx.Bucket(bucketComplaints).Get([]byte(r.ID)); was != nil {
					if err := tx.Bucket(ix.bucket).Delete(ix.stored([]byte(r.ID), was)); err != nil {
						return err
					}
				}
				if err := tx.Bucket(ix.bucket).Put(ix.stored([]byte(r.ID), r.JSON), nil); err != nil {
					return err
				}
			}
			return tx.Bucket(bucketComplaints).Put([]byte(r.ID), r.JSON)
		case "recording":
			return tx.Bucket(bucketRecordings).Put([]byte(r.ID), r.JSON)
		}
		return fmt.Errorf("boltstore: cannot plant a %q", r.Kind)
	})
}

// ReplacedDNC returns the values of the bucket where AddDNC keeps the
// damaged entries it replaced, in key order.
func ReplacedDNC(s *Store) ([][]byte, error) {
	var out [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDNCReplaced).ForEach(func(_, v []byte) error {
			out = append(out, append([]byte(nil), v...))
			return nil
		})
	})
	return out, err
}
