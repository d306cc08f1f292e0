// Package sshdtest runs OpenSSH's real sshd for a test: on a free loopback port, with its own
// sshd_config, host key and authorized_keys in a temporary folder, serving SFTP through
// internal-sftp, logging in as the user the test runs as (root in CI).
//
// When sshd is not installed (Debian package openssh-server), Start skips the test, unless the
// environment variable CI is set: then it fails it, so that CI cannot pass without these tests.
package sshdtest

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

// Options configure a Server; the zero value is fine.
type Options struct {
	// KeyType is the client key's type: "ed25519" (default), "ecdsa" or "rsa".
	KeyType string
	// AuthorizedKeys are further public keys allowed to log in.
	AuthorizedKeys []ssh.PublicKey
}

// Server is a running sshd.
type Server struct {
	Host string // "127.0.0.1"
	Port int
	Addr string // Host:Port
	User string // the user the test runs as
	// HostKey is sshd's host key; HostKeyLine is it as an authorized_keys line.
	HostKey     ssh.PublicKey
	HostKeyLine string
	// ClientKey is an authorized private key (OpenSSH PEM); ClientPublicKey its public half.
	ClientKey       []byte
	ClientPublicKey ssh.PublicKey
	// Dir is the remote folder: an empty folder, by its absolute path, which is the same on
	// the server's side and on this machine.
	Dir string

	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once

	mu  sync.Mutex
	log strings.Builder
}

// Binary returns the path of sshd, or an error when it is not installed.
func Binary() (string, error) {
	if p, err := exec.LookPath("sshd"); err == nil {
		return filepath.Abs(p)
	}
	for _, p := range []string{"/usr/sbin/sshd", "/usr/local/sbin/sshd"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("sshd is not installed (Debian: apt-get install openssh-server)")
}

// Start starts sshd and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("sshdtest: %v; CI must install it", err)
		}
		t.Skipf("sshdtest: %v", err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("sshdtest: %v", err)
	}
	if os.Geteuid() == 0 {
		// sshd needs its privilege separation folder; Debian makes it only when the service
		// starts.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatalf("sshdtest: %v", err)
		}
	}
	dir := t.TempDir()
	s := &Server{Host: "127.0.0.1", User: u.Username, t: t, Dir: filepath.Join(dir, "remote")}
	if err := os.Mkdir(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}

	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(hostPriv, "sshdtest host key")
	if err != nil {
		t.Fatal(err)
	}
	hostKeyFile := filepath.Join(dir, "ssh_host_ed25519_key")
	if err := os.WriteFile(hostKeyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	s.HostKey = hostSigner.PublicKey()
	s.HostKeyLine = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKey)))

	s.ClientKey, s.ClientPublicKey, err = sftptest.NewClientKey(opts.KeyType)
	if err != nil {
		t.Fatal(err)
	}
	var ak []byte
	for _, k := range append([]ssh.PublicKey{s.ClientPublicKey}, opts.AuthorizedKeys...) {
		ak = append(ak, ssh.MarshalAuthorizedKey(k)...)
	}
	akFile := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(akFile, ak, 0o600); err != nil {
		t.Fatal(err)
	}

	cfgFile := filepath.Join(dir, "sshd_config")
	lines := []string{
		"Port 22", // replaced below
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKeyFile,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + akFile,
		"AllowUsers " + s.User,
		"UsePAM no",
		"StrictModes no",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"PermitTTY no",
		"X11Forwarding no",
		"AllowTcpForwarding no",
		"AllowAgentForwarding no",
		"PrintMotd no",
		"UseDNS no",
		"LoginGraceTime 20",
		"MaxStartups 100",
		"LogLevel VERBOSE",
		"Subsystem sftp internal-sftp",
		// OpenSSH 9.8 and later penalise sources whose connections end before login (as a
		// refused host key does); sshd -t tells whether this one knows the option.
		"PerSourcePenalties no",
	}
	if err := writeConfig(cfgFile, lines, 22); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-f", cfgFile).CombinedOutput(); err != nil {
		if !strings.Contains(string(out), "PerSourcePenalties") {
			t.Fatalf("sshdtest: sshd -t: %v\n%s", err, out)
		}
		lines = lines[:len(lines)-1]
	}

	for try := 1; ; try++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if err := writeConfig(cfgFile, lines, port); err != nil {
			t.Fatal(err)
		}
		err = s.run(bin, cfgFile, port)
		if err == nil {
			break
		}
		if try == 3 {
			t.Fatalf("sshdtest: %v\n%s", err, s.Log())
		}
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("sshd log:\n%s", s.Log())
		}
	})
	return s
}

func writeConfig(file string, lines []string, port int) error {
	lines = append([]string(nil), lines...)
	lines[0] = "Port " + strconv.Itoa(port)
	return os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// run starts sshd on port and waits until it listens.
func (s *Server) run(bin, cfgFile string, port int) error {
	cmd := exec.Command(bin, "-D", "-e", "-f", cfgFile)
	ownGroup(cmd) // so that Stop ends the sessions it forked too
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start sshd: %w", err)
	}
	listening := make(chan struct{})
	done := make(chan struct{})
	want := "Server listening on 127.0.0.1 port " + strconv.Itoa(port)
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if !signalled && strings.Contains(line, want) {
				signalled = true
				close(listening)
			}
		}
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-listening:
		s.cmd, s.done = cmd, done
		s.Port = port
		s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(port))
		return nil
	case <-done:
		return fmt.Errorf("sshd ended before listening on port %d: %v", port, cmd.ProcessState)
	case <-time.After(10 * time.Second):
		killGroup(cmd, true)
		<-done
		return fmt.Errorf("sshd did not listen on port %d within 10 s", port)
	}
}

// Log returns what sshd logged so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// URL is sftp://user@127.0.0.1:port/<Dir>/<sub>.
func (s *Server) URL(sub string) string {
	return fmt.Sprintf("sftp://%s@%s%s", s.User, s.Addr, path.Join(filepath.ToSlash(s.Dir), sub))
}

// KnownHosts is a known_hosts line that lists sshd's host key.
func (s *Server) KnownHosts() []byte {
	return []byte("[" + s.Host + "]:" + strconv.Itoa(s.Port) + " " + s.HostKeyLine + "\n")
}

// Stop ends sshd and the sessions it started (its process group). It is called when the test
// ends, and may be called before; afterwards the port refuses connections.
func (s *Server) Stop() {
	s.once.Do(func() {
		if s.cmd == nil {
			return
		}
		killGroup(s.cmd, false)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			killGroup(s.cmd, true)
			<-s.done
		}
	})
}
