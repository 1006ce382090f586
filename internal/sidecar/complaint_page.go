package sidecar

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dialgate/dialgate/complaint"
)

// The pages of ListComplaints (AIP-158).
const (
	// DefaultComplaintPageSize is the page size of a ListComplaints
	// request that gives none.
	DefaultComplaintPageSize = 100
	// MaxComplaintPageSize is the largest page ListComplaints returns; a
	// larger page_size is taken as this.
	MaxComplaintPageSize = 1000
	// maxComplaintPageBytes bounds the complaints of one ListComplaints
	// page, encoded: a page is cut short before it passes this, far below
	// the 4 MiB a gRPC client receives by default, whatever the length of
	// the ids a store holds.
	maxComplaintPageBytes = 1 << 20
	// maxPageTokenLen bounds the page_token read: the tokens the server
	// makes are far shorter (an id and a tenant of at most 256 bytes).
	maxPageTokenLen = 4 << 10
	// pageTokenVersion is the version of the page tokens this build makes
	// and reads.
	pageTokenVersion = 1
)

// complaintListing is what a ListComplaints page token is valid for: the
// filters of the request that returned it.
type complaintListing struct {
	Status  string `json:"status,omitempty"`
	Overdue bool   `json:"overdue,omitempty"`
	Tenant  string `json:"tenant,omitempty"`
}

// complaintPageToken is the content of a ListComplaints page token: the
// position of the last complaint of the page before (the next page starts
// after it, not at an offset) and the listing it belongs to. It is encoded
// as base64url JSON; clients treat it as opaque. It needs no signature: a
// forged one can only move where a listing the caller may read starts, as
// the request's own filters (its tenant among them) choose the complaints.
type complaintPageToken struct {
	V          int       `json:"v"`
	ReceivedAt time.Time `json:"received_at"`
	ID         string    `json:"id"`
	complaintListing
}

// encodeComplaintPage returns the page token of the page after the
// complaint at p in listing l. A receipt with no JSON form in UTC (a year
// outside 0 to 9999: only a damaged or hand-written record has one) is an
// error naming the complaint.
func encodeComplaintPage(p complaint.Position, l complaintListing) (string, error) {
	js, err := json.Marshal(complaintPageToken{V: pageTokenVersion, ReceivedAt: p.ReceivedAt.UTC(), ID: p.ID, complaintListing: l})
	if err != nil {
		return "", fmt.Errorf("complaint %q: received_at %s: no page token can hold it: %w", p.ID, p.ReceivedAt.Format(time.RFC3339Nano), err)
	}
	return base64.RawURLEncoding.EncodeToString(js), nil
}

// decodeComplaintPage returns the position a ListComplaints page starts
// after: the zero Position for an empty token. A token that does not
// decode, or was made for another listing than l, is InvalidArgument
// naming page_token.
func decodeComplaintPage(token string, l complaintListing) (complaint.Position, error) {
	if token == "" {
		return complaint.Position{}, nil
	}
	bad := func(why string) error {
		return invalid("page_token", "%s; send the next_page_token of the page before unchanged, or none to start again", why)
	}
	if len(token) > maxPageTokenLen {
		return complaint.Position{}, bad(fmt.Sprintf("longer than %d bytes: not a token this server made", maxPageTokenLen))
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return complaint.Position{}, bad("does not decode: not a token this server made")
	}
	var pt complaintPageToken
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pt); err != nil || dec.More() {
		return complaint.Position{}, bad("does not decode: not a token this server made")
	}
	if _, err := pt.ReceivedAt.UTC().MarshalJSON(); err != nil || pt.V != pageTokenVersion || pt.ID == "" || pt.ReceivedAt.IsZero() {
		// (A received_at whose UTC year is outside 0 to 9999: no token
		// this server makes holds one.)
		return complaint.Position{}, bad("not a token this server made")
	}
	if pt.complaintListing != l {
		return complaint.Position{}, bad("made for another listing (its status, overdue or tenant differ from this request's)")
	}
	return complaint.Position{ReceivedAt: pt.ReceivedAt, ID: pt.ID}, nil
}
