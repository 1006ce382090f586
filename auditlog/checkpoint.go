package auditlog

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The lines a checkpoint's signed text carries after tlog.FormatTree's three
// (which tlog.ParseTree reads, ignoring any line after them):
//
//	go.sum database tree
//	30
//	<root hash, base64>
//	log-id <the log's identity>
//	time <when it was signed, RFC 3339, UTC, whole seconds>
//
// Both are covered by the signature. Checkpoints written before they existed
// have neither, and verify unchanged.
const (
	checkpointLogIDPrefix = "log-id "
	checkpointTimePrefix  = "time "
)

// MaxLogIDLen is the longest log identity (Options.LogID) accepted.
const MaxLogIDLen = 128

// Checkpoint is what a signed checkpoint states, as Verify read it.
type Checkpoint struct {
	// Tree is the tree it signs: how many records, and their Merkle root.
	Tree tlog.Tree
	// LogID is the identity of the log it belongs to (Options.LogID, or the
	// one chosen when the log first wrote a checkpoint); empty for a
	// checkpoint written before checkpoints carried one.
	LogID string
	// Time is when it was signed, to the second, in UTC; zero for a
	// checkpoint written before checkpoints carried one.
	Time time.Time
	// Signers are the keys whose signatures verified, as "name+hash" (the
	// start of the public key text, see KeyName).
	Signers []string
}

// KeyName returns the name by which reports identify a checkpoint key:
// "name+hash", the key's name and its 8-hex-digit hash, as the public key
// text (name+hash+key) begins.
func KeyName(name string, hash uint32) string { return fmt.Sprintf("%s+%08x", name, hash) }

// CheckLogID reports whether id can be a log identity: 1 to MaxLogIDLen
// printable ASCII characters, no space.
func CheckLogID(id string) error {
	if id == "" || len(id) > MaxLogIDLen {
		return fmt.Errorf("%d characters, want 1 to %d", len(id), MaxLogIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("%q: want printable ASCII characters without spaces", id)
		}
	}
	return nil
}

// newLogID returns a random log identity.
func newLogID() string { return "dlg-" + strings.ToLower(rand.Text()) }

// formatCheckpoint returns the text a checkpoint signs.
func formatCheckpoint(tree tlog.Tree, logID string, at time.Time) []byte {
	b := tlog.FormatTree(tree)
	if logID != "" {
		b = append(b, checkpointLogIDPrefix+logID+"\n"...)
	}
	if !at.IsZero() {
		b = append(b, checkpointTimePrefix...)
		b = at.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, '\n')
	}
	return b
}

// parseCheckpointText parses a checkpoint's signed text: the tree, then the
// optional log-id and time lines. Other lines after the tree are ignored
// (as tlog.ParseTree does), so that a later version may add some; a log-id
// or time line that is repeated or malformed is an error.
func parseCheckpointText(text string) (Checkpoint, error) {
	tree, err := tlog.ParseTree([]byte(text))
	if err != nil {
		return Checkpoint{}, err
	}
	cp := Checkpoint{Tree: tree}
	lines := strings.Split(text, "\n")
	var seenID, seenTime bool
	for _, line := range lines[3:] {
		switch {
		case strings.HasPrefix(line, checkpointLogIDPrefix):
			if seenID {
				return Checkpoint{}, errors.New("log-id: given twice")
			}
			seenID = true
			cp.LogID = line[len(checkpointLogIDPrefix):]
			if err := CheckLogID(cp.LogID); err != nil {
				return Checkpoint{}, fmt.Errorf("log-id: %v", err)
			}
		case strings.HasPrefix(line, checkpointTimePrefix):
			if seenTime {
				return Checkpoint{}, errors.New("time: given twice")
			}
			seenTime = true
			t, err := time.Parse(time.RFC3339, line[len(checkpointTimePrefix):])
			if err != nil || t.IsZero() {
				return Checkpoint{}, fmt.Errorf("time: %q is not an RFC 3339 time", line[len(checkpointTimePrefix):])
			}
			cp.Time = t.UTC()
		}
	}
	return cp, nil
}

// unverifiedCheckpoint parses the text of a signed checkpoint without
// checking its signatures (Open restores the log identity and the last time
// from the log's last checkpoint; Verify checks them).
func unverifiedCheckpoint(signed []byte) (Checkpoint, error) {
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 {
		return Checkpoint{}, errors.New("not a signed note")
	}
	return parseCheckpointText(string(signed[:i+1]))
}

// signCheckpoint returns the signed checkpoint of tree for the log logID at
// time at.
func signCheckpoint(tree tlog.Tree, logID string, at time.Time, signer note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(formatCheckpoint(tree, logID, at))}, signer)
}

// CheckpointClockSkew is how far after the clock (Options.Now) a checkpoint
// in the log may be dated for Open to accept it: a clock stepped back by up
// to an hour since the log's last checkpoint (an NTP correction, a
// misread hardware clock corrected) is tolerated, and the next checkpoints
// are dated as that one until the clock passes it. A checkpoint dated
// further ahead was written with a clock far ahead (the clock is now far
// behind the log's, and the calling windows with it), or planted with the
// key: its time would date every later checkpoint.
const CheckpointClockSkew = time.Hour

// CheckpointError is the error Open and Repair return for a checkpoint line
// of the log that they cannot trust: not signed by Options.Signer's key nor
// by one of Options.Verifiers, not signing the tree of the records before
// it, or dated after the clock by more than CheckpointClockSkew. Open
// restores the log's identity and latest time from its checkpoints, and the
// next checkpoint the log's key signs would carry them: it refuses instead.
// It wraps ErrCorrupt.
type CheckpointError struct {
	File   string // path of the log file
	Line   int    // 1-based line of the checkpoint in File
	Detail string // what is wrong with it
	// UnknownKeys are the keys (name+hash) that signed the checkpoint when
	// none of them is trusted (neither Options.Signer's nor in
	// Options.Verifiers): after a key rotation, the retired key to list.
	// A name holding characters textsafe.Line refuses (a bidirectional
	// override, a C1 control) is escaped (\u202e), as in Detail: the
	// checkpoint is anyone's who can write the log. Empty for any other
	// problem.
	UnknownKeys []string
}

// Error names the file and line, says what is wrong and what to do.
func (e *CheckpointError) Error() string {
	return fmt.Sprintf("%v: %s:%d: checkpoint not trusted: %s. Neither Open nor Repair removes it (no crash writes it): verify the log to see it (`dialgate audit verify`); keep a copy of the directory as evidence, then delete that line (checkpoints are not part of the hash chain: the records still verify, and those it alone sealed stay unsealed until the next checkpoint) or move the log directory away to start a new log",
		ErrCorrupt, e.File, e.Line, e.Detail)
}

// Unwrap returns ErrCorrupt.
func (e *CheckpointError) Unwrap() error { return ErrCorrupt }
