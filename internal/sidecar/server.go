package sidecar

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// Health service names the server reports besides "" (the whole server).
const (
	HealthGate  = "dialgate.v1.GateService"
	HealthAdmin = "dialgate.v1.AdminService"
	// HealthComponentPrefix prefixes each Probe's name: "component/store".
	HealthComponentPrefix = "component/"
)

// ConnectionTimeout bounds a new connection's TLS and HTTP/2 handshake
// (grpc.ConnectionTimeout): a connection that does not finish it in time
// is closed, freeing its place among Config.MaxConnections.
const ConnectionTimeout = 10 * time.Second

// Server is the sidecar's gRPC server. Create it with NewServer, run it with
// Serve (or Run), stop it with Shutdown. Its methods are safe for concurrent
// use; Shutdown may be called more than once.
type Server struct {
	cfg    Config
	be     *Backend
	log    *slog.Logger
	grpc   *grpc.Server
	health *health.Server
	m      *metrics
	tokens *fileReloader[Tokens]     // nil without a tokens file
	tls    *fileReloader[tls.Config] // nil without TLS
	// handshakeLog limits the Warn lines of refused TLS handshakes,
	// handshakeDebugLog the Debug ones (connections closed before the end).
	handshakeLog, handshakeDebugLog *logLimiter
	// firstMessage bounds the wait for a call's request (first_message_timeout).
	firstMessage *firstMessage
	// listenTCP opens the TCP listeners (net.Listen; replaced in tests).
	listenTCP func(network, address string) (net.Listener, error)

	stopProbes chan struct{}
	probesDone chan struct{}
	// probeMu serialises probe; probeRuns holds, by index in
	// Backend.Probes, the run of a probe that did not answer in time and
	// has not returned yet (it receives its result when it does).
	probeMu   sync.Mutex
	probeRuns map[int]chan error
	// stopStreams is closed at shutdown, after the drain, to end the
	// health Watch streams (see healthService) and the CheckStreams (each
	// answers its dials in flight first).
	stopStreams chan struct{}
	stopped     chan struct{} // closed when the first Shutdown has returned
	mu          sync.Mutex
	shutdown    bool
	metricsSrv  *http.Server
	closeErr    error
	closeOnce   sync.Once
}

