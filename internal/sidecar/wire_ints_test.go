package sidecar

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// requestMethods returns every method of the dialgate.v1 services, with
// the gRPC path and the request's descriptor.
func requestMethods() []protoreflect.MethodDescriptor {
	var out []protoreflect.MethodDescriptor
	for _, f := range []protoreflect.FileDescriptor{pb.File_dialgate_v1_gate_proto, pb.File_dialgate_v1_admin_proto} {
		for i := 0; i < f.Services().Len(); i++ {
			svc := f.Services().Get(i)
			for j := 0; j < svc.Methods().Len(); j++ {
				out = append(out, svc.Methods().Get(j))
			}
		}
	}
	return out
}

func methodPath(m protoreflect.MethodDescriptor) string {
	return "/" + string(m.Parent().FullName()) + "/" + string(m.Name())
}

// isNarrowInt reports whether fd is a varint field of 32 bits (int32,
// uint32, sint32 or an enum), which protobuf truncates a wider varint into.
func isNarrowInt(fd protoreflect.FieldDescriptor) bool {
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Uint32Kind, protoreflect.Sint32Kind, protoreflect.EnumKind:
		return true
	}
	return false
}

// narrowIntPaths returns the paths (outermost field first) from md to each
// 32-bit varint field of md's tree (Timestamp.nanos inside a request's
// timestamps included), following no message type twice on one path.
func narrowIntPaths(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) [][]protoreflect.FieldDescriptor {
	if seen[md.FullName()] {
		return nil
	}
	seen[md.FullName()] = true
	defer delete(seen, md.FullName())
	var out [][]protoreflect.FieldDescriptor
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		switch {
		case isNarrowInt(fd):
			out = append(out, []protoreflect.FieldDescriptor{fd})
		case fd.Message() != nil:
			for _, p := range narrowIntPaths(fd.Message(), seen) {
				out = append(out, append([]protoreflect.FieldDescriptor{fd}, p...))
			}
		}
	}
	return out
}

// pathName names a path as the server does: "dial.purpose", a list's first
// element as "purposes[0]".
func pathName(path []protoreflect.FieldDescriptor) string {
	var parts []string
	for _, fd := range path {
		n := string(fd.Name())
		if fd.IsList() {
			n += "[0]"
		}
		parts = append(parts, n)
	}
	return strings.Join(parts, ".")
}

// varintAt encodes a message holding, along path, only the varint v.
func varintAt(path []protoreflect.FieldDescriptor, v uint64) []byte {
	leaf := path[len(path)-1]
	b := protowire.AppendVarint(protowire.AppendTag(nil, leaf.Number(), protowire.VarintType), v)
	for i := len(path) - 2; i >= 0; i-- {
		b = protowire.AppendBytes(protowire.AppendTag(nil, path[i].Number(), protowire.BytesType), b)
	}
	return b
}

// overflows returns varints that do not fit fd's type: protobuf truncates
// each to its low 32 bits (1<<32 + 30 read as 30).
func overflows(fd protoreflect.FieldDescriptor) []uint64 {
	if fd.Kind() == protoreflect.Uint32Kind || fd.Kind() == protoreflect.Sint32Kind {
		return []uint64{1<<32 + 30, math.MaxUint64}
	}
	// An int32 or enum: a negative one is sent sign-extended to 64 bits.
	below := int64(math.MinInt32) - 1
	return []uint64{1<<32 + 30, uint64(below), 1 << 63}
}

