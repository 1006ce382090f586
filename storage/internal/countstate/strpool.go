package countstate

import "encoding/binary"

// strPool keeps strings (reservation ids, keys, members) in pointer-free
// pages, so that the garbage collector marks a page instead of scanning a
// string header and marking a string per reservation. A string lives in a
// slot of its size class (its length, a 2-byte length prefix, rounded up to
// strAlign bytes); a freed slot goes on its class's free list for the next
// string of that class.
type strPool struct {
	classes []strClass // by class: slot size = class × strAlign
}

// strClass is the slots of one size.
type strClass struct {
	pages [][]byte // each holds perPage(size) slots
	free  []uint32 // freed slots, reused last-in first-out
	next  uint32   // slots handed out from the pages so far (free ones included)
}

// sref names a string in a strPool: its class in the high 32 bits and its
// slot in the low 32. The zero sref names nothing (class 0 is never used).
type sref uint64

const (
	strAlign    = 8
	strPageSize = 8 << 10
)

// perPage returns how many slots of size bytes a page holds.
func perPage(size int) int { return max(1, strPageSize/size) }

// MaxString is the longest id, key or member the index holds (its pages
// store a 2-byte length). The stores validate against storage.MaxKeyLen,
// far below; a store replaying a file must refuse longer strings as damage.
const MaxString = 0xFFFF

// put stores s and returns its sref. s must be at most MaxString bytes long.
func (p *strPool) put(s string) sref {
	if len(s) > MaxString {
		// Unreachable (the stores validate against storage.MaxKeyLen):
		// a truncated length would make lookups compare wrongly.
		panic("countstate: string longer than 65,535 bytes")
	}
	class := (len(s) + 2 + strAlign - 1) / strAlign
	if class >= len(p.classes) {
		p.classes = append(p.classes, make([]strClass, class+1-len(p.classes))...)
	}
	c := &p.classes[class]
	size := class * strAlign
	per := perPage(size)
	var slot uint32
	if n := len(c.free); n > 0 {
		slot = c.free[n-1]
		c.free = c.free[:n-1]
	} else {
		slot = c.next
		c.next++
		if int(slot)/per == len(c.pages) {
			c.pages = append(c.pages, make([]byte, per*size))
		}
	}
	off := int(slot) % per * size
	b := c.pages[int(slot)/per][off : off+size]
	binary.LittleEndian.PutUint16(b, uint16(len(s)))
	copy(b[2:], s)
	return sref(uint64(class)<<32 | uint64(slot))
}

// get returns the bytes of r, which must be live. They are the pool's own:
// they must not be modified, and are valid until r is freed.
func (p *strPool) get(r sref) []byte {
	class, slot := int(r>>32), int(uint32(r))
	size := class * strAlign
	per := perPage(size)
	off := slot % per * size
	b := p.classes[class].pages[slot/per][off : off+size]
	return b[2 : 2+int(binary.LittleEndian.Uint16(b))]
}

// free gives r's slot back for reuse.
func (p *strPool) free(r sref) {
	c := &p.classes[int(r>>32)]
	c.free = append(c.free, uint32(r))
}