// NewServer builds a Server over be from cfg (defaults applied, validated).
// It loads the TLS files and the tokens file named in cfg (Reload reads them
// again). log may be nil (discard). The Backend's Close is called by
// Shutdown.
func NewServer(cfg Config, be *Backend, log *slog.Logger) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if be == nil || be.Gate == nil {
		return nil, fmt.Errorf("%w: backend: nil gate", ErrConfig)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, be: be, log: log, health: health.NewServer(), m: newMetrics(be.SnapshotAges, be.HolidayDataLeft, be.CounterSize, be.CounterJournal, be.CounterExpiry),
		stopProbes: make(chan struct{}), probesDone: make(chan struct{}), stopStreams: make(chan struct{}),
		stopped: make(chan struct{}), listenTCP: net.Listen,
		handshakeLog:      &logLimiter{burst: handshakeLogBurst, every: handshakeLogInterval, now: time.Now},
		handshakeDebugLog: &logLimiter{burst: handshakeLogBurst, every: handshakeLogInterval, now: time.Now}}
	s.m.initReasons(be.Gate.Shadow())
	if be.blackouts != nil {
		be.blackouts.r.useMetrics(s.m, be.blackouts.loadedAt)
	}
	auth := tokenAuth{current: func() *Tokens { return nil }}
	if cfg.TokensFile != "" {
		r, err := newTokenReloader(cfg.TokensFile, log, s.m)
		if err != nil {
			return nil, err
		}
		s.tokens = r
		auth.current = r.Load
		auth.refused = s.m.refusedAuth
		auth.logTap = s.logCall
		s.m.initAuth()
	}

	fm := &firstMessage{timeout: time.Duration(cfg.FirstMessageTimeout)}
	s.firstMessage = fm
	codec := newRequestCodec()
	opts := []grpc.ServerOption{
		// A request that is not UTF-8 where the proto wants a string, or not
		// protobuf, is InvalidArgument naming the field (and one bad
		// CheckStream request does not end the stream), not gRPC's Internal.
		grpc.ForceServerCodecV2(codec),
		grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
		grpc.MaxConcurrentStreams(uint32(cfg.MaxStreams)),
		grpc.MaxHeaderListSize(uint32(cfg.MaxHeaderBytes)),
		// A connection holds one of max_connections from its accept:
		// one that does not finish its TLS and HTTP/2 handshake within
		// this is closed (grpc-go's default is 120s).
		grpc.ConnectionTimeout(ConnectionTimeout),
		// A Stop after the grace period returns only once every handler
		// has returned, so the back end (audit log, store) is closed after
		// its last use, not under a handler still writing to it.
		grpc.WaitForHandlers(true),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// The token's check comes before the codec's (auth refuses a call
		// before its message is read, at the tap; these interceptors check
		// it again, a stream's at each message): a call whose token was
		// removed by a reload since the tap, or a stream opened with one,
		// is Unauthenticated whatever its message holds, never answered
		// about a message the codec refused. A repaired message carries
		// its own mark, so one that reaches neither (gRPC failed the call
		// after decoding it) holds nothing.
		grpc.ChainUnaryInterceptor(s.recoverUnary, fm.unaryInterceptor, auth.unaryInterceptor, codec.unaryInterceptor),
		grpc.ChainStreamInterceptor(s.recoverStream, fm.streamInterceptor, auth.streamInterceptor, codec.streamInterceptor),
		// At a call's headers: its token (with a tokens file), then the
		// bound on the wait for its request.
		grpc.InTapHandle(func(ctx context.Context, info *tap.Info) (context.Context, error) {
			if s.tokens != nil {
				var err error
				if ctx, err = auth.tap(ctx, info); err != nil {
					return ctx, err
				}
			}
			return fm.tap(ctx, info), nil
		}),
	}
	if cfg.TLS.Enabled() {
		r, err := newTLSReloader(cfg.TLS, log, s.m)
		if err != nil {
			return nil, err
		}
		s.tls = r
		s.m.certExpiry(func() time.Time { return certNotAfter(r) })
		// A refused handshake is counted and logged (rate-limited):
		// grpc-go drops its error, and the dialer sees only Unavailable.
		s.m.initHandshakes()
		hw := newHandshakeWatch(log, s.m, s.handshakeLog, s.handshakeDebugLog)
		opts = append(opts, grpc.Creds(watchedCreds{TransportCredentials: credentials.NewTLS(serverTLS(r)), failed: hw.failed}))
	}
	if be.RegistriesRefused != nil {
		s.m.registryRefusals(be.RegistriesRefused)
	}
	s.grpc = grpc.NewServer(opts...)
	clock := be.Clock
	if clock == nil {
		clock = dialgate.SystemClock{}
	}
	// One memory of decision owners for both services: AdminService's
	// RegisterRecording links a recording to a decision as ReportOutcome does.
	owners := newDecisionOwners()
	pb.RegisterGateServiceServer(s.grpc, &gateServer{gate: be.Gate, m: s.m, workers: cfg.StreamWorkers, owners: owners,
		recovered: s.recovered, log: log, stop: s.stopStreams, storeGuard: be.afterRelease != nil})
	// The Gate's release guard (in the store) tells of an outcome after a
	// release, whichever sidecar received the release; the Gate logs it.
	be.afterRelease.set(func(context.Context, string) { s.m.outcomeAfterRelease() })
	pb.RegisterAdminServiceServer(s.grpc, &adminServer{be: be, now: clock.Now, log: log, owners: owners,
		auth: adminAuth{tokens: cfg.TokensFile != "", mtls: cfg.TLS.ClientCAFile != ""}})
	healthpb.RegisterHealthServer(s.grpc, healthService{Server: s.health, stop: s.stopStreams})
	if cfg.Reflection {
		reflection.Register(s.grpc)
	}
	if cfg.Insecure {
		log.Warn("sidecar: insecure mode: a non-loopback listener may run without TLS or tokens")
	}
	if s.tokens == nil {
		log.Warn("sidecar: no tokens file: every local client may call GateService and AdminService")
	} else if s.tokens.Load().Len() == 0 {
		log.Warn("sidecar: the tokens file lists no token (tokens: []): every call but health is refused")
	}
	if be.Gate.Shadow() {
		log.Warn("sidecar: the gate runs in SHADOW MODE: decisions are recorded but not enforced")
	}
	s.probe(context.Background())
	go s.probeLoop()
	return s, nil
}

