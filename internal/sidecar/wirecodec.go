package sidecar

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// requestCodec is the server's codec: gRPC's proto codec, except that a
// request it cannot decode is not a decoding error. gRPC answers a codec's
// error Internal ("grpc: failed to unmarshal the received message: string
// field contains invalid UTF-8"), naming no request field, and on a
// CheckStream it ends the whole stream, against the contract that bad input
// is InvalidArgument naming the field and that a malformed CheckStream
// request gets an error response while the stream goes on.
//
// So a request with a string field that is not UTF-8 is decoded with each
// such field's bad bytes replaced by U+FFFD (so that a CheckStream request
// still has a request_id to echo), and one that is not protobuf at all is
// left empty; either way the message carries, as an unknown field of its
// own (number markNumber, its value the codec's random secret and then the
// text), an InvalidArgument status naming the field (its proto name, with
// the enclosing fields': "dial.campaign"), and the interceptors
// (unaryInterceptor, streamInterceptor) answer that status instead of
// calling the handler: no handler acts on the repaired message (but
// ReportOutcome, which is handed the status and marks the decision of an
// intact decision_id placed before answering it: refusedTaker). A
// message decoded without error is marked the same way when a field it
// knows came with another wire type (mistyped), which protobuf keeps as an
// unknown field, leaving the field unset, and when a 32-bit varint field
// (int32, uint32, sint32, enum) was sent a varint that does not fit it
// (overflowed), which protobuf decodes as its low 32 bits; that one is
// named first.
//
// The mark travels in the message, not in a table beside it: gRPC decodes
// some messages that never reach an interceptor (a second message on a
// unary or server-streaming method, decoded into the same request before
// gRPC answers Internal; a call reset after its message), and an entry kept
// for one of those would never be taken, a leak any client of the health
// service (which needs no token) could drive one request a call. A client
// cannot forge a mark: it does not know the secret, and a field of that
// number without it is an unknown field like any other. Safe for
// concurrent use.
type requestCodec struct {
	encoding.CodecV2 // gRPC's proto codec
	// secret begins the value of every mark (16 random bytes).
	secret []byte
}

// markNumber is the field number of a repaired message's mark (the largest
// valid one, in no dialgate or gRPC message).
const markNumber = protowire.MaxValidNumber

// newRequestCodec returns a requestCodec over the registered proto codec.
func newRequestCodec() *requestCodec {
	secret := make([]byte, 16)
	rand.Read(secret) // never fails (crypto/rand)
	return &requestCodec{CodecV2: encoding.GetCodecV2("proto"), secret: secret}
}

// Unmarshal decodes data into v (see requestCodec).
func (c *requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	// As gRPC's proto codec decodes: one buffer is read in place, more are
	// copied into one from the pool. The bytes are read again for 32-bit
	// fields sent a wider varint (overflowed), which protobuf truncates.
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	b := buf.ReadOnlyData()
	// A varint cut to 32 bits is named first, whatever else is wrong: the
	// value decoded is not the one sent, and nothing tells it by the
	// message (ReportOutcome's intactDial uses a refused report's dial
	// unless the refusal names a field of it).
	if proto.Unmarshal(b, m) == nil {
		r := m.ProtoReflect()
		msg := overflowed(b, r.Descriptor(), "")
		if msg == "" {
			msg = mistyped(r, "")
		}
		if msg != "" {
			c.mark(m, msg)
		}
		return nil
	}
	clean, field, serr := repairUTF8(b, m.ProtoReflect().Descriptor(), "", 0)
	if serr == nil && field != "" && proto.Unmarshal(clean, m) == nil {
		msg := overflowed(clean, m.ProtoReflect().Descriptor(), "")
		if msg == "" {
			msg = field + ": not valid UTF-8 (a proto string must be UTF-8)"
		}
		c.mark(m, msg)
		return nil
	}
	proto.Reset(m)
	c.mark(m, "request: not a valid protobuf message of this method")
	return nil
}

// mistyped returns the InvalidArgument text naming the first field of m
// (prefix and its name, "dial.callee_zone") that was sent with another wire
// type than its own — an integer of Unix seconds for a Timestamp, a number
// for a string — and "" when there is none. Protobuf keeps such a field as
// an unknown one and leaves the field unset, so a request acted on as
// decoded loses it without a word: a consent's expires_at so sent never
// lapsed, a dial's callee_zone was not applied. A field number m's message
// does not have at all is left alone (a newer client's field, as protobuf
// ignores it). Nearly every message has no unknown field: the cost is a
// length check per message and a look at the kinds of its fields.
func mistyped(m protoreflect.Message, prefix string) string {
	path, fd, typ := findMistyped(m)
	if fd == nil {
		return ""
	}
	name := strings.Join(path, ".")
	if prefix != "" {
		name = prefix + "." + name
	}
	return fmt.Sprintf("%s: wrong wire type: sent as %s, but the field is %s (is the client built from this server's .proto?)",
		name, wireTypeName(typ), kindName(fd))
}

