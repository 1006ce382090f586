package sidecar

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A varint sent into a 32-bit field (int32, uint32, sint32, an enum) is
// decoded by protobuf as its low 32 bits, without an error: a recording
// registered with retention_days 4294967326 was kept 30 days, a dial's
// purpose 1<<32 + 2 was a service call. The codec (requestCodec) reads the
// request's bytes once more for such varints (overflowed) and refuses the
// request, InvalidArgument naming the field, as it refuses a field sent
// with another wire type (mistyped).
//
// The read follows a plan per message type (intPlan), built once, that says
// for each field number whether it is a 32-bit varint, a message to read
// into, or nothing to look at; a message type with no 32-bit varint in its
// tree is not read at all. It allocates only when it finds one.

// intCheck is what the overflow read does with a field.
type intCheck uint8

const (
	intSkip     intCheck = iota // nothing to look at
	intSigned                   // int32, enum: the varint is a sign-extended int32
	intUnsigned                 // uint32, sint32: the varint is at most 32 bits
	intNested                   // a message (or a map entry) to read into
)

// intField is an intPlan's entry for one field number.
type intField struct {
	check intCheck
	fd    protoreflect.FieldDescriptor
	sub   *intPlan // intNested
}

// intPlan is the overflow read's plan for one message type.
type intPlan struct {
	// dense is indexed by field number when the type's largest field
	// number is small (every dialgate and well-known type); sparse holds
	// the fields otherwise.
	dense  []intField
	sparse map[protowire.Number]intField
	// some is whether the type's tree has a 32-bit varint field at all.
	some bool
	desc protoreflect.MessageDescriptor
}

// maxDenseNumber is the largest field number an intPlan indexes densely.
const maxDenseNumber = 256

func (p *intPlan) field(num protowire.Number) intField {
	if p.sparse == nil {
		if int(num) < len(p.dense) && num >= 0 {
			return p.dense[num]
		}
		return intField{}
	}
	return p.sparse[num]
}

var (
	intPlansMu sync.Mutex
	// intPlans holds the plan of every message type read so far, keyed by
	// its descriptor (read without the mutex; written under it).
	intPlans sync.Map // protoreflect.MessageDescriptor -> *intPlan
)

// planOf returns md's plan, building it (and its fields' types' plans) on
// first use.
func planOf(md protoreflect.MessageDescriptor) *intPlan {
	if p, ok := intPlans.Load(md); ok {
		return p.(*intPlan)
	}
	intPlansMu.Lock()
	defer intPlansMu.Unlock()
	if p, ok := intPlans.Load(md); ok {
		return p.(*intPlan)
	}
	building := map[protoreflect.FullName]*intPlan{}
	p := buildPlan(md, building)
	// A type's tree has a 32-bit varint when one of its nested types'
	// has: settled over the types just built, which may contain each other.
	for changed := true; changed; {
		changed = false
		for _, q := range building {
			q.each(func(f *intField) {
				if f.check == intNested && f.sub.some && !q.some {
					q.some, changed = true, true
				}
			})
		}
	}
	for _, q := range building {
		// Reading into a message with nothing to look at is skipped.
		q.each(func(f *intField) {
			if f.check == intNested && !f.sub.some {
				*f = intField{}
			}
		})
	}
	for _, q := range building {
		intPlans.Store(q.desc, q)
	}
	return p
}

// each calls f for every field entry of p.
func (p *intPlan) each(f func(*intField)) {
	for i := range p.dense {
		f(&p.dense[i])
	}
	for k, v := range p.sparse {
		f(&v)
		p.sparse[k] = v
	}
}

