package tzsplit

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// encode writes data in the library's format (see Decode).
func encode(t testing.TB, names []string, keys []uint64, zones [][]uint16) []byte {
	t.Helper()
	var raw bytes.Buffer
	joined := strings.Join(names, "\n")
	binary.Write(&raw, binary.LittleEndian, uint32(len(joined)))
	raw.WriteString(joined)
	binary.Write(&raw, binary.LittleEndian, uint32(len(keys)))
	prev := uint64(0)
	for i, k := range keys {
		raw.Write(binary.AppendUvarint(nil, k-prev))
		prev = k
		raw.WriteByte(byte(len(zones[i])))
		for _, z := range zones[i] {
			binary.Write(&raw, binary.LittleEndian, z)
		}
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	if _, err := w.Write(raw.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return gz.Bytes()
}

func TestDecode(t *testing.T) {
	names := []string{"America/New_York", "America/Chicago"}
	gz := encode(t, names, []uint64{1219, 1219226, 1423}, [][]uint16{{0}, {1}, {1, 0}})
	got, err := Decode(gz)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"1219":    {"America/New_York"},
		"1219226": {"America/Chicago"},
		"1423":    {"America/Chicago", "America/New_York"},
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("Decode = %v, want %v", got, want)
	}

	for name, bad := range map[string][]byte{
		"not gzip":        []byte("plain"),
		"index too large": encode(t, names, []uint64{1219}, [][]uint16{{2}}),
		"truncated":       gz[:len(gz)-12],
		"trailing data": func() []byte {
			var raw bytes.Buffer
			r, _ := gzip.NewReader(bytes.NewReader(gz))
			raw.ReadFrom(r)
			raw.WriteByte(0)
			var out bytes.Buffer
			w := gzip.NewWriter(&out)
			w.Write(raw.Bytes())
			w.Close()
			return out.Bytes()
		}(),
	} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("%s: Decode succeeded", name)
		}
	}
}

func TestSplit(t *testing.T) {
	data := map[string][]string{
		"1":       {"America/New_York", "America/Chicago", "America/Denver"},
		"1212":    {"America/New_York"},
		"1219":    {"America/New_York"},
		"1219226": {"America/Chicago"},
		"12192":   {"America/New_York"},
		"1605":    {"America/Denver"},
		"160535":  {"America/Chicago"},
		"1605351": {"America/Denver"},
		"1606":    {"America/New_York"},
	}
	got := Split(data)
	want := map[string][]string{
		"1219":   {"America/Chicago", "America/New_York"},
		"12192":  {"America/Chicago", "America/New_York"},
		"1605":   {"America/Chicago", "America/Denver"},
		"160535": {"America/Chicago", "America/Denver"},
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("Split = %v, want %v", got, want)
	}
}

func TestSource(t *testing.T) {
	src, err := Source(map[string][]string{"1219": {"America/Chicago", "America/New_York"}}, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DO NOT EDIT", `"github.com/nyaruka/phonenumbers v1.2.3"`, `"1219": {"America/Chicago", "America/New_York"},`} {
		if !strings.Contains(string(src), want) {
			t.Errorf("source lacks %s:\n%s", want, src)
		}
	}
}

func TestPrefixSource(t *testing.T) {
	data := map[string][]string{"1219": {"America/New_York"}, "1": {"America/New_York"}, "1219226": {"America/Chicago"}}
	keys, err := Prefixes(data)
	if err != nil || !slices.Equal(keys, []uint32{1, 1219, 1219226}) {
		t.Fatalf("Prefixes = %v, %v", keys, err)
	}
	src, err := PrefixSource(data, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DO NOT EDIT", `tzPrefixesSource = "github.com/nyaruka/phonenumbers v1.2.3"`, "\t1, 1219, 1219226,\n"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("source lacks %q:\n%s", want, src)
		}
	}
	for _, bad := range []string{"012", "12a", "", "99999999999"} {
		if _, err := Prefixes(map[string][]string{bad: nil}); err == nil {
			t.Errorf("Prefixes accepts the key %q", bad)
		}
		if _, err := PrefixSource(map[string][]string{bad: nil}, "v1"); err == nil {
			t.Errorf("PrefixSource accepts the key %q", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(f, []string{"A", "B"}, []uint64{1, 12}, [][]uint16{{0}, {1, 0}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, gz []byte) {
		data, err := Decode(gz)
		if err != nil {
			return
		}
		for k := range data {
			if _, err := strconv.ParseUint(k, 10, 64); err != nil {
				t.Fatalf("key %q is not a number", k)
			}
		}
	})
}
