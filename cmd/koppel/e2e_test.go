package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminal is the built binary in a real pseudo-terminal.
type terminal struct {
	t   *testing.T
	cmd *exec.Cmd
	tty io.ReadWriteCloser
	mu  sync.Mutex
	out bytes.Buffer
}

func startTerminal(t *testing.T, c *cli, args ...string) *terminal {
	t.Helper()
	if ptm, tty, err := pty.Open(); err != nil {
		t.Skipf("this machine has no pseudo-terminals: %v", err)
	} else {
		ptm.Close()
		tty.Close()
	}
	cmd := exec.Command(koppelBin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(c.env, "TERM=xterm-256color", "NO_COLOR=1")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, cmd: cmd, tty: tty}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			// Answer the background-colour query a real terminal answers (Bubble Tea v1 asks at
			// start and waits 5 s for an answer otherwise).
			if bytes.Contains(buf[:n], []byte("\x1b]11;?")) {
				_, _ = tty.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[24;1R"))
			}
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = tty.Close() })
	return term
}

// waitFor waits until the terminal has shown want since the last wait.
func (term *terminal) waitFor(want string) {
	term.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		term.mu.Lock()
		i := bytes.Index(term.out.Bytes(), []byte(want))
		if i >= 0 {
			term.out.Next(i + len(want))
			term.mu.Unlock()
			return
		}
		term.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	term.mu.Lock()
	defer term.mu.Unlock()
	term.t.Fatalf("terminal never showed %q; last output:\n%s", want, term.out.String())
}

// waitForAny waits until the terminal has shown one of wants since the last wait.
func (term *terminal) waitForAny(wants ...string) {
	term.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		term.mu.Lock()
		for _, want := range wants {
			if i := bytes.Index(term.out.Bytes(), []byte(want)); i >= 0 {
				term.out.Next(i + len(want))
				term.mu.Unlock()
				return
			}
		}
		term.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	term.mu.Lock()
	defer term.mu.Unlock()
	term.t.Fatalf("terminal never showed one of %q; last output:\n%s", wants, term.out.String())
}

func (term *terminal) press(keys string) {
	term.t.Helper()
	if _, err := term.tty.Write([]byte(keys)); err != nil {
		term.t.Fatal(err)
	}
}

func TestDemoInARealTerminal(t *testing.T) {
	c := newCLI(t)
	term := startTerminal(t, c, "demo", "--employees", "300")
	term.waitFor("demo")
	term.waitFor("r run")
	term.press("r")
	term.waitFor("Klaar. Geleverd in")
	term.press("q") // back to the accounts
	term.waitFor("klantaccounts")
	term.press("q")
	done := make(chan error, 1)
	go func() { done <- term.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("koppel demo: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("koppel demo did not quit on q")
	}

	out, errOut, code := c.run("runs", "demo", "--json")
	if code != 0 {
		t.Fatalf("runs: exit %d %s", code, errOut)
	}
	var r struct {
		Status   string `json:"status"`
		Delivery string `json:"delivery"`
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil || r.Status != "ok" || len(lines) != 1 {
		t.Fatalf("runs demo --json: %q", out)
	}
	if filepath.Base(filepath.Dir(r.Delivery)) != "demo" {
		t.Errorf("delivery %s", r.Delivery)
	}
}