// findMistyped returns the first field of m sent with another wire type
// than its own, its wire type and its path from m (the names of the
// enclosing fields, then its own; an element of a list as "name[i]"); nil
// when there is none. It allocates only when it finds one.
func findMistyped(m protoreflect.Message) ([]string, protoreflect.FieldDescriptor, protowire.Type) {
	md := m.Descriptor()
	for u := m.GetUnknown(); len(u) > 0; {
		num, t, n := protowire.ConsumeTag(u)
		if n < 0 {
			break
		}
		u = u[n:]
		if fd := md.Fields().ByNumber(num); fd != nil {
			return []string{string(fd.Name())}, fd, t
		}
		if n = protowire.ConsumeFieldValue(num, t, u); n < 0 {
			break
		}
		u = u[n:]
	}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.Message() == nil || !m.Has(f) {
			continue
		}
		switch {
		case f.IsList():
			l := m.Get(f).List()
			for j := 0; j < l.Len(); j++ {
				if p, fd, t := findMistyped(l.Get(j).Message()); fd != nil {
					return prepend(string(f.Name())+fmt.Sprintf("[%d]", j), p), fd, t
				}
			}
		case f.IsMap():
			if f.MapValue().Message() == nil {
				continue
			}
			if p, fd, t := mistypedInMap(f, m.Get(f).Map()); fd != nil {
				return p, fd, t
			}
		default:
			if p, fd, t := findMistyped(m.Get(f).Message()); fd != nil {
				return prepend(string(f.Name()), p), fd, t
			}
		}
	}
	return nil, nil, 0
}

// mistypedInMap is findMistyped for the message values of map field f.
func mistypedInMap(f protoreflect.FieldDescriptor, mv protoreflect.Map) (path []string, fd protoreflect.FieldDescriptor, typ protowire.Type) {
	mv.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		var p []string
		if p, fd, typ = findMistyped(v.Message()); fd != nil {
			path = prepend(fmt.Sprintf("%s[%v]", f.Name(), k.Interface()), p)
		}
		return fd == nil
	})
	return path, fd, typ
}

// prepend returns path with name before it.
func prepend(name string, path []string) []string {
	return append([]string{name}, path...)
}

// wireTypeName names a wire type as the protobuf encoding guide does.
func wireTypeName(t protowire.Type) string {
	switch t {
	case protowire.VarintType:
		return "a varint (an integer, bool or enum)"
	case protowire.Fixed32Type:
		return "fixed32"
	case protowire.Fixed64Type:
		return "fixed64"
	case protowire.BytesType:
		return "length-delimited (a string, bytes, message or packed list)"
	case protowire.StartGroupType, protowire.EndGroupType:
		return "a group"
	}
	return fmt.Sprintf("wire type %d", t)
}

// kindName says what fd holds: "a string", "a message
// (google.protobuf.Timestamp)", "a list of dialgate.v1.Purpose".
func kindName(fd protoreflect.FieldDescriptor) string {
	var what string
	switch {
	case fd.Message() != nil:
		what = "message " + string(fd.Message().FullName())
	case fd.Enum() != nil:
		what = "enum " + string(fd.Enum().FullName())
	default:
		what = fd.Kind().String()
	}
	if fd.IsList() {
		return "a list of " + what
	}
	return "a " + what
}

// mark appends to m's unknown fields the mark of the InvalidArgument status
// text msg, for take.
func (c *requestCodec) mark(m proto.Message, msg string) {
	r := m.ProtoReflect()
	u := protowire.AppendTag(r.GetUnknown(), markNumber, protowire.BytesType)
	u = protowire.AppendBytes(u, append(append([]byte(nil), c.secret...), msg...))
	r.SetUnknown(u)
}

// take returns the InvalidArgument status the message m was marked with;
// nil for a message decoded as sent. A message with no unknown field (nearly
// all) costs a length check.
func (c *requestCodec) take(m any) error {
	pm, ok := m.(proto.Message)
	if !ok {
		return nil
	}
	u := pm.ProtoReflect().GetUnknown()
	for len(u) > 0 {
		num, typ, n := protowire.ConsumeTag(u)
		if n < 0 {
			return nil
		}
		u = u[n:]
		if num == markNumber && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(u)
			if n < 0 {
				return nil
			}
			if bytes.HasPrefix(v, c.secret) {
				return status.Error(codes.InvalidArgument, string(v[len(c.secret):]))
			}
			u = u[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, u)
		if n < 0 {
			return nil
		}
		u = u[n:]
	}
	return nil
}

