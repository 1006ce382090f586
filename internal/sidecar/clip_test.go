package sidecar

import (
	"strings"
	"testing"
	"unicode/utf8"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestClipRuneBoundary: clip cut at byte 32, splitting a multibyte
// character; it now cuts at the last character boundary at or before it.
func TestClipRuneBoundary(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("a", 31) + "電話", // 31 + 3 + 3 bytes: the cut falls inside 電
		strings.Repeat("電", 20),        // 60 bytes: 32 is inside the 11th
		strings.Repeat("a", 30) + "😀😀", // 4-byte runes
		strings.Repeat("a", 32) + "é",  // cut right at a boundary
		"short é",
	} {
		got := clip(s)
		if !utf8.ValidString(got) {
			t.Errorf("clip(%q) = %q: not valid UTF-8", s, got)
		}
		head := strings.TrimSuffix(got, "…")
		if !strings.HasPrefix(s, head) || len(head) > 32 || (len(s) > 32) != (head != s) {
			t.Errorf("clip(%q) = %q: want a prefix of at most 32 bytes, marked when cut", s, got)
		}
		if len(s) > 32 && len(head) < 32-utf8.UTFMax+1 {
			t.Errorf("clip(%q) = %q: cut more than one character short", s, got)
		}
	}
}

// TestFileComplaintChannelMultibyte: an unknown multibyte channel is named in
// the InvalidArgument message whole characters only (the message was valid
// UTF-8 only thanks to %q, which showed the split character as \x escapes).
func TestFileComplaintChannelMultibyte(t *testing.T) {
	e := startFull(t, Config{}, t.TempDir())
	ch := strings.Repeat("a", 31) + "電話電話"
	_, err := e.admin.FileComplaint(ctxT(t), &pb.FileComplaintRequest{Number: "+8613900139080", Channel: ch})
	s := status.Convert(err)
	if s.Code() != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
	if !utf8.ValidString(s.Message()) || strings.Contains(s.Message(), `\x`) || !strings.Contains(s.Message(), strings.Repeat("a", 31)+"…") {
		t.Errorf("message %q: want the channel cut at a character boundary", s.Message())
	}
}
