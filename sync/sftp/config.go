// Package sftp uploads koppel deliveries to an SFTP server, as the contract in the SFTP spec
// asks: every delivery folder <run-id>/ goes to <remote folder>/<run-id>/, each file written as
// .<name>.part and renamed when complete, manifest.json last, exactly once.
//
// The server's host key is always verified, against known_hosts content or a pinned key; there
// is no way to accept any host key. Login is by private key only. The private key never appears
// in an error, a log line or the printed form of a Config: only its fingerprint does.
//
// The package keeps no state between calls: every Upload, Probe and Fingerprint dials its own
// connection, so a caller (the store queue, koppel verify, the wizard) can call them from any
// goroutine.
package sftp

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Defaults for the zero values of Config's durations.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRetryTime = 100 * time.Second
	DefaultRetryBase    = 500 * time.Millisecond
	// DefaultPort is the port of an sftp URL without one.
	DefaultPort = 22
)

// Config says where and how to upload. Zero durations take the defaults.
type Config struct {
	// URL is sftp://user@host[:port]/remote/folder; see ParseURL.
	URL string
	// PrivateKey is the login key in OpenSSH (or PEM) format: ed25519, ecdsa or rsa.
	PrivateKey []byte
	// Passphrase decrypts PrivateKey when it is encrypted.
	Passphrase []byte
	// KnownHosts is the content of a known_hosts file that lists the server's host key.
	KnownHosts []byte
	// HostKey is the server's host key pinned as an authorized_keys-format line
	// ("ssh-ed25519 AAAA…"). A host key is accepted when it matches HostKey or KnownHosts; at
	// least one of the two must be given.
	HostKey string
	// Timeout bounds connecting (TCP and SSH handshake with login) and every stretch of
	// silence on an open connection (default 30 s).
	Timeout time.Duration
	// MaxRetryTime bounds the time spent retrying after network errors (default 100 s, as for
	// AFAS calls): no new attempt starts once it has passed since the first one began, and a
	// backoff wait never runs past it.
	MaxRetryTime time.Duration
	// RetryBase is the first backoff delay (default 500 ms), doubled per retry up to 30 s,
	// with jitter.
	RetryBase time.Duration
	// OnRetry, when set, is told about every retry (for the run log). err never holds key
	// material.
	OnRetry func(attempt int, wait time.Duration, err error)
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxRetryTime <= 0 {
		c.MaxRetryTime = DefaultMaxRetryTime
	}
	if c.RetryBase <= 0 {
		c.RetryBase = DefaultRetryBase
	}
	return c
}

// String shows the destination and the key's fingerprint, never the key or its passphrase.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sftp.Config{URL: %q", redactURL(c.URL))
	switch {
	case len(c.PrivateKey) == 0:
		b.WriteString(", PrivateKey: none")
	default:
		if fp, err := KeyFingerprint(c.PrivateKey, c.Passphrase); err == nil {
			fmt.Fprintf(&b, ", PrivateKey: %s", fp)
		} else {
			b.WriteString(", PrivateKey: (unreadable)")
		}
	}
	if len(c.Passphrase) > 0 {
		b.WriteString(", Passphrase: (set)")
	}
	if len(c.KnownHosts) > 0 {
		fmt.Fprintf(&b, ", KnownHosts: %d bytes", len(c.KnownHosts))
	}
	if c.HostKey != "" {
		if fp, err := HostKeyFingerprint(c.HostKey); err == nil {
			fmt.Fprintf(&b, ", HostKey: %s", fp)
		} else {
			b.WriteString(", HostKey: (unreadable)")
		}
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so that %#v does not print the key either.
func (c Config) GoString() string { return c.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q) print String.
func (c Config) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	_, _ = f.Write([]byte(c.String()))
}

// LogValue makes slog print String.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Target is a parsed sftp URL.
type Target struct {
	User string
	Host string // a name or an IP address, without brackets
	Port int
	Dir  string // absolute, cleaned, without a trailing slash (except "/" itself)
}

// Addr is host:port for dialling.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// String is the canonical URL, always with the port.
func (t Target) String() string { return t.url(t.Dir) }

func (t Target) url(dir string) string {
	u := url.URL{Scheme: "sftp", User: url.User(t.User), Host: t.Addr(), Path: dir}
	return u.String()
}

// URLError is an sftp URL that cannot be used; Problem names what is wrong.
type URLError struct {
	URL     string // with any password removed
	Problem string
}

func (e *URLError) Error() string { return fmt.Sprintf("sftp URL %q: %s", e.URL, e.Problem) }

