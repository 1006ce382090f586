package schedule

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

// hashOfOracle is hashOf as it was before its buffers were pooled (a new
// message and sum buffer on the heap per call), kept as the test oracle of
// the counter keys' spelling.
func hashOfOracle(m hash.Hash, d dialgate.Dial, per CapScope) (out [32]byte) {
	var in [160]byte
	msg := in[:0]
	switch {
	case per == CapPerSubject && d.Subject != "":
		msg = append(msg, "subject\x00"...)
		msg = append(append(msg, d.Tenant...), 0)
		msg = append(msg, d.Subject...)
	case per == CapPerCalleeSubject && d.Subject != "":
		msg = append(msg, "callee_subject\x00"...)
		msg = append(append(msg, d.Tenant...), 0)
		msg = append(strconv.AppendUint(msg, d.To.Uint64(), 10), 0)
		msg = append(msg, d.Subject...)
	default:
		msg = append(msg, "callee\x00"...)
		msg = append(append(msg, d.Tenant...), 0)
		msg = strconv.AppendUint(msg, d.To.Uint64(), 10)
	}
	m.Reset()
	m.Write(msg)
	var buf [sha256.Size]byte
	sum := m.Sum(buf[:0])
	hex.Encode(out[:], sum[:16])
	return out
}

var oracleScopes = []CapScope{"", CapPerCallee, CapPerSubject, CapPerCalleeSubject}

func checkHashOf(t *testing.T, c *CapCheck, m hash.Hash, d dialgate.Dial) {
	t.Helper()
	for _, per := range oracleScopes {
		if got, want := c.hashOf(d, per), hashOfOracle(m, d, per); got != want {
			t.Fatalf("hashOf(%+v, %q) = %s, the oracle says %s", d, per, got[:], want[:])
		}
	}
}

// FuzzHashOfOracle: the pooled hashOf spells every counter key as the
// oracle does, for any tenant, callee and subject (long ones too, which
// grow the pooled buffer, and short ones after them, which reuse it).
func FuzzHashOfOracle(f *testing.F) {
	key := []byte("0123456789abcdef-fuzz")
	c, err := NewCapCheck(CapsConfig{Caps: []Cap{{Count: 1, Window: dialgate.Duration(3600e9), Cite: citeU}}}, memstore.New(), WithCapHashKey(key))
	if err != nil {
		f.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	f.Add("acme", uint64(8613800138000), "solar")
	f.Add("", uint64(0), "")
	f.Add(strings.Repeat("t", 300), uint64(12125550100), strings.Repeat("长", 500))
	f.Add("x", uint64(596596123456), "a\x00b")
	f.Fuzz(func(t *testing.T, tenant string, digits uint64, subject string) {
		d := dialgate.Dial{Tenant: tenant, Subject: subject}
		if n, err := dialgate.ParseNumber("+" + strconv.FormatUint(digits, 10)); err == nil {
			d.To = n
		}
		checkHashOf(t, c, m, d)
	})
}

// TestHashOfOracleRandom runs the oracle comparison over random dials in
// every test run (the fuzz target runs only its seeds without -fuzz),
// interleaving long and short messages so that the pooled buffers are
// reused at every length.
func TestHashOfOracleRandom(t *testing.T) {
	key := []byte("0123456789abcdef-random")
	c, err := NewCapCheck(CapsConfig{Caps: []Cap{{Count: 1, Window: dialgate.Duration(3600e9), Cite: citeU}}}, memstore.New(), WithCapHashKey(key))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	r := rand.New(rand.NewPCG(1, 2))
	str := func(max int) string {
		b := make([]rune, r.IntN(max+1))
		for i := range b {
			b[i] = rune(0x20 + r.IntN(0x3000))
		}
		return string(b)
	}
	nums := []string{"+8613800138000", "+12125550100", "+596596123456", "+33596123456", "+441632960000"}
	for range 20000 {
		d := dialgate.Dial{Tenant: str(40), Subject: str([]int{0, 8, 200, 2000}[r.IntN(4)])}
		if r.IntN(5) > 0 {
			d.To = dialgate.MustParseNumber(nums[r.IntN(len(nums))])
		}
		checkHashOf(t, c, m, d)
	}
}
