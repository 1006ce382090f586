package decimal

import "testing"

func TestPow10(t *testing.T) {
	p := uint64(1)
	for n, v := range Pow10 {
		if v != p {
			t.Fatalf("Pow10[%d] = %d, want %d", n, v, p)
		}
		p *= 10
	}
}
