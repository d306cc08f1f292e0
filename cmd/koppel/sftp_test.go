package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
	"github.com/koppel-nl/koppel/sync/sftp/sshdtest"
)

// switchable is a TCP forwarder on a fixed loopback port in front of sshd: down() makes the port
// refuse connections (and cuts open ones), up() serves it again. The profile names its port, so
// the "server" can go away and come back with the same address and host key.
type switchable struct {
	t      *testing.T
	target string
	port   int
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
}

func newSwitchable(t *testing.T, target string) *switchable {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &switchable{t: t, target: target, port: ln.Addr().(*net.TCPAddr).Port, conns: map[net.Conn]struct{}{}}
	s.serve(ln)
	t.Cleanup(s.down)
	return s
}

func (s *switchable) serve(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.forward(c)
		}
	}()
}

func (s *switchable) forward(c net.Conn) {
	b, err := net.Dial("tcp", s.target)
	if err != nil {
		c.Close()
		return
	}
	s.mu.Lock()
	s.conns[c], s.conns[b] = struct{}{}, struct{}{}
	s.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
	c.Close()
	b.Close()
	s.mu.Lock()
	delete(s.conns, c)
	delete(s.conns, b)
	s.mu.Unlock()
}

func (s *switchable) down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		c.Close()
	}
}

func (s *switchable) up() {
	s.t.Helper()
	var err error
	for i := 0; i < 50; i++ {
		var ln net.Listener
		if ln, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(s.port)); err == nil {
			s.serve(ln)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("listen again on port %d: %v", s.port, err)
}

// remoteRuns lists the remote folder: run folder → its files.
func remoteRuns(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, run := range entries(t, dir) {
		out[run] = entries(t, filepath.Join(dir, run))
	}
	return out
}

func modTimes(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, name := range entries(t, dir) {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = fi.ModTime()
	}
	return out
}

// jsonLines decodes every line of a --json output.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		evs = append(evs, m)
	}
	return evs
}

func uploadOf(t *testing.T, summary map[string]any) map[string]any {
	t.Helper()
	u, ok := summary["upload"].(map[string]any)
	if !ok {
		t.Fatalf("summary without upload: %v", summary)
	}
	return u
}

// runUploads maps run id → upload status from koppel runs NAME --json.
func (c *cli) runUploads(name string) map[string]string {
	c.t.Helper()
	out, errOut, code := c.run("runs", name, "--json")
	if code != 0 {
		c.t.Fatalf("runs: exit %d %s", code, errOut)
	}
	m := map[string]string{}
	for _, r := range jsonLines(c.t, out) {
		m[r["run"].(string)] = r["upload"].(map[string]any)["status"].(string)
	}
	return m
}

