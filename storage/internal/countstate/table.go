package countstate

// table is an open-addressing hash index (linear probing, backward-shift
// deletion) from a string to the int32 index of the record holding it. It
// holds no pointer: a slot is the string's 32-bit hash in its high half and
// index+1 in its low half (0 is an empty slot). The strings themselves live
// in the records (in a strPool); a lookup compares them byte for byte, so
// the index is exact whatever the hashes.
type table struct {
	slots []uint64 // length a power of two, or 0
	n     int      // occupied slots
}

// find returns the index stored for the string hashing to h for which eq
// reports true, or -1, and the slot where it was found or would go.
func (t *table) find(h uint32, eq func(idx int32) bool) (pos int, idx int32) {
	if len(t.slots) == 0 {
		return -1, -1
	}
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return i, -1
		}
		if uint32(s>>32) == h && eq(int32(uint32(s))-1) {
			return i, int32(uint32(s)) - 1
		}
	}
}

// insert stores idx for a string hashing to h at pos, an empty slot find
// returned (or -1 when the table is empty); it may grow the table.
func (t *table) insert(pos int, h uint32, idx int32) {
	if pos < 0 || (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
		mask := len(t.slots) - 1
		pos = int(h) & mask
		for t.slots[pos] != 0 {
			pos = (pos + 1) & mask
		}
	}
	t.slots[pos] = uint64(h)<<32 | uint64(uint32(idx+1))
	t.n++
}

// grow doubles the table (to 8 slots at first) and places every entry again.
func (t *table) grow() {
	old := t.slots
	t.slots = make([]uint64, max(8, 2*len(old)))
	mask := len(t.slots) - 1
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := int(uint32(s>>32)) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// remove deletes idx, stored for a string hashing to h. It reports whether
// idx was there.
func (t *table) remove(h uint32, idx int32) bool {
	if len(t.slots) == 0 {
		return false
	}
	mask := len(t.slots) - 1
	want := uint64(h)<<32 | uint64(uint32(idx+1))
	i := int(h) & mask
	for t.slots[i] != want {
		if t.slots[i] == 0 {
			return false
		}
		i = (i + 1) & mask
	}
	// Backward shift: move later entries of the probe run into the hole
	// unless their home slot lies cyclically in (hole, their slot].
	for j := i; ; {
		t.slots[i] = 0
		for {
			j = (j + 1) & mask
			if t.slots[j] == 0 {
				t.n--
				return true
			}
			home := int(uint32(t.slots[j]>>32)) & mask
			if i <= j {
				if i < home && home <= j {
					continue
				}
			} else if i < home || home <= j {
				continue
			}
			break
		}
		t.slots[i] = t.slots[j]
		i = j
	}
}
