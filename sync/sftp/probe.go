package sftp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"time"

	"golang.org/x/crypto/ssh"
)

// ProbeResult is what Probe found.
type ProbeResult struct {
	Remote             string // the remote folder as a URL
	HostKeyType        string // of the host key the server proved it has
	HostKeyFingerprint string // SHA256:…
	ServerVersion      string // the server's SSH version line
	// PosixRename tells whether the server replaces a file on rename (posix-rename@openssh.com);
	// without it a rename over a leftover file removes that file first.
	PosixRename bool
	Elapsed     time.Duration
}

// Probe checks an SFTP destination as koppel verify does: the host key, the login, that the
// remote folder is a folder, and write access to it, by writing and removing a small hidden
// probe file (.koppel-probe-<random>) there. It makes one attempt, without retries; its error is
// an *Error whose Kind says what failed.
func Probe(ctx context.Context, cfg Config) (ProbeResult, error) {
	start := time.Now()
	p, err := prepare(cfg)
	if err != nil {
		return ProbeResult{}, err
	}
	remote := p.target.String()
	fail := func(op string, err error) (ProbeResult, error) {
		e := classify(ctx, op, remote, err)
		e.Attempts = 1
		return ProbeResult{}, e
	}
	s, err := p.connect(ctx)
	if err != nil {
		return fail("connect", err)
	}
	defer s.close()
	res := ProbeResult{
		Remote:             remote,
		HostKeyType:        s.hostKey.Type(),
		HostKeyFingerprint: ssh.FingerprintSHA256(s.hostKey),
		ServerVersion:      string(s.ssh.ServerVersion()),
		PosixRename:        s.posixRename,
	}
	fi, err := s.sftp.Stat(p.target.Dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fail("check remote folder", &Error{Kind: KindRemote, Err: fmt.Errorf("the remote folder %s does not exist", p.target.Dir)})
	case err != nil:
		return fail("check remote folder", fmt.Errorf("stat %s: %w", p.target.Dir, err))
	case !fi.IsDir():
		return fail("check remote folder", &Error{Kind: KindRemote, Err: fmt.Errorf("%s is not a folder", p.target.Dir)})
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	probe := path.Join(p.target.Dir, ".koppel-probe-"+hex.EncodeToString(rnd[:]))
	f, err := s.sftp.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return fail("check write access", fmt.Errorf("create %s: %w", probe, err))
	}
	_, werr := f.Write([]byte("koppel verify: write access\n"))
	cerr := f.Close()
	rerr := s.sftp.Remove(probe)
	if err := errors.Join(werr, cerr); err != nil {
		return fail("check write access", fmt.Errorf("write %s: %w", probe, err))
	}
	if rerr != nil {
		return fail("check write access", fmt.Errorf("remove %s: %w", probe, rerr))
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// errGotHostKey ends the handshake as soon as the host key is in.
var errGotHostKey = errors.New("host key received")

// Fingerprint connects to cfg.URL's host and returns the host key the server offers, as an
// authorized_keys line and as its SHA256 fingerprint, without trusting it: the handshake is
// broken off as soon as the key is in, so no user name, key or data is sent. For the wizard, to
// show the fingerprint and pin the line on an explicit confirmation. Only cfg.URL and
// cfg.Timeout are used. Note that the offer is not proof: pin it only after comparing the
// fingerprint with one obtained another way.
func Fingerprint(ctx context.Context, cfg Config) (line, fingerprint string, err error) {
	cfg = cfg.withDefaults()
	t, err := ParseURL(cfg.URL)
	if err != nil {
		return "", "", &Error{Kind: KindConfig, Op: "check configuration", Err: err}
	}
	remote := t.String()
	fail := func(err error) (string, string, error) {
		e := classify(ctx, "fetch host key", remote, err)
		e.Attempts = 1
		return "", "", e
	}
	conn, stop, err := dial(ctx, t.Addr(), cfg.Timeout)
	if err != nil {
		return fail(err)
	}
	defer stop()
	var got ssh.PublicKey
	cc := &ssh.ClientConfig{
		User: t.User,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got = key
			return errGotHostKey
		},
		// Ask for the strongest kind first, rather than x/crypto's order (RSA first), so
		// that what the wizard pins is an ed25519 key where the server has one.
		HostKeyAlgorithms: []string{
			ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
			ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
		},
		ClientVersion: clientVersion,
	}
	_, _, _, err = ssh.NewClientConn(conn, t.Addr(), cc)
	if got == nil {
		if err == nil {
			err = errors.New("the server sent no host key")
		}
		return fail(fmt.Errorf("ssh handshake with %s: %w", t.Addr(), err))
	}
	return keyLine(got), ssh.FingerprintSHA256(got), nil
}
