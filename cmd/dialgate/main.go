// Command dialgate decides whether outbound calls may be placed, explains and
// lints jurisdiction profiles, and runs the auditor's scenario files.
//
//	dialgate check --to +8613800138000 --from +861058001234 --purpose service --lead-id crm-1
//	dialgate policy explain cn
//	dialgate scenarios run examples/scenarios
//
// Exit codes: 0 allowed / everything passed, 1 denied / something failed,
// 2 bad input (the message names the flag or file and the problem).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// run runs the dialgate command line with args (without the program name),
// reading stdin from the process, and writes messages for errors to stderr.
// The returned error carries the exit code (see exitCode).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return newApp(os.Stdin, stdout, stderr).run(ctx, args)
}

// The exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // denied, a step or a lint failed, or the command could not do its job
	exitBadArgs = 2 // bad input: a flag, an argument, a file
)

// exitError is an error that ends the process with a given exit code. An empty
// message means the command already said everything (a denial).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr is a bad-input error (exit 2).
func usageErr(format string, args ...any) error {
	return &exitError{code: exitBadArgs, err: fmt.Errorf(format, args...)}
}

// failErr is a failure (exit 1) with a message.
func failErr(err error) error {
	return &exitError{code: exitFailed, err: err}
}

// silent returns an error with the code and no message.
func silent(code int) error {
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}

// exitCode returns the process exit code for an error returned by run: 0 for
// nil, the code an *exitError carries, 1 otherwise.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitFailed
}