// ParseURL checks an sftp://user@host[:port]/remote/folder URL. The user and the remote folder
// are required, the port defaults to 22; a password, a query or a fragment is refused, as are
// "." and ".." in the folder.
func ParseURL(raw string) (Target, error) {
	shown := redactURL(raw)
	fail := func(format string, args ...any) (Target, error) {
		return Target{}, &URLError{URL: shown, Problem: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(raw) == "" {
		return fail("empty")
	}
	if strings.TrimSpace(raw) != raw {
		return fail("leading or trailing white space")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fail("not a URL: %v", err)
	}
	switch {
	case u.Scheme == "":
		return fail("no scheme: write sftp://user@host/folder")
	case !strings.EqualFold(u.Scheme, "sftp"):
		return fail("scheme is %q, want sftp", u.Scheme)
	case u.Opaque != "":
		return fail("write sftp://user@host/folder, with two slashes")
	case u.RawQuery != "" || u.ForceQuery:
		return fail("a query (?…) is not allowed")
	case u.Fragment != "":
		return fail("a fragment (#…) is not allowed")
	}
	if u.User == nil || u.User.Username() == "" {
		return fail("no user: write sftp://user@host/folder")
	}
	if _, has := u.User.Password(); has {
		return fail("a password is not allowed: koppel logs in with a key only")
	}
	host := u.Hostname()
	if host == "" {
		return fail("no host")
	}
	port := DefaultPort
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fail("port %q is not a number from 1 to 65535", p)
		}
		port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return fail("empty port")
	}
	dir := u.Path
	if dir == "" {
		return fail("no remote folder: write sftp://user@host/folder")
	}
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		if part == "." || part == ".." {
			return fail("the remote folder may not contain %q", part)
		}
	}
	if strings.ContainsAny(dir, "\x00\r\n\\") {
		return fail("the remote folder holds a control character or a backslash")
	}
	return Target{User: u.User.Username(), Host: host, Port: port, Dir: path.Clean(dir)}, nil
}

// redactURL removes a password from a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); !has {
		return raw
	}
	return u.Redacted()
}

// KeyFingerprint returns the SHA256 fingerprint ("SHA256:…", as ssh-keygen -l shows it) of the
// public half of a private key, for showing a key without showing it.
// An encrypted OpenSSH key is not decrypted: its public half is stored in the clear.
func KeyFingerprint(privateKey, passphrase []byte) (string, error) {
	if _, err := ssh.ParsePrivateKey(privateKey); err != nil {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) && missing.PublicKey != nil {
			return ssh.FingerprintSHA256(missing.PublicKey), nil
		}
	}
	s, err := parseSigner(privateKey, passphrase)
	if err != nil {
		return "", err
	}
	return ssh.FingerprintSHA256(s.PublicKey()), nil
}

// PublicKeyLine returns the authorized_keys line ("ssh-ed25519 AAAA…") of a private key's
// public half, for putting in the server's authorized_keys.
func PublicKeyLine(privateKey, passphrase []byte) (string, error) {
	s, err := parseSigner(privateKey, passphrase)
	if err != nil {
		return "", err
	}
	return keyLine(s.PublicKey()), nil
}

// HostKeyFingerprint returns the SHA256 fingerprint of an authorized_keys-format key line.
func HostKeyFingerprint(line string) (string, error) {
	k, err := parseKeyLine(line)
	if err != nil {
		return "", err
	}
	return ssh.FingerprintSHA256(k), nil
}

func keyLine(k ssh.PublicKey) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) }

func parseKeyLine(line string) (ssh.PublicKey, error) {
	if strings.TrimSpace(line) == "" {
		return nil, errors.New("host key: empty")
	}
	k, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, fmt.Errorf("host key: not an authorized_keys-format line (\"ssh-ed25519 AAAA…\"): %w", err)
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, errors.New("host key: more than one line")
	}
	return k, nil
}

// parseSigner reads the private key. Its errors name the problem and never hold key material.
func parseSigner(key, passphrase []byte) (ssh.Signer, error) {
	if len(key) == 0 {
		return nil, errors.New("private key: none given")
	}
	s, err := ssh.ParsePrivateKey(key)
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		return s, nil
	case errors.As(err, &missing) && len(passphrase) == 0:
		return nil, errors.New("private key: encrypted, and no passphrase given")
	case errors.As(err, &missing):
		s, err = ssh.ParsePrivateKeyWithPassphrase(key, passphrase)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, errors.New("private key: wrong passphrase")
		}
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("private key: not an OpenSSH or PEM private key: %w", err)
	}
}
