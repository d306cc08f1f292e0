package sftp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// clientVersion is what koppel says it is in the SSH handshake.
const clientVersion = "SSH-2.0-koppel"

// prepared is a Config checked once for all the attempts of a call.
type prepared struct {
	cfg    Config
	target Target
	signer ssh.Signer
	keys   *hostKeys
}

// prepare checks the configuration; its errors are KindConfig and hold no key material.
func prepare(cfg Config) (*prepared, error) {
	cfg = cfg.withDefaults()
	t, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, &Error{Kind: KindConfig, Op: "check configuration", Err: err}
	}
	fail := func(err error) (*prepared, error) {
		return nil, &Error{Kind: KindConfig, Op: "check configuration", Remote: t.String(), Err: err}
	}
	signer, err := parseSigner(cfg.PrivateKey, cfg.Passphrase)
	if err != nil {
		return fail(err)
	}
	keys, err := newHostKeys(cfg)
	if err != nil {
		return fail(err)
	}
	return &prepared{cfg: cfg, target: t, signer: signer, keys: keys}, nil
}

// Validate checks a Config without connecting: the URL, the private key with its passphrase,
// and that a host key source is given and readable. Its error is an *Error of KindConfig.
func (c Config) Validate() error {
	_, err := prepare(c)
	return err
}

// session is one logged-in SFTP connection.
type session struct {
	ssh         *ssh.Client
	sftp        *pkgsftp.Client
	stop        func() bool
	hostKey     ssh.PublicKey
	posixRename bool
	fsync       bool
}

func (s *session) close() {
	if s.sftp != nil {
		_ = s.sftp.Close()
	}
	_ = s.ssh.Close()
	s.stop()
}

// connect dials, checks the host key, logs in and starts the sftp subsystem.
func (p *prepared) connect(ctx context.Context) (*session, error) {
	addr := p.target.Addr()
	conn, stop, err := dial(ctx, addr, p.cfg.Timeout)
	if err != nil {
		return nil, err
	}
	var offered ssh.PublicKey
	cc := &ssh.ClientConfig{
		User: p.target.User,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(p.signer)},
		HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
			offered = key
			return p.keys.callback(host, remote, key)
		},
		HostKeyAlgorithms: p.keys.algorithms(addr),
		ClientVersion:     clientVersion,
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cc)
	if err != nil {
		stop()
		var hke *HostKeyError
		if errors.As(err, &hke) {
			return nil, hke
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			return nil, fmt.Errorf("%w: user %s with key %s", errAuth, p.target.User, ssh.FingerprintSHA256(p.signer.PublicKey()))
		}
		return nil, fmt.Errorf("ssh handshake with %s: %w", addr, err)
	}
	conn.established()
	s := &session{ssh: ssh.NewClient(sc, chans, reqs), stop: stop, hostKey: offered}
	s.sftp, err = pkgsftp.NewClient(s.ssh, pkgsftp.UseConcurrentWrites(true))
	if err != nil {
		s.close()
		if strings.Contains(err.Error(), "subsystem request failed") {
			return nil, &Error{Kind: KindRemote, Op: "start sftp", Err: fmt.Errorf("the server offers no sftp subsystem: %w", err)}
		}
		return nil, fmt.Errorf("start sftp: %w", err)
	}
	_, s.posixRename = s.sftp.HasExtension("posix-rename@openssh.com")
	_, s.fsync = s.sftp.HasExtension("fsync@openssh.com")
	return s, nil
}

// dial opens the TCP connection; canceling ctx closes it, whatever is going on over it. The
// returned stop undoes that link and closes the connection.
func dial(ctx context.Context, addr string, timeout time.Duration) (*idleConn, func() bool, error) {
	d := net.Dialer{Timeout: timeout}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	c := newIdleConn(raw, timeout)
	unlink := context.AfterFunc(ctx, func() { _ = raw.Close() })
	stop := func() bool {
		unlink()
		_ = raw.Close()
		return true
	}
	return c, stop, nil
}

// idleConn is a net.Conn whose every Read and Write must make progress within timeout. Until
// established is called, the whole handshake must also finish within timeout of the dial.
type idleConn struct {
	net.Conn
	timeout   time.Duration
	handshake atomic.Int64 // unix nanoseconds of the handshake's deadline; 0 once established
}

func newIdleConn(c net.Conn, timeout time.Duration) *idleConn {
	ic := &idleConn{Conn: c, timeout: timeout}
	ic.handshake.Store(time.Now().Add(timeout).UnixNano())
	return ic
}

func (c *idleConn) deadline() time.Time {
	d := time.Now().Add(c.timeout)
	if h := c.handshake.Load(); h != 0 && time.Unix(0, h).Before(d) {
		return time.Unix(0, h)
	}
	return d
}

func (c *idleConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(c.deadline()); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *idleConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(c.deadline()); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// established ends the handshake's deadline, also for a Read that is waiting already.
func (c *idleConn) established() {
	c.handshake.Store(0)
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
}