// Reload reads the tokens file and the TLS files again and puts a changed
// copy in force: new tokens for the next RPC (and the next message of an
// open stream), new certificates for the next handshake. A copy that fails
// to load is refused, logged and counted (dialgate_reloads_total), and the
// copy in force stays. force (SIGHUP) logs unchanged files too. It returns
// the refusals, joined. A server without a tokens file or TLS has nothing of
// that kind to reload. Registry snapshots are the Backend's
// (Backend.ReloadRegistries).
func (s *Server) Reload(force bool) error {
	var errs []error
	if s.tokens != nil {
		errs = append(errs, s.tokens.Reload(force))
	}
	if s.tls != nil {
		errs = append(errs, s.tls.Reload(force))
	}
	return errors.Join(errs...)
}

// Config returns the server's configuration with defaults applied.
func (s *Server) Config() Config { return s.cfg }

// GRPC returns the underlying *grpc.Server (to register more services before
// Serve).
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// MetricsHandler returns the Prometheus handler of the server's registry.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{})
}

// Listen opens the listener the configuration names: the Unix socket or the
// TCP address. The Unix socket is mode 0660 from the moment its path names it,
// whatever the umask (bound and chmod'ed in a private directory beside it,
// then linked or renamed into place); a stale socket at the path (nobody
// listening) is replaced, while a live server's socket is refused, and so is
// a path that is not a socket (wrapping ErrConfig: a file, a directory or a
// symlink there is never replaced or followed). Closing the listener removes
// the socket only while the path still names it. A TCP listener whose
// address is not loopback (a host name such as localhost that resolved
// elsewhere) is closed and refused, wrapping ErrConfig, unless TLS and a
// tokens file are configured or Insecure.
func (s *Server) Listen() (net.Listener, error) {
	if s.cfg.Unix != "" {
		return listenUnix(s.cfg.Unix, nil)
	}
	lis, err := s.listenTCP("tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if err := s.cfg.checkBound("listen", lis.Addr()); err != nil {
		lis.Close()
		return nil, err
	}
	if s.cfg.exposed("listen", lis.Addr()) {
		s.log.Warn("sidecar: serving gRPC on a non-loopback address without TLS and tokens (insecure)", "addr", lis.Addr().String(),
			"tls", s.cfg.TLS.Enabled(), "tokens", s.cfg.TokensFile != "")
	}
	return lis, nil
}

