package auditlog

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// frontier is the compact state of an RFC 6962 Merkle tree being appended to:
// the roots of its maximal complete subtrees (at most 64), which is all
// tlog.StoredHashesForRecordHash and tlog.TreeHash read. It implements
// tlog.HashReader for exactly those hashes.
type frontier struct {
	n     int64
	nodes []frontierNode // from the highest level to the lowest
}

type frontierNode struct {
	level int
	index int64 // tlog.StoredHashIndex(level, k)
	hash  tlog.Hash
}

// ReadHashes implements tlog.HashReader.
func (f *frontier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
next:
	for i, x := range indexes {
		for _, nd := range f.nodes {
			if nd.index == x {
				out[i] = nd.hash
				continue next
			}
		}
		return nil, fmt.Errorf("auditlog: tree: hash %d not in the frontier of %d records", x, f.n)
	}
	return out, nil
}

// add appends the record hash h as leaf f.n.
func (f *frontier) add(h tlog.Hash) error {
	hashes, err := tlog.StoredHashesForRecordHash(f.n, h, f)
	if err != nil {
		return err
	}
	k := len(hashes) - 1 // levels merged: the trailing one bits of n
	f.nodes = f.nodes[:len(f.nodes)-k]
	f.nodes = append(f.nodes, frontierNode{level: k, index: tlog.StoredHashIndex(k, f.n>>uint(k)), hash: hashes[k]})
	f.n++
	return nil
}

// root returns the tree hash of the f.n records.
func (f *frontier) root() (tlog.Hash, error) { return tlog.TreeHash(f.n, f) }

// hashStore keeps every stored hash of a tree (about two per record), for
// Verify: tree hashes at any earlier size and record proofs.
type hashStore struct {
	n      int64
	hashes []tlog.Hash
}

// ReadHashes implements tlog.HashReader.
func (s *hashStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(s.hashes)) {
			return nil, fmt.Errorf("auditlog: tree: hash %d not stored (have %d)", x, len(s.hashes))
		}
		out[i] = s.hashes[x]
	}
	return out, nil
}

func (s *hashStore) add(h tlog.Hash) error {
	hs, err := tlog.StoredHashesForRecordHash(s.n, h, s)
	if err != nil {
		return err
	}
	s.hashes = append(s.hashes, hs...)
	s.n++
	return nil
}
