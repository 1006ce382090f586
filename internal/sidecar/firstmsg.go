package sidecar

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/tap"
)

// errFirstMessageLate is the cause of a call's context cancelled because
// its request did not arrive within Config.FirstMessageTimeout.
var errFirstMessageLate = errors.New("sidecar: the request message did not arrive within first_message_timeout")

// firstMessage bounds how long a call whose request is one message (every
// unary call, and a server-streaming one such as health Watch) may wait for
// that message once its headers are in. grpc-go has no such bound
// (ConnectionTimeout covers the handshake only; keepalive's
// MaxConnectionAge would cut long streams too): a client that sends the
// headers of a health Check — which needs no token — and never its request
// holds a server goroutine and one of the connection's max_streams until
// it disconnects. Calls whose client streams (CheckStream) may wait between
// messages, and are not bounded.
type firstMessage struct {
	timeout time.Duration
	once    sync.Once
	// clientStreams holds the full names of the client-streaming methods
	// (learn stores it at the first Serve, once every service is
	// registered). Until then no call is bounded: a server served through
	// GRPC().Serve directly is not.
	clientStreams atomic.Pointer[map[string]bool]
}

// learn records the client-streaming methods of srv's services: those a
// caller may register through Server.GRPC included. Only the first call
// does anything.
func (f *firstMessage) learn(srv *grpc.Server) {
	f.once.Do(func() {
		m := map[string]bool{}
		for name, si := range srv.GetServiceInfo() {
			for _, md := range si.Methods {
				if md.IsClientStream {
					m["/"+name+"/"+md.Name] = true
				}
			}
		}
		f.clientStreams.Store(&m)
	})
}

type firstMessageKey struct{}

// tap gives a call whose request is one message a context cancelled (cause
// errFirstMessageLate) unless its request arrived within f.timeout: the
// transport then ends the stream, freeing its goroutine and slot.
func (f *firstMessage) tap(ctx context.Context, info *tap.Info) context.Context {
	if f == nil || f.timeout <= 0 {
		return ctx
	}
	if cs := f.clientStreams.Load(); cs == nil || (*cs)[info.FullMethodName] {
		return ctx
	}
	ctx, cancel := context.WithCancelCause(ctx)
	t := time.AfterFunc(f.timeout, func() { cancel(errFirstMessageLate) })
	return context.WithValue(ctx, firstMessageKey{}, t)
}

// arrived stops ctx's first-message timer: the request is in.
func arrived(ctx context.Context) {
	if t, _ := ctx.Value(firstMessageKey{}).(*time.Timer); t != nil {
		t.Stop()
	}
}

// unaryInterceptor runs once a unary call's request is in.
func (f *firstMessage) unaryInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	arrived(ctx)
	return handler(ctx, req)
}

// streamInterceptor stops the timer at the stream's first message.
func (f *firstMessage) streamInterceptor(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if t, _ := ss.Context().Value(firstMessageKey{}).(*time.Timer); t != nil {
		ss = &firstMessageStream{ServerStream: ss, timer: t}
	}
	return handler(srv, ss)
}

// firstMessageStream stops its call's first-message timer at the first
// message received.
type firstMessageStream struct {
	grpc.ServerStream
	timer *time.Timer
}

// RecvMsg receives a message and stops the timer.
func (s *firstMessageStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil {
		s.timer.Stop()
	}
	return err
}