// sendRaw sends the request bytes b to method over e's connection (a
// CheckStream: one message on a new stream) and returns the status of the
// answer: the call's, or the stream's error response's.
func sendRaw(t *testing.T, e *testEnv, m protoreflect.MethodDescriptor, b []byte) *status.Status {
	t.Helper()
	ctx := ctxT(t)
	if !m.IsStreamingClient() {
		return status.Convert(e.conn.Invoke(ctx, methodPath(m), b, &emptypb.Empty{}, grpc.ForceCodec(rawCodec{})))
	}
	desc := &grpc.StreamDesc{StreamName: string(m.Name()), ServerStreams: true, ClientStreams: true}
	st, err := e.conn.NewStream(ctx, desc, methodPath(m), grpc.ForceCodec(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.CloseSend()
	// A request id, so that the error response can be told from the
	// stream's end.
	b = append(protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "r-ints"), b...)
	if err := st.SendMsg(b); err != nil {
		t.Fatal(err)
	}
	var resp pb.CheckStreamResponse
	if err := st.RecvMsg(&resp); err != nil {
		return status.Convert(err)
	}
	se := resp.GetError()
	if se == nil || resp.GetRequestId() != "r-ints" {
		return status.New(codes.OK, fmt.Sprintf("stream answered %v", &resp))
	}
	return status.New(codes.Code(se.GetCode()), se.GetMessage())
}

// TestNarrowIntOverflowIsInvalidArgument: a varint that does not fit its
// 32-bit field (int32, uint32, sint32, enum) is InvalidArgument naming the
// field, for every such field of every request of both services, nested
// ones (a Timestamp's nanos, a dial's purpose) included, and on a
// CheckStream an error response while the stream goes on. Protobuf keeps
// the low 32 bits: a recording registered with retention_days 4294967326
// was kept 30 days, a dial's purpose 1<<32 + 2 was a service call.
func TestNarrowIntOverflowIsInvalidArgument(t *testing.T) {
	e := startFull(t, Config{StreamWorkers: 2}, t.TempDir())
	n := 0
	for _, m := range requestMethods() {
		for _, path := range narrowIntPaths(m.Input(), map[protoreflect.FullName]bool{}) {
			name := pathName(path)
			for _, v := range overflows(path[len(path)-1]) {
				n++
				t.Run(fmt.Sprintf("%s/%s/%d", m.Name(), name, v), func(t *testing.T) {
					st := sendRaw(t, e, m, varintAt(path, v))
					if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), name+": ") || !strings.Contains(st.Message(), "does not fit") {
						t.Fatalf("got %v %q, want InvalidArgument naming %s, a value that does not fit", st.Code(), st.Message(), name)
					}
				})
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d cases: the walk over the requests' fields found too few", n)
	}

	// A packed list: the element that does not fit is named by its index.
	var packed []byte
	for _, v := range []uint64{1, 2, 1<<32 + 1} {
		packed = protowire.AppendVarint(packed, v)
	}
	ledger := protowire.AppendBytes(protowire.AppendTag(nil, 7, protowire.BytesType), packed)
	err := e.conn.Invoke(ctxT(t), "/dialgate.v1.AdminService/AddLedgerEntry", ledger, &emptypb.Empty{}, grpc.ForceCodec(rawCodec{}))
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "purposes[2]: ") {
		t.Errorf("packed purposes with a third that does not fit: %v %q, want InvalidArgument naming purposes[2]", st.Code(), st.Message())
	}

	// Values that fit are still taken: a negative int32 sent
	// sign-extended, as every protobuf library sends it, reaches the
	// handler (which refuses it itself, in its own words).
	neg := protowire.AppendVarint(protowire.AppendTag(nil, 4, protowire.VarintType), uint64(1<<64-5))
	err = e.conn.Invoke(ctxT(t), "/dialgate.v1.AdminService/ListComplaints", neg, &emptypb.Empty{}, grpc.ForceCodec(rawCodec{}))
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "page_size: -5 is negative") {
		t.Errorf("page_size -5: %v %q, want the handler's refusal of a negative page size", st.Code(), st.Message())
	}
}

// TestRetentionDaysOverflowNotRegistered: a RegisterRecording whose
// retention_days is 4294967326 (protobuf read it as 30) is InvalidArgument
// naming retention_days, and registers nothing.
func TestRetentionDaysOverflowNotRegistered(t *testing.T) {
	e := startFull(t, Config{}, t.TempDir())
	ctx := ctxT(t)
	req := &pb.RegisterRecordingRequest{Id: "r-ovf", Number: "+8613900139091", StartedAt: timestamppb.New(time.Now().Add(-time.Hour))}
	err := e.conn.Invoke(ctx, "/dialgate.v1.AdminService/RegisterRecording", withVarint(t, req, 4, 4294967326), &emptypb.Empty{}, grpc.ForceCodec(rawCodec{}))
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "retention_days: ") {
		t.Fatalf("retention_days 4294967326: %v %q, want InvalidArgument naming retention_days", st.Code(), st.Message())
	}
	if _, err := e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "r-ovf"}); status.Code(err) != codes.NotFound {
		t.Errorf("holding the recording refused above: %v, want NotFound (it must not have been registered)", err)
	}
	// The same request with 30 days is registered.
	req.RetentionDays = 30
	if _, err := e.admin.RegisterRecording(ctx, req); err != nil {
		t.Fatalf("retention_days 30: %v", err)
	}
}

