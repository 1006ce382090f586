package boltstore_test

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// TestMain lets the test binary act as a second process holding a store: with
// DIALGATE_TEST_HOLD=path it opens the store, says "held", and keeps it until
// its stdin closes.
func TestMain(m *testing.M) {
	if path := os.Getenv(killEnvPath); path != "" {
		round, _ := strconv.Atoi(os.Getenv(killEnvRound))
		killChild(path, round)
	}
	if path := os.Getenv(killRunsEnv); path != "" {
		round, _ := strconv.Atoi(os.Getenv(killEnvRound))
		killRunsChild(path, round)
	}
	if path := os.Getenv("DIALGATE_TEST_HOLD"); path != "" {
		s, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("held\n")
		io.Copy(io.Discard, os.Stdin)
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestSecondProcessIsLocked(t *testing.T) {
	path := validFile(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DIALGATE_TEST_HOLD="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "held\n" {
		t.Fatalf("child: %q, %v", line, err)
	}
	s, err := boltstore.Open(path, boltstore.Options{LockTimeout: 200 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded while another process holds the file")
	}
	if !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("Open = %v, want storage.ErrLocked", err)
	}
	t.Log(err)
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	s, err = boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatalf("Open after the other process exited: %v", err)
	}
	s.Close()
}
