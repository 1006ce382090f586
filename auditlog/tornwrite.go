package auditlog

import (
	"bytes"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/tlog"
)

// maxWriteBytes bounds one write of the log: the writer writes a batch
// longer than this in several writes, each cut at a line end and followed
// by its own fdatasync (see writeSync). A power cut can damage only the
// write under way, whose first byte is a line start: whatever it left
// unwritten (zeros) lies within the last maxWriteBytes of the file, which
// is what Open takes for a torn write (zeroedWrite). It is one line of the
// longest length (MaxLineBytes and its newline), so that a line never
// spans two writes.
const maxWriteBytes = MaxLineBytes + 1

// sectorBytes is the smallest unit a disk writes whole: the zeros a power
// cut leaves (a block of the file's new data never written) begin and end
// on its multiples, except where they begin at the start of the write
// (mid-block: the block's earlier part is the previous batch, on disk
// already) and end at the end of the file.
const sectorBytes = 512

// zeroedWrite checks whether the last bytes of the log file f (name, size
// bytes), from the line at start that holds a zero byte, are a write a
// power cut left partly unwritten: zeros on sector boundaries, no more
// than one write from the end of the file (maxWriteBytes: a batch is
// written only after the previous one's fdatasync, so such zeros cannot
// be in a synced, acknowledged record), and every whole line between them
// a valid line whose records follow on the log's (next: the sequence
// number of the first record missing, prev: the hash of the last kept
// one). It returns the *TornError Repair cuts, or an ErrCorrupt error
// naming the file, the offset and why it is not.
func zeroedWrite(f *os.File, name string, start, size, next int64, prev tlog.Hash) (*TornError, error) {
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: the line at offset %d holds zero bytes, but %s: not what a power cut during the log's last write leaves, and cutting it could drop acknowledged records; it is not repaired (run `dialgate audit verify`, keep the directory as it is, and restore the file from a copy: the records before offset %d are intact)",
			ErrCorrupt, name, start, fmt.Sprintf(format, args...), start)
	}
	if n := size - start; n > maxWriteBytes {
		return nil, refuse("the %d bytes from there to the end of the file are more than the writer writes at once (%d)", n, maxWriteBytes)
	}
	b := make([]byte, size-start)
	if _, err := f.ReadAt(b, start); err != nil {
		return nil, fmt.Errorf("auditlog: read %s: %w", name, err)
	}
	var zeros int64
	for i := 0; i < len(b); {
		if b[i] != 0 {
			// A run of data: the end of a line a zero run cut into, whole
			// lines, and the start of a line the next zero run (or the end
			// of the file) cuts into. Only the whole ones can be checked.
			j := i + bytes.IndexByte(b[i:], 0)
			if j < i {
				j = len(b)
			}
			if i > 0 {
				if err := wholeLines(b[i:j], start+int64(i), &next, &prev, refuse); err != nil {
					return nil, err
				}
			}
			i = j
			continue
		}
		j := i + 1
		for j < len(b) && b[j] == 0 {
			j++
		}
		from, to := start+int64(i), start+int64(j)
		if (i > 0 && from%sectorBytes != 0) || (to != size && to%sectorBytes != 0) {
			return nil, refuse("the zeros at %d-%d are not whole sectors (%d bytes)", from, to, sectorBytes)
		}
		zeros += to - from
		i = j
	}
	return &TornError{File: name, Offset: start, Bytes: size - start, Zeros: zeros}, nil
}

// wholeLines checks the lines of seg (no zero byte, at offset off of the
// file) after its first newline and ending in one: each must be a valid
// line, and its records must follow on the log (a sequence number of at
// least *next, consecutive and chained to each other); it advances *next
// and *prev past them.
func wholeLines(seg []byte, off int64, next *int64, prev *tlog.Hash, refuse func(string, ...any) error) error {
	nl := bytes.IndexByte(seg, '\n')
	if nl < 0 {
		return nil
	}
	pos := off + int64(nl) + 1
	rest := seg[nl+1:]
	chained := false // *prev is the hash of the record line before
	for {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			return nil
		}
		line := rest[:nl]
		l, err := ParseLine(line)
		if err != nil {
			return refuse("the line at offset %d after them is not valid (%v)", pos, err)
		}
		if l.Kind != KindCheckpoint {
			switch {
			case chained && (*l.Seq != *next || l.Prev != prev.String()):
				return refuse("the record at offset %d after them (seq %d) does not follow on the line before it", pos, *l.Seq)
			case *l.Seq < *next:
				return refuse("the record at offset %d after them repeats seq %d, which the log already holds before it", pos, *l.Seq)
			}
			*next, *prev, chained = *l.Seq+1, tlog.RecordHash(line), true
		}
		pos += int64(nl) + 1
		rest = rest[nl+1:]
	}
}
