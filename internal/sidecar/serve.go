package sidecar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"time"

	"github.com/dialgate/dialgate/policy"
)

// Serve is `dialgate serve`: it validates cfg and the files it names
// (CheckFiles; Open loads the profile and the registry snapshots before it
// makes anything), logs as JSON to logw, opens the Backend (Open), and runs
// the Server until ctx is cancelled (the command cancels it on SIGTERM or
// SIGINT), then shuts down gracefully: NOT_SERVING, drain, GracefulStop,
// audit log flushed, store closed. ready, if not nil, is called once the gRPC
// and metrics listeners are open. While it runs, the registry snapshot files,
// the tokens file, the TLS files and the blackouts file are looked at every
// Config.RegistryReload and at once on SIGHUP; a changed copy is loaded and
// put in force (Backend.ReloadRegistries, Backend.ReloadBlackouts,
// Server.Reload), a bad one is refused and logged, and the copy in force
// stays — except a blackouts file's: while it cannot be loaded every dial
// the schedule judges is denied (schedule.unavailable). Every
// RegistryCheckInterval the files the registry copies are memory-mapped from
// are checked for a write in place (Backend.CheckRegistries): such a copy is
// withdrawn, every dial of the profile denied, until a copy loads cleanly.
// SIGHUP never stops the server.
func Serve(ctx context.Context, cfg Config, logw io.Writer, ready func(grpcAddr, metricsAddr net.Addr)) error {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := CheckFiles(cfg); err != nil {
		return err
	}
	if cfg.Unix != "" {
		// Refused before the data directory is made; Listen checks again.
		if err := checkUnixPath(cfg.Unix); err != nil {
			return err
		}
	}
	// From here on a SIGHUP waits for the watcher instead of ending the
	// process with its default action.
	hup, stopHUP := catchHUP()
	defer stopHUP()
	log := NewLogger(cfg, logw)
	be, err := Open(ctx, cfg, log)
	if errors.Is(err, ErrConfig) {
		return err
	}
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv, err := NewServer(cfg, be, log)
	if err != nil {
		_ = be.Close(context.Background())
		return fmt.Errorf("serve: %w", err)
	}
	reload := func(force bool) error {
		var errs []error
		if be.ReloadRegistries != nil {
			errs = append(errs, be.ReloadRegistries(force))
		}
		if be.ReloadBlackouts != nil {
			errs = append(errs, be.ReloadBlackouts(force))
		}
		return errors.Join(append(errs, srv.Reload(force))...)
	}
	stop := watchReloadOn(ctx, hup, reload, time.Duration(cfg.RegistryReload))
	defer stop()
	if be.CheckRegistries != nil {
		// No signal channel: a nil channel never delivers, so this only ticks.
		stopCheck := watchReloadOn(ctx, nil, func(bool) error { return be.CheckRegistries() }, RegistryCheckInterval) // withdrawals are logged
		defer stopCheck()
	}
	return srv.Run(ctx, ready)
}

// CheckFiles reads the files of cfg that the operator provides and the
// server loads — the tokens file, the TLS certificate, key and client CAs,
// the fleet's HMAC key file, the blackouts file — and returns the first problem (missing,
// unreadable, malformed), wrapping ErrConfig and naming the file. Serve calls
// it before Open, so a bad file is refused before the data directory and
// its keys are made. (Open refuses a bad profile or registry snapshot
// before it makes anything, too.)
func CheckFiles(cfg Config) error {
	asConfig := func(err error) error {
		if errors.Is(err, ErrConfig) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if cfg.TokensFile != "" {
		if _, err := LoadTokens(cfg.TokensFile); err != nil {
			return asConfig(err)
		}
	}
	if cfg.TLS.Enabled() {
		bs, _, err := readFiles(tlsFiles(cfg.TLS))
		if err != nil {
			return asConfig(err)
		}
		if _, err := cfg.TLS.parse(bs, false); err != nil {
			return asConfig(err)
		}
	}
	if cfg.HMACKeyFile != "" {
		if _, err := readHMACKey(cfg.HMACKeyFile); err != nil {
			if errors.Is(err, ErrConfig) { // its mode: names the file already
				return err
			}
			return asConfig(fmt.Errorf("hmac_key_file: %w", err))
		}
	}
	if cfg.BlackoutsFile != "" {
		if err := checkBlackoutsFile(cfg.BlackoutsFile); err != nil {
			return asConfig(err)
		}
	}
	return checkProfileFile(cfg.WithDefaults().Profile)
}

// checkProfileFile refuses (wrapping ErrConfig, naming the file and its
// mode) a profile given as a file that other users may write, or that
// extends such a file: it holds the rules themselves, and whoever may
// write it could drop the do-not-call check or the calling windows at the
// next start. A built-in profile name is not a file; a profile that does
// not load is left for policy.Load (Open) to name.
func checkProfileFile(profile string) error {
	if slices.Contains(policy.Builtins(), profile) {
		return nil
	}
	if _, err := os.Stat(profile); err != nil {
		return nil // not a file: policy.Load names the problem
	}
	if err := checkFileMode("profile", profile, "", ""); err != nil {
		return err
	}
	_, files, err := policy.LoadWithFiles(profile)
	if err != nil {
		return nil // policy.Load (Open) names the problem
	}
	return checkProfileFiles(files)
}

// checkProfileFiles refuses (checkFileMode) any of files, a profile file
// and the files of its extends chain (policy.LoadWithFiles), that other
// users may write.
func checkProfileFiles(files []string) error {
	for i, f := range files {
		key := "profile"
		if i > 0 {
			key = "profile's extends"
		}
		if err := checkFileMode(key, f, "", ""); err != nil {
			return err
		}
	}
	return nil
}