// enumBases are requests valid but for the enum field a test sets: one per
// method whose request has an enum field.
func enumBases() map[string]proto.Message {
	past := timestamppb.New(time.Now().Add(-time.Hour))
	return map[string]proto.Message{
		"Check":         &pb.CheckRequest{Dial: okDial("+8613900139092")},
		"CheckStream":   &pb.CheckStreamRequest{Dial: okDial("+8613900139093")},
		"ReportOutcome": &pb.ReportOutcomeRequest{DecisionId: "d-enum", Dial: okDial("+8613900139094")},
		"GrantConsent": &pb.GrantConsentRequest{Id: "c-enum", Number: "+8613900139095", Scope: "industry:finance",
			Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/enum.pdf"},
		"AddLedgerEntry": &pb.AddLedgerEntryRequest{Number: "+861058001299", Type: pb.NumberType_NUMBER_TYPE_FIXED,
			Holder: "Acme", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}},
	}
}

// setAlong sets the enum at the end of path in m (its first element, for a
// list) to v.
func setAlong(m protoreflect.Message, path []protoreflect.FieldDescriptor, v protoreflect.EnumNumber) {
	for _, fd := range path[:len(path)-1] {
		m = m.Mutable(fd).Message()
	}
	leaf := path[len(path)-1]
	if leaf.IsList() {
		l := m.Mutable(leaf).List()
		if l.Len() == 0 {
			l.Append(protoreflect.ValueOfEnum(v))
		}
		l.Set(0, protoreflect.ValueOfEnum(v))
		return
	}
	m.Set(leaf, protoreflect.ValueOfEnum(v))
}

// TestUnknownEnumEveryField: an enum number the server's .proto does not
// have (a newer client's value, or a wrong one) is InvalidArgument naming
// the field, for every enum field of every request; never taken as the
// unspecified value or dropped.
func TestUnknownEnumEveryField(t *testing.T) {
	e := startFull(t, Config{StreamWorkers: 2}, t.TempDir())
	bases := enumBases()
	n := 0
	for _, m := range requestMethods() {
		for _, path := range narrowIntPaths(m.Input(), map[protoreflect.FullName]bool{}) {
			leaf := path[len(path)-1]
			if leaf.Enum() == nil {
				continue
			}
			base, ok := bases[string(m.Name())]
			if !ok {
				t.Errorf("%s has enum field %s but no valid request to set it in: add one to enumBases", m.Name(), pathName(path))
				continue
			}
			values := leaf.Enum().Values()
			unknown := []protoreflect.EnumNumber{values.Get(values.Len()-1).Number() + 1, 1000, -1}
			for _, v := range unknown {
				if values.ByNumber(v) != nil {
					t.Fatalf("%v is a value of %s", v, leaf.Enum().FullName())
				}
				n++
				name := pathName(path)
				if !leaf.IsList() {
					name = strings.TrimSuffix(name, "[0]")
				}
				t.Run(fmt.Sprintf("%s/%s/%d", m.Name(), name, v), func(t *testing.T) {
					req := proto.Clone(base)
					setAlong(req.ProtoReflect(), path, v)
					b, err := proto.Marshal(req)
					if err != nil {
						t.Fatal(err)
					}
					st := sendRaw(t, e, m, b)
					if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), name+": ") {
						t.Fatalf("got %v %q, want InvalidArgument naming %s", st.Code(), st.Message(), name)
					}
				})
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d cases: the walk over the requests' enum fields found too few", n)
	}
}

// wideFiles returns the files of the dialgate.v1 requests (and of
// google.protobuf.Struct, for maps and recursion) rewritten so that
// protobuf decodes every varint whole and every occurrence of every field:
// each 32-bit varint field (int32, enum; uint32; sint32) is 64 bits wide
// (int64; uint64; sint64), and every field is a list (no oneof, no map), so
// that a field sent twice keeps both values and a message sent twice is
// two messages, not one merged. It is FuzzOverflowed's oracle.
func wideFiles(t testing.TB) *protoregistry.Files {
	t.Helper()
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := 0; i < fd.Imports().Len(); i++ {
			add(fd.Imports().Get(i).FileDescriptor)
		}
		fp := protodesc.ToFileDescriptorProto(fd)
		var widen func(m *descriptorpb.DescriptorProto)
		widen = func(m *descriptorpb.DescriptorProto) {
			m.OneofDecl = nil
			if m.Options != nil {
				m.Options.MapEntry = nil
			}
			for _, f := range m.Field {
				f.OneofIndex, f.Proto3Optional = nil, nil
				f.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
				switch f.GetType() {
				case descriptorpb.FieldDescriptorProto_TYPE_INT32, descriptorpb.FieldDescriptorProto_TYPE_ENUM:
					f.Type, f.TypeName = descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum(), nil
				case descriptorpb.FieldDescriptorProto_TYPE_UINT32:
					f.Type = descriptorpb.FieldDescriptorProto_TYPE_UINT64.Enum()
				case descriptorpb.FieldDescriptorProto_TYPE_SINT32:
					f.Type = descriptorpb.FieldDescriptorProto_TYPE_SINT64.Enum()
				}
			}
			for _, n := range m.NestedType {
				widen(n)
			}
		}
		for _, m := range fp.MessageType {
			widen(m)
		}
		set.File = append(set.File, fp)
	}
	add(pb.File_dialgate_v1_gate_proto)
	add(pb.File_dialgate_v1_admin_proto)
	add(structpb.File_google_protobuf_struct_proto)
	files, err := protodesc.NewFiles(set)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// wideOverflow reports whether the wide message m (of wideFiles) holds a
