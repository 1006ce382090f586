// Package tzsplit reads the prefix → time-zone data of
// github.com/nyaruka/phonenumbers and finds its split areas: prefixes whose
// own answer is a default that some longer prefixes contradict. It is used
// by the generator of numbering's split-area table and table of the data's
// prefixes, and by the test that keeps those tables in step with the
// library; the numbering package itself never reads the data file.
package tzsplit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// DataPath is the data file's path inside the phonenumbers module.
const DataPath = "data/prefix_to_timezone.xml.gz"

// Bounds on a data file far above the library's (≈ 400 zone names in 6 KB,
// ≈ 3,300 mappings), so that a damaged file is an error, not a huge allocation.
const (
	maxNames    = 1 << 20
	maxMappings = 1 << 22
)

// Decode reads the library's time-zone data (the gzipped binary file at
// DataPath, whatever its name says) into a map from a prefix of E.164
// digits to its zones, as the library's own loader does: a count and the
// "\n"-joined interned zone names, a count of mappings, then each mapping
// as a uvarint key delta, a zone count and that many uint16 indexes into
// the names.
func Decode(gz []byte) (map[string][]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("tzsplit: %w", err)
	}
	defer zr.Close()
	r := bufio.NewReader(zr)
	var size uint32
	if err := binary.Read(r, binary.LittleEndian, &size); err != nil {
		return nil, fmt.Errorf("tzsplit: value table size: %w", err)
	}
	if size > maxNames {
		return nil, fmt.Errorf("tzsplit: value table of %d bytes (at most %d)", size, maxNames)
	}
	names := make([]byte, size)
	if _, err := io.ReadFull(r, names); err != nil {
		return nil, fmt.Errorf("tzsplit: value table: %w", err)
	}
	values := strings.Split(string(names), "\n")
	var count uint32
	if err := binary.Read(r, binary.LittleEndian, &count); err != nil {
		return nil, fmt.Errorf("tzsplit: mapping count: %w", err)
	}
	if count > maxMappings {
		return nil, fmt.Errorf("tzsplit: %d mappings (at most %d)", count, maxMappings)
	}
	out := make(map[string][]string, min(count, 1<<12))
	key := uint64(0)
	for i := range count {
		diff, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("tzsplit: mapping %d: key: %w", i, err)
		}
		key += diff
		n, err := r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("tzsplit: mapping %d: zone count: %w", i, err)
		}
		zones := make([]string, n)
		for j := range zones {
			var v uint16
			if err := binary.Read(r, binary.LittleEndian, &v); err != nil {
				return nil, fmt.Errorf("tzsplit: mapping %d: zone %d: %w", i, j, err)
			}
			if int(v) >= len(values) {
				return nil, fmt.Errorf("tzsplit: mapping %d: zone %d: index %d out of %d names", i, j, v, len(values))
			}
			zones[j] = values[v]
		}
		out[strconv.FormatUint(key, 10)] = zones
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		return nil, errors.New("tzsplit: data after the last mapping")
	}
	return out, nil
}

// Split returns the split areas of data: each prefix some of whose longer
// prefixes name a zone its own answer does not, with the sorted union of
// its zones and those of every longer prefix that starts with it. A number
// whose longest matching prefix is a split area may be in any of those
// zones: the data lists the exceptions it knows, and an exchange it does
// not list (a new one, or one left out) gets the area's default.
func Split(data map[string][]string) map[string][]string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a prefix's extensions follow it, together
	out := map[string][]string{}
	for i, p := range keys {
		union := slices.Clone(data[p])
		for _, q := range keys[i+1:] {
			if !strings.HasPrefix(q, p) {
				break
			}
			for _, z := range data[q] {
				if !slices.Contains(union, z) {
					union = append(union, z)
				}
			}
		}
		if len(union) > len(data[p]) {
			slices.Sort(union)
			out[p] = union
		}
	}
	return out
}