// buildPlan builds md's plan and those of the message types below it not
// yet built, recording each in building (by full name).
func buildPlan(md protoreflect.MessageDescriptor, building map[protoreflect.FullName]*intPlan) *intPlan {
	if p, ok := building[md.FullName()]; ok {
		return p
	}
	if p, ok := intPlans.Load(md); ok {
		return p.(*intPlan)
	}
	p := &intPlan{desc: md}
	building[md.FullName()] = p
	fields := md.Fields()
	max := protowire.Number(0)
	for i := 0; i < fields.Len(); i++ {
		max = maxNumber(max, fields.Get(i).Number())
	}
	if max <= maxDenseNumber {
		p.dense = make([]intField, max+1)
	} else {
		p.sparse = map[protowire.Number]intField{}
	}
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		var f intField
		switch fd.Kind() {
		case protoreflect.Int32Kind, protoreflect.EnumKind:
			f = intField{check: intSigned, fd: fd}
			p.some = true
		case protoreflect.Uint32Kind, protoreflect.Sint32Kind:
			f = intField{check: intUnsigned, fd: fd}
			p.some = true
		case protoreflect.MessageKind:
			// A map field's type is its entry message (key 1, value 2).
			f = intField{check: intNested, fd: fd, sub: buildPlan(fd.Message(), building)}
		}
		if f.check == intSkip {
			continue
		}
		if p.sparse != nil {
			p.sparse[fd.Number()] = f
		} else {
			p.dense[fd.Number()] = f
		}
	}
	return p
}

func maxNumber(a, b protowire.Number) protowire.Number {
	if b > a {
		return b
	}
	return a
}

// fits reports whether the varint v is a value of a field checked as c.
func (c intCheck) fits(v uint64) bool {
	if c == intSigned {
		return int64(v) >= math.MinInt32 && int64(v) <= math.MaxInt32
	}
	return v <= math.MaxUint32
}

// overflowed returns the InvalidArgument text naming the first 32-bit
// varint field (int32, uint32, sint32, enum) of the message b (of type md)
// whose varint does not fit it, prefixed by prefix ("dial.purpose",
// "purposes[2]"); "" when every one fits. b must have decoded as md
// without error. Every occurrence of a field is looked at, not only the
// one protobuf keeps.
func overflowed(b []byte, md protoreflect.MessageDescriptor, prefix string) string {
	p := planOf(md)
	if !p.some {
		return ""
	}
	path, fd, v := p.find(b)
	if fd == nil {
		return ""
	}
	name := strings.Join(path, ".")
	if prefix != "" {
		name = prefix + "." + name
	}
	var what, sent string
	switch fd.Kind() {
	case protoreflect.EnumKind:
		what, sent = "an enum "+string(fd.Enum().FullName())+" (an int32)", fmt.Sprint(int64(v))
	case protoreflect.Int32Kind:
		what, sent = "an int32", fmt.Sprint(int64(v))
	default:
		what, sent = "a "+fd.Kind().String(), fmt.Sprint(v)
	}
	return fmt.Sprintf("%s: sent as the varint %s, which does not fit the field, %s (protobuf would keep its low 32 bits: %d; is the client built from this server's .proto?)",
		name, sent, what, lowBits(fd, v))
}

// lowBits is what protobuf decodes the varint v of field fd as.
func lowBits(fd protoreflect.FieldDescriptor, v uint64) int64 {
	switch fd.Kind() {
	case protoreflect.Uint32Kind:
		return int64(uint32(v))
	case protoreflect.Sint32Kind:
		return int64(int32(protowire.DecodeZigZag(v & math.MaxUint32)))
	}
	return int64(int32(v))
}