// value that does not fit the 32-bit field of the same name in the
// server's .proto, in m or below it.
func wideOverflow(m protoreflect.Message) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		l := v.List()
		for i := 0; i < l.Len() && !found; i++ {
			if fd.Message() != nil {
				found = wideOverflow(l.Get(i).Message())
				continue
			}
			d, err := protoregistry.GlobalFiles.FindDescriptorByName(fd.FullName())
			if err != nil {
				continue
			}
			switch d.(protoreflect.FieldDescriptor).Kind() {
			case protoreflect.Int32Kind, protoreflect.EnumKind, protoreflect.Sint32Kind:
				x := l.Get(i).Int()
				found = x < math.MinInt32 || x > math.MaxInt32
			case protoreflect.Uint32Kind:
				found = l.Get(i).Uint() > math.MaxUint32
			}
		}
		return !found
	})
	return found
}

// FuzzOverflowed: overflowed never panics on the bytes of any request that
// decodes, and names a field exactly when one occurrence of a 32-bit varint
// field somewhere in it does not fit (the oracle: protobuf itself, decoding
// the bytes into the wide types of wideFiles). A field sent with another
// wire type (mistyped, refused first) is left out.
func FuzzOverflowed(f *testing.F) {
	wide := wideFiles(f)
	var types []protoreflect.MessageDescriptor
	for _, m := range requestMethods() {
		types = append(types, m.Input())
	}
	types = append(types, (&structpb.Struct{}).ProtoReflect().Descriptor())
	good, _ := proto.Marshal(&pb.CheckStreamRequest{RequestId: "r-1", Dial: okDial("+8613900139045")})
	f.Add(good)
	f.Add(varintAt([]protoreflect.FieldDescriptor{pb.File_dialgate_v1_gate_proto.Messages().ByName("CheckRequest").Fields().ByNumber(1),
		pb.File_dialgate_v1_gate_proto.Messages().ByName("Dial").Fields().ByNumber(3)}, 1<<32+2))
	f.Add(protowire.AppendBytes(protowire.AppendTag(nil, 7, protowire.BytesType), []byte{1, 2, 0x81, 0x80, 0x80, 0x80, 0x10}))
	st, _ := structpb.NewStruct(map[string]any{"a": []any{1.0, nil, map[string]any{"b": nil}}})
	sb, _ := proto.Marshal(st)
	f.Add(sb)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, md := range types {
			// The generated type, as the server decodes (dynamicpb's
			// decoding of a map panics on some bytes).
			mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
			if err != nil {
				t.Fatal(err)
			}
			m := mt.New().Interface()
			if proto.Unmarshal(b, m) != nil || mistyped(m.ProtoReflect(), "") != "" {
				continue
			}
			msg := overflowed(b, md, "")
			wd, err := wide.FindDescriptorByName(md.FullName())
			if err != nil {
				t.Fatal(err)
			}
			w := dynamicpb.NewMessage(wd.(protoreflect.MessageDescriptor))
			if err := proto.Unmarshal(b, w); err != nil {
				t.Fatalf("%s: decodes, but not as its wide type: %v", md.FullName(), err)
			}
			if want := wideOverflow(w); (msg != "") != want {
				t.Fatalf("%s: overflowed %q, want a field named: %v", md.FullName(), msg, want)
			}
		}
	})
}

// BenchmarkOverflowed is the codec's read for 32-bit fields sent a wider
// varint on a Check request as dialers send it (none): it runs on every
// request decoded.
func BenchmarkOverflowed(b *testing.B) {
	d := okDial("+8613900139072")
	d.TriggerAt = timestamppb.Now()
	d.Route = pb.Route_ROUTE_DOMESTIC
	raw, err := proto.Marshal(&pb.CheckRequest{Dial: d})
	if err != nil {
		b.Fatal(err)
	}
	md := (&pb.CheckRequest{}).ProtoReflect().Descriptor()
	b.ReportAllocs()
	for b.Loop() {
		if overflowed(raw, md, "") != "" {
			b.Fatal("overflowed")
		}
	}
}