// Serve serves gRPC on lis until Shutdown, holding at most
// Config.MaxConnections of its connections at once (netutil.LimitListener:
// one over it is accepted only once another closed). It returns nil after
// a Shutdown.
func (s *Server) Serve(lis net.Listener) error {
	s.firstMessage.learn(s.grpc)
	err := s.grpc.Serve(netutil.LimitListener(lis, s.cfg.MaxConnections))
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Run listens as configured, serves gRPC and the metrics endpoint, and on
// ctx's cancellation (SIGTERM in `dialgate serve`) shuts down gracefully. ready,
// if not nil, is called with the gRPC and metrics addresses once both listen.
func (s *Server) Run(ctx context.Context, ready func(grpcAddr, metricsAddr net.Addr)) error {
	lis, err := s.Listen()
	if err != nil {
		s.closeBackend(context.Background())
		return err
	}
	var maddr net.Addr
	if s.cfg.MetricsListen != "off" {
		mlis, err := s.listenTCP("tcp", s.cfg.MetricsListen)
		if err != nil {
			lis.Close()
			s.closeBackend(context.Background())
			return fmt.Errorf("metrics_listen: %w", err)
		}
		if err := s.cfg.checkBound("metrics_listen", mlis.Addr()); err != nil {
			mlis.Close()
			lis.Close()
			s.closeBackend(context.Background())
			return err
		}
		maddr = mlis.Addr()
		if s.cfg.exposed("metrics_listen", maddr) {
			s.log.Warn("sidecar: serving metrics without authentication on a non-loopback address (insecure)", "addr", maddr.String())
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", s.MetricsHandler())
		// Bounds on a scrape: a client that sends its request or reads the
		// answer slowly, or keeps an idle connection, must not hold a
		// goroutine for ever (Prometheus's scrape timeout is 10s by default).
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10}
		s.mu.Lock()
		s.metricsSrv = srv
		s.mu.Unlock()
		go func() {
			if err := srv.Serve(mlis); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("sidecar: metrics server failed", "err", err)
			}
		}()
	}
	metrics := "off"
	if maddr != nil {
		metrics = maddr.String()
	}
	s.log.Info("sidecar: serving", "addr", lis.Addr().String(), "metrics", metrics,
		"tls", s.cfg.TLS.Enabled(), "mtls", s.cfg.TLS.ClientCAFile != "", "tokens", s.cfg.TokensFile != "",
		"reflection", s.cfg.Reflection, "profile", s.cfg.Profile, "policy_version", s.be.Gate.PolicyVersion())
	if ready != nil {
		ready(lis.Addr(), maddr)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(lis) }()
	select {
	case err := <-errc:
		s.Shutdown(context.Background())
		return err
	case <-ctx.Done():
		s.log.Info("sidecar: shutting down")
		err := s.Shutdown(context.Background())
		<-errc
		return err
	}
}

// Shutdown stops the server gracefully: every health status goes to
// NOT_SERVING, the server keeps answering for the configured drain time, then
// ends the health Watch streams and, once their dials in flight are
// answered, the CheckStreams (Unavailable), stops accepting calls and
// waits (up to shutdown_grace) for calls in flight;
// finally the Backend's Close flushes the audit log and closes the stores.
// It returns the Close error; later calls wait for the first to finish (or
// their ctx to end) and return the same.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	first := !s.shutdown
	s.shutdown = true
	msrv := s.metricsSrv
	s.mu.Unlock()
	if first {
		// Every service NOT_SERVING at once, not after a probe in progress
		// (up to probeTimeout each): the health server ignores the statuses
		// that probe sets after this.
		s.health.Shutdown()
		close(s.stopProbes)
		<-s.probesDone
		if d := time.Duration(s.cfg.Drain); d > 0 {
			s.log.Info("sidecar: draining", "for", d.String())
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		// Health watchers have seen NOT_SERVING; their streams, and the
		// dialers' CheckStreams, would otherwise hold the graceful stop
		// until the grace runs out.
		close(s.stopStreams)
		done := make(chan struct{})
		go func() { s.grpc.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Duration(s.cfg.ShutdownGrace)):
			s.log.Warn("sidecar: grace period over; cutting open calls")
			s.grpc.Stop()
			<-done
		case <-ctx.Done():
			s.grpc.Stop()
			<-done
		}
		if msrv != nil {
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = msrv.Shutdown(sctx)
			cancel()
		}
		err := s.closeBackend(ctx)
		close(s.stopped)
		return err
	}
	// Another call is stopping the server: closing the back end now would
	// close it under the calls that one still waits for.
	select {
	case <-s.stopped:
		return s.closeBackend(ctx) // done: the first call's result
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) closeBackend(ctx context.Context) error {
	s.closeOnce.Do(func() {
		if s.be.Close != nil {
			s.closeErr = s.be.Close(ctx)
			if s.closeErr != nil {
				s.log.Error("sidecar: closing the backend failed", "err", s.closeErr)
			} else {
				s.log.Info("sidecar: audit log flushed, stores closed")
			}
		}
	})
	return s.closeErr
}