// find returns the path (from p's message, an element of a list as
// "name[i]", of a map as "name[key]"), the descriptor and the varint of the
// first field of b that does not fit; a nil descriptor when there is none.
func (p *intPlan) find(b []byte) ([]string, protoreflect.FieldDescriptor, uint64) {
	for off := 0; off < len(b); {
		num, typ, n := protowire.ConsumeTag(b[off:])
		if n < 0 {
			return nil, nil, 0
		}
		at := off
		off += n
		f := p.field(num)
		switch {
		case (f.check == intSigned || f.check == intUnsigned) && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b[off:])
			if n < 0 {
				return nil, nil, 0
			}
			off += n
			if !f.check.fits(v) {
				return []string{elemName(f.fd, b[:at], -1)}, f.fd, v
			}
			continue
		case (f.check == intSigned || f.check == intUnsigned) && typ == protowire.BytesType && f.fd.IsList():
			// A packed list.
			v, n := protowire.ConsumeBytes(b[off:])
			if n < 0 {
				return nil, nil, 0
			}
			off += n
			for i := 0; len(v) > 0; i++ {
				x, m := protowire.ConsumeVarint(v)
				if m < 0 {
					return nil, nil, 0
				}
				v = v[m:]
				if !f.check.fits(x) {
					return []string{elemName(f.fd, b[:at], i)}, f.fd, x
				}
			}
			continue
		case f.check == intNested && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b[off:])
			if n < 0 {
				return nil, nil, 0
			}
			off += n
			if path, fd, x := f.sub.find(v); fd != nil {
				if f.fd.IsMap() {
					// The entry's own path (key or value) gives way to
					// the map's: "fields[name]" and below the value.
					return append([]string{fmt.Sprintf("%s[%v]", f.fd.Name(), mapKey(f.fd, v))}, path[1:]...), fd, x
				}
				return append([]string{elemName(f.fd, b[:at], -1)}, path...), fd, x
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b[off:])
		if n < 0 {
			return nil, nil, 0
		}
		off += n
	}
	return nil, nil, 0
}

// elemName names field fd, whose occurrence ends the message bytes before
// (which precede it): its name, and for a list the index of the element,
// counting the elements before it (before holds them whole), plus packed
// (the element's index within its own packed run, -1 when not packed).
func elemName(fd protoreflect.FieldDescriptor, before []byte, packed int) string {
	if !fd.IsList() {
		return string(fd.Name())
	}
	i := 0
	for len(before) > 0 {
		num, typ, n := protowire.ConsumeTag(before)
		if n < 0 {
			break
		}
		before = before[n:]
		m := protowire.ConsumeFieldValue(num, typ, before)
		if m < 0 {
			break
		}
		if num == fd.Number() {
			if typ == protowire.BytesType && fd.Message() == nil {
				v, _ := protowire.ConsumeBytes(before)
				for len(v) > 0 {
					_, k := protowire.ConsumeVarint(v)
					if k < 0 {
						break
					}
					v = v[k:]
					i++
				}
			} else {
				i++
			}
		}
		before = before[m:]
	}
	if packed > 0 {
		i += packed // the element's place in its own packed run
	}
	return fmt.Sprintf("%s[%d]", fd.Name(), i)
}

// mapKey returns the key of the map entry bytes b of map field fd, as
// protobuf decodes it (the last key field; the zero key when none).
func mapKey(fd protoreflect.FieldDescriptor, b []byte) any {
	kd := fd.MapKey()
	var key any
	switch kd.Kind() {
	case protoreflect.StringKind:
		key = ""
	case protoreflect.BoolKind:
		key = false
	default:
		key = 0
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			break
		}
		if num == kd.Number() {
			switch {
			case typ == protowire.BytesType:
				v, _ := protowire.ConsumeBytes(b)
				key = string(v)
			case typ == protowire.VarintType:
				v, _ := protowire.ConsumeVarint(b)
				switch kd.Kind() {
				case protoreflect.BoolKind:
					key = v != 0
				case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
					key = protowire.DecodeZigZag(v)
				case protoreflect.Uint32Kind, protoreflect.Uint64Kind:
					key = v
				default:
					key = int64(v)
				}
			case typ == protowire.Fixed32Type:
				v, _ := protowire.ConsumeFixed32(b)
				key = v
			case typ == protowire.Fixed64Type:
				v, _ := protowire.ConsumeFixed64(b)
				key = v
			}
		}
		b = b[m:]
	}
	return key
}