// unaryInterceptor answers a request the codec could not decode as sent
// with its status; for a method whose service takes refused requests
// (refusedTaker) it calls the rest of the chain with the status in the
// context instead (refusedRequest), and the handler answers it.
func (c *requestCodec) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := c.take(req); err != nil {
		if info != nil {
			if rt, ok := info.Server.(refusedTaker); ok && rt.takesRefused(info.FullMethod) {
				return handler(context.WithValue(ctx, refusedKey{}, err), req)
			}
		}
		return nil, err
	}
	return handler(ctx, req)
}

// refusedTaker is a service whose handler of a method must see a request
// the codec refused, to act on the part of it that can be trusted before
// answering the refusal: ReportOutcome marks the decision placed, as for
// any other malformed outcome. The token's check (auth's interceptor)
// runs before the codec's.
type refusedTaker interface {
	takesRefused(fullMethod string) bool
}

type refusedKey struct{}

// refusedRequest returns the InvalidArgument status of a request the codec
// could not decode as sent, for a handler of a refusedTaker; nil for a
// request decoded as sent. A handler given one must answer it, acting on
// nothing of the request but what it can trust.
func refusedRequest(ctx context.Context) error {
	err, _ := ctx.Value(refusedKey{}).(error)
	return err
}

// streamInterceptor makes a stream's RecvMsg return a *badRequest for a
// message the codec could not decode as sent.
func (c *requestCodec) streamInterceptor(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &checkedStream{ServerStream: ss, c: c})
}

// checkedStream is a server stream whose RecvMsg reports a message the
// codec could not decode as sent (*badRequest).
type checkedStream struct {
	grpc.ServerStream
	c *requestCodec
}

// RecvMsg receives the next message; one the codec could not decode as sent
// is a *badRequest error.
func (s *checkedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if err := s.c.take(m); err != nil {
		return &badRequest{err: err, msg: m}
	}
	return nil
}

// badRequest is a stream message that was received but could not be
// decoded as sent: err is its InvalidArgument status, msg the message as
// repaired (for its request id only). A handler that does not know it ends
// the stream with that status; CheckStream answers the request with it and
// goes on.
type badRequest struct {
	err error
	msg any
}

func (b *badRequest) Error() string { return b.err.Error() }

// GRPCStatus returns the InvalidArgument status.
func (b *badRequest) GRPCStatus() *status.Status { return status.Convert(b.err) }

// maxRepairDepth is how deep repairUTF8 follows nested messages: protobuf's
// own limit on decoding.
const maxRepairDepth = 10000

// repairUTF8 returns the protobuf message b (of descriptor md) with the bytes
// of each string field that are not UTF-8 replaced by U+FFFD, and the name of
// the first such field, prefixed by prefix and its enclosing fields ("" when
// every string is UTF-8). Unknown fields are kept as they are (protobuf does
// not check them). It fails on bytes that are not protobuf, and on messages
// nested deeper than maxRepairDepth (depth is b's: 0 for the request), as
// protobuf refuses them: a message type that contains itself could otherwise
// be nested a million deep within the size limit, each level copied.
func repairUTF8(b []byte, md protoreflect.MessageDescriptor, prefix string, depth int) (out []byte, field string, err error) {
	if depth > maxRepairDepth {
		return nil, "", errors.New("nested too deep")
	}
	out = make([]byte, 0, len(b))
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, "", protowire.ParseError(n)
		}
		tag := b[:n]
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if typ != protowire.BytesType || fd == nil || (fd.Kind() != protoreflect.StringKind && fd.Kind() != protoreflect.MessageKind) {
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return nil, "", protowire.ParseError(m)
			}
			out = append(append(out, tag...), b[:m]...)
			b = b[m:]
			continue
		}
		v, m := protowire.ConsumeBytes(b)
		if m < 0 {
			return nil, "", protowire.ParseError(m)
		}
		b = b[m:]
		name := string(fd.Name())
		if prefix != "" {
			name = prefix + "." + name
		}
		if fd.Kind() == protoreflect.StringKind {
			if !utf8.Valid(v) {
				if field == "" {
					field = name
				}
				v = []byte(strings.ToValidUTF8(string(v), "\uFFFD"))
			}
		} else {
			inner, f, err := repairUTF8(v, fd.Message(), name, depth+1)
			if err != nil {
				return nil, "", err
			}
			if field == "" {
				field = f
			}
			v = inner
		}
		out = protowire.AppendBytes(append(out, tag...), v)
	}
	return out, field, nil
}