func (s *Server) probeLoop() {
	defer close(s.probesDone)
	t := time.NewTicker(time.Duration(s.cfg.HealthInterval))
	defer t.Stop()
	for {
		select {
		case <-s.stopProbes:
			return
		case <-t.C:
			s.probe(context.Background())
		}
	}
}

// probeTimeout bounds one run of a Probe: one that has not answered by then
// fails its component (NOT_SERVING).
const probeTimeout = time.Second

// probe runs every Probe and sets the health statuses: each component's own,
// and "", GateService and AdminService SERVING only when every probe passes.
// A probe that has not answered within probeTimeout fails, even one that
// ignores its context (a store or an audit directory on a disk that stopped
// answering): it is left running, not waited for, and not started again
// (its component stays NOT_SERVING) until it has returned — so a hung
// component neither keeps the server SERVING nor holds the other probes or
// a shutdown.
func (s *Server) probe(ctx context.Context) {
	s.probeMu.Lock()
	defer s.probeMu.Unlock()
	if s.probeRuns == nil {
		s.probeRuns = make(map[int]chan error)
	}
	ok := true
	for i, p := range s.be.Probes {
		err := s.runProbe(ctx, i, p)
		st := healthpb.HealthCheckResponse_SERVING
		if err != nil {
			ok = false
			st = healthpb.HealthCheckResponse_NOT_SERVING
			s.log.Warn("sidecar: component unhealthy", "component", p.Name, "err", err)
		}
		s.health.SetServingStatus(HealthComponentPrefix+p.Name, st)
	}
	st := healthpb.HealthCheckResponse_SERVING
	if !ok {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	for _, name := range []string{"", HealthGate, HealthAdmin} {
		s.health.SetServingStatus(name, st)
	}
}

// runProbe runs Probe i (p) and returns its error, or an error of its own
// when it does not answer within probeTimeout or an earlier run of it has
// not returned yet. Called with s.probeMu held.
func (s *Server) runProbe(ctx context.Context, i int, p Probe) error {
	if prev, running := s.probeRuns[i]; running {
		select {
		case <-prev: // the hung run returned at last: its answer is stale, run again
			delete(s.probeRuns, i)
		default:
			return fmt.Errorf("an earlier probe has not answered for over %v", probeTimeout)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	done := make(chan error, 1)
	go func() {
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("probe panicked: %v", r)
			}
		}()
		done <- p.Check(pctx)
	}()
	t := time.NewTimer(probeTimeout + probeTimeout/10)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		s.probeRuns[i] = done
		return fmt.Errorf("no answer within %v", probeTimeout)
	}
}

func (s *Server) recovered(method string, p any) error {
	s.log.Error("sidecar: panic in handler", "method", method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	return status.Error(codes.Internal, "internal error; do not dial")
}

func (s *Server) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, s.recovered(info.FullMethod, p)
		}
	}()
	resp, err = handler(ctx, req)
	s.logCall(info.FullMethod, err)
	return resp, err
}

func (s *Server) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = s.recovered(info.FullMethod, p)
		}
	}()
	err = handler(srv, ss)
	s.logCall(info.FullMethod, err)
	return err
}

// logCall logs failed calls. Status messages built by this package name
// fields, never callee digits, so they may be logged.
func (s *Server) logCall(method string, err error) {
	if err == nil {
		return
	}
	st := status.Convert(err)
	switch st.Code() {
	case codes.InvalidArgument, codes.NotFound, codes.AlreadyExists, codes.FailedPrecondition, codes.Unauthenticated, codes.PermissionDenied, codes.Canceled, codes.Unimplemented:
		s.log.Debug("sidecar: call rejected", "method", method, "code", st.Code().String(), "msg", st.Message())
	default:
		s.log.Warn("sidecar: call failed", "method", method, "code", st.Code().String(), "msg", st.Message())
	}
}

// parseLevel parses a log level name.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown level %q (want debug, info, warn or error)", s)
}

// NewLogger returns a JSON slog logger at the configured level writing to w.
func NewLogger(cfg Config, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	lvl, _ := parseLevel(cfg.LogLevel)
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl}))
}
