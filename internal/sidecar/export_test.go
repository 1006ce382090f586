package sidecar

import (
	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// DialFromProto exposes the request conversion to the benchmarks.
func DialFromProto(p *pb.Dial) (dialgate.Dial, error) { return dialFromProto("dial", p) }
