package sidecar

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"google.golang.org/grpc"
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
// left empty; either way the message is remembered with an InvalidArgument
// status naming the field (its proto name, with the enclosing fields':
// "dial.campaign"), and the interceptors (unaryInterceptor, streamInterceptor)
// answer that status instead of calling the handler: no handler ever acts on
// the repaired message. Every message the codec decodes passes through one
// of them, which forgets it. Safe for concurrent use.
type requestCodec struct {
	encoding.CodecV2 // gRPC's proto codec
	bad              sync.Map
	// pending counts the messages in bad: take reads it first, so that a
	// request decoded as sent (nearly all) costs one atomic load, not a
	// LoadAndDelete, which locks the map's root node even on a miss and
	// made every call of the server queue on one mutex.
	pending atomic.Int64
}

// newRequestCodec returns a requestCodec over the registered proto codec.
func newRequestCodec() *requestCodec {
	return &requestCodec{CodecV2: encoding.GetCodecV2("proto")}
}

// Unmarshal decodes data into v (see requestCodec).
func (c *requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return err
	}
	b := data.Materialize()
	clean, field, serr := repairUTF8(b, m.ProtoReflect().Descriptor(), "", 0)
	if serr == nil && field != "" && proto.Unmarshal(clean, m) == nil {
		c.remember(m, invalid(field, "not valid UTF-8 (a proto string must be UTF-8)"))
		return nil
	}
	proto.Reset(m)
	c.remember(m, invalid("request", "not a valid protobuf message of this method"))
	return nil
}

// remember stores the status err of the message m for take.
func (c *requestCodec) remember(m any, err error) {
	// Counted before it is stored: a take that sees pending 0 cannot be
	// looking for m (its RecvMsg or interceptor runs after Unmarshal
	// returns), and a count ahead of the map only costs a lookup.
	c.pending.Add(1)
	c.bad.Store(m, err)
}

// take returns the status the message m was remembered with, and forgets
// it; nil for a message decoded as sent.
func (c *requestCodec) take(m any) error {
	if c.pending.Load() == 0 {
		return nil
	}
	if v, ok := c.bad.LoadAndDelete(m); ok {
		c.pending.Add(-1)
		return v.(error)
	}
	return nil
}

// unaryInterceptor answers a request the codec could not decode as sent
// with its status.
func (c *requestCodec) unaryInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := c.take(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
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
