package countstate

import (
	"testing"
	"time"
	"unsafe"
)

// Restore copies its strings: overwriting the memory they were read from
// once it returns changes nothing the index holds (storage/boltstore's
// RecordRun passes strings over a buffer it reuses).
func TestRestoreKeepsNoReference(t *testing.T) {
	c := New()
	buf := []byte("\x00rid-1\x00rkey-17")
	str := unsafe.String(unsafe.SliceData(buf), len(buf))
	c.Restore(str[:6], 1, 100, []Recorded{{Key: str[6:13], Member: str[13:], Window: time.Hour}})
	for i := range buf {
		buf[i] = 'x'
	}
	var got []string
	c.EachHeld("\x00r", func(id string, at int64, key, member string) {
		got = append(got, id, key, member)
	})
	if len(got) != 3 || got[0] != "\x00rid-1" || got[1] != "\x00rkey-1" || got[2] != "7" {
		t.Fatalf("held %q; want the id, key and member as restored", got)
	}
}
