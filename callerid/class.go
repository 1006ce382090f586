package callerid

import (
	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

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

// classOf classifies a number for the caller-ID rules with numbering.Classify.
func classOf(n dialgate.Number) class {
	switch numbering.Classify(n).Class {
	case numbering.ClassMobile, numbering.ClassMVNO, numbering.ClassSatellite:
		return classMobile
	case numbering.ClassFixed:
		return classFixed
	case numbering.Class95:
		return class95
	case numbering.Class96:
		return class96
	case numbering.Class400:
		return class400
	case numbering.Class800:
		return class800
	case numbering.ClassSMSPort:
		return classSMSPort
	}
	return classUnknown // unknown, or a number outside +86
}
