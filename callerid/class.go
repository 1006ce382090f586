package callerid

import "github.com/dialgate/dialgate"

// class is what the caller-ID rules need to know about a number.
type class uint8

const (
	classUnknown class = iota // not a Chinese number, or not a valid one
	classMobile               // ordinary mobile, MVNO or satellite subscriber number
	classFixed                // fixed line
	class95                   // 95 customer-service code
	class96                   // 96 customer-service code
	class400                  // 400 shared-cost, inbound only
	class800                  // 800 free-phone, inbound only
	classSMSPort              // 106x SMS port: not a voice caller ID
)

func typeClass(t ResourceType) class {
	switch t {
	case Type95:
		return class95
	case Type96:
		return class96
	case Type400:
		return class400
	case Type800:
		return class800
	case TypeFixed:
		return classFixed
	case TypeMobileBusiness:
		return classMobile
	}
	return classUnknown
}

// classOf classifies a number for the caller-ID rules.
// TODO(callerid): replace with numbering.Classify when package numbering lands.
func classOf(n dialgate.Number) class {
	if n.CountryCode() != 86 {
		return classUnknown
	}
	v, d := n.NationalUint64()
	lead := func(k int) uint64 { // first k national digits
		if d < k {
			return 0
		}
		x := v
		for i := 0; i < d-k; i++ {
			x /= 10
		}
		return x
	}
	switch {
	case d == 11 && lead(1) == 1 && lead(2) >= 13:
		return classMobile
	case lead(3) == 106:
		return classSMSPort
	case (d == 5 || d == 6) && lead(2) == 95:
		return class95
	case (d == 5 || d == 6) && lead(2) == 96:
		return class96
	case d == 10 && lead(3) == 400:
		return class400
	case d == 10 && lead(3) == 800:
		return class800
	case d == 10 && (lead(2) == 10 || lead(1) == 2):
		return classFixed
	case (d == 10 || d == 11) && lead(1) >= 3:
		return classFixed
	}
	return classUnknown
}