// TestSFTPDelivery runs the built binary against OpenSSH's sshd: uploads, a server that is
// down (exit 4, queued), a queue that blocks the next run, a wrong host key (nothing sent),
// push, a push with nothing to do, and a crash between upload and record.
func TestSFTPDelivery(t *testing.T) {
	d := sshdtest.Start(t, sshdtest.Options{})
	proxy := newSwitchable(t, d.Addr)
	sim, url := afassimtest.Start(t, afassim.Options{Seed: 5, Employees: 40})
	simToken := sim.Token()

	c := newCLI(t)
	keyFile := filepath.Join(c.dir, "koppel_ed25519")
	if err := os.WriteFile(keyFile, d.ClientKey, 0o600); err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(c.dir, "known_hosts")
	goodKnown := fmt.Sprintf("[127.0.0.1]:%d %s\n", proxy.port, d.HostKeyLine)
	if err := os.WriteFile(knownHosts, []byte(goodKnown), 0o600); err != nil {
		t.Fatal(err)
	}
	sftpURL := fmt.Sprintf("sftp://%s@127.0.0.1:%d%s", d.User, proxy.port, filepath.ToSlash(d.Dir))
	section := func(key string) string {
		return fmt.Sprintf("  sftp:\n    url: %s\n    key_file: %s\n    known_hosts: ./known_hosts\n", sftpURL, key)
	}

	// A missing key file is a profile error naming the key; nothing is stored.
	if _, errOut, code := c.run("profile", "import", c.profile("acme", url, simToken, "compleet", section("./nokey"))); code != 2 || !strings.Contains(errOut, "delivery.sftp.key_file") {
		t.Fatalf("import with a missing key file: exit %d %s", code, errOut)
	}
	if out, errOut, code := c.run("profile", "import", c.profile("acme", url, simToken, "compleet", section("./koppel_ed25519"))); code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errOut)
	}
	// The key is in the store encrypted only; the stored profile keeps no path to it.
	keyBody := strings.Split(string(d.ClientKey), "\n")[1]
	for _, f := range []string{filepath.Join(c.dir, "koppel.db")} {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), keyBody) || strings.Contains(string(b), "koppel_ed25519") {
			t.Errorf("%s holds the key or its path", f)
		}
	}
	if out, _, _ := c.run("profile", "show", "acme"); strings.Contains(out, keyBody) || strings.Contains(out, "koppel_ed25519") {
		t.Errorf("profile show prints the key or its path:\n%s", out)
	}

	// verify checks the login and write access, leaving nothing behind.
	if out, errOut, code := c.run("verify", "acme"); code != 0 || !strings.Contains(out, ssh.FingerprintSHA256(d.HostKey)) {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	if left := entries(t, d.Dir); len(left) != 0 {
		t.Errorf("verify left %v on the server", left)
	}

	run := func(wantCode int, extra ...string) map[string]any {
		t.Helper()
		out, errOut, code := c.run(append([]string{"run", "acme", "--json", "--retry-time", "1s"}, extra...)...)
		if code != wantCode {
			t.Fatalf("run: exit %d, want %d\n%s", code, wantCode, errOut)
		}
		return lastJSON(t, out)
	}

	// 1. A run uploads its delivery, complete.
	s1 := run(0)
	r1 := s1["run"].(string)
	if u := uploadOf(t, s1); u["status"] != "ok" || !strings.HasSuffix(u["remote"].(string), "/"+r1) {
		t.Fatalf("upload of run 1: %v", u)
	}
	local1 := entries(t, s1["delivery"].(string))
	if got := remoteRuns(t, d.Dir)[r1]; strings.Join(got, ",") != strings.Join(local1, ",") {
		t.Fatalf("remote %v, local %v", got, local1)
	}
	for _, f := range local1 {
		a, _ := os.ReadFile(filepath.Join(s1["delivery"].(string), f))
		b, _ := os.ReadFile(filepath.Join(d.Dir, r1, f))
		if string(a) != string(b) {
			t.Errorf("%s differs on the server", f)
		}
	}

	// 2. The server is down: delivered and recorded, queued, exit 4.
	proxy.down()
	s2 := run(exitQueued)
	r2 := s2["run"].(string)
	if s2["status"] != "ok" || uploadOf(t, s2)["status"] != "queued" || uploadOf(t, s2)["error"] == "" {
		t.Fatalf("run with the server down: %v", s2)
	}
	if _, err := os.Stat(filepath.Join(s2["delivery"].(string), "manifest.json")); err != nil {
		t.Fatalf("run 2 not delivered to the outbox: %v", err)
	}

	// 3. The queue is stuck: the next run reads nothing from AFAS and delivers nothing.
	outbox := filepath.Join(c.dir, "outbox", "acme")
	before := len(entries(t, outbox))
	out, errOut, code := c.run("run", "acme", "--json", "--retry-time", "1s")
	if code != exitQueued || strings.Contains(out, `"stage":"fetch"`) {
		t.Fatalf("run behind a stuck queue: exit %d\n%s%s", code, out, errOut)
	}
	s3 := lastJSON(t, out)
	if s3["status"] != "failed" || uploadOf(t, s3)["status"] != "queued" || len(entries(t, outbox)) != before {
		t.Fatalf("run behind a stuck queue: %v", s3)
	}
	if list, _, _ := c.run("runs", "acme"); !strings.Contains(list, "in wachtrij") {
		t.Errorf("runs does not show the queued delivery:\n%s", list)
	}

	// 4. The server is back with another host key: nothing is sent, the message names the
	// host and the fingerprint it offered.
	proxy.up()
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := ssh.NewSignerFromKey(otherPriv)
	if err := os.WriteFile(knownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", proxy.port, ssh.MarshalAuthorizedKey(other.PublicKey()))), 0o600); err != nil {
		t.Fatal(err)
	}
	logins := strings.Count(d.Log(), "Accepted publickey")
	out, errOut, code = c.run("push", "acme")
	if code != exitQueued || !strings.Contains(errOut, ssh.FingerprintSHA256(d.HostKey)) || !strings.Contains(errOut, "127.0.0.1:"+strconv.Itoa(proxy.port)) {
		t.Fatalf("push with a wrong host key: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Count(d.Log(), "Accepted publickey") != logins {
		t.Error("koppel logged in to a server whose host key is wrong")
	}
	if _, ok := remoteRuns(t, d.Dir)[r2]; ok {
		t.Error("something was sent to a server whose host key is wrong")
	}

	// 5. With the right key, push empties the queue; a second push has nothing to do.
	if err := os.WriteFile(knownHosts, []byte(goodKnown), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = c.run("push", "acme", "--json")
	if code != 0 {
		t.Fatalf("push: exit %d\n%s%s", code, out, errOut)
	}
	if p := lastJSON(t, out); p["queued"].(float64) != 0 || len(p["deliveries"].([]any)) != 1 {
		t.Fatalf("push: %v", p)
	}
	if ups := c.runUploads("acme"); ups[r2] != "ok" {
		t.Fatalf("after push: %v", ups)
	}
	if _, err := os.Stat(filepath.Join(d.Dir, r2, "manifest.json")); err != nil {
		t.Fatalf("run 2 not on the server after push: %v", err)
	}
	out, _, code = c.run("push", "acme")
	if code != 0 || !strings.Contains(out, "Niets in de wachtrij") {
		t.Fatalf("second push: exit %d %s", code, out)
	}
	if out, _, _ := c.run("runs", "show", r2, "--lang", "en"); !strings.Contains(out, "SFTP: sent (sftp://") {
		t.Errorf("runs show does not say the delivery was sent:\n%s", out)
	}

	// 6. A crash between upload and record: the next push sends nothing again.
	proxy.down()
	s4 := run(exitQueued)
	r4 := s4["run"].(string)
	proxy.up()
	cmd := exec.Command(koppelBin, "push", "acme", "--json")
	cmd.Dir, cmd.Env = c.dir, append(c.env, stallEnv+"=after-upload")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"status":"sent"`) {
			_ = cmd.Process.Kill()
			killed = true
			break
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatal("the push ended before its upload was complete")
	}
	if ups := c.runUploads("acme"); ups[r4] != "queued" {
		t.Fatalf("the killed push recorded its upload: %v", ups)
	}
	remote4 := filepath.Join(d.Dir, r4)
	times := modTimes(t, remote4)
	if _, ok := times["manifest.json"]; !ok {
		t.Fatalf("the killed push left %v on the server", times)
	}
	out, errOut, code = c.run("push", "acme", "--json")
	if code != 0 {
		t.Fatalf("push after the crash: exit %d\n%s%s", code, out, errOut)
	}
	if p := lastJSON(t, out); len(p["deliveries"].([]any)) != 1 || p["deliveries"].([]any)[0].(map[string]any)["already_there"] != true {
		t.Fatalf("push after the crash: %v", p)
	}
	after := modTimes(t, remote4)
	for name, mt := range times {
		if !after[name].Equal(mt) {
			t.Errorf("%s was sent again", name)
		}
	}
	if ups := c.runUploads("acme"); ups[r4] != "ok" || ups[r1] != "ok" || ups[r2] != "ok" {
		t.Fatalf("after the crash and push: %v", ups)
	}
	// In order, each complete, nothing else on the server.
	remote := remoteRuns(t, d.Dir)
	if len(remote) != 3 {
		t.Errorf("remote folder holds %v", remote)
	}
	for run, files := range remote {
		for _, f := range files {
			if strings.HasSuffix(f, ".part") {
				t.Errorf("%s/%s left on the server", run, f)
			}
		}
	}
	m2, _ := os.Stat(filepath.Join(d.Dir, r2, "manifest.json"))
	m4, _ := os.Stat(filepath.Join(remote4, "manifest.json"))
	if !m2.ModTime().Before(m4.ModTime()) {
		t.Error("run 4 reached the server before run 2")
	}
}
