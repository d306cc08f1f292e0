package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	pkgsftp "github.com/pkg/sftp"
)

// Kind tells what went wrong, so that a caller can decide what to tell and whether to retry.
type Kind int

const (
	// KindNetwork: the server could not be reached or the connection broke. The only kind
	// that is retried.
	KindNetwork Kind = iota + 1
	// KindHostKey: the server's host key is unknown, changed or revoked (see HostKeyError).
	KindHostKey
	// KindAuth: the server refused the login key.
	KindAuth
	// KindConfig: the URL, the private key, the passphrase, known_hosts or the pinned host key
	// cannot be used.
	KindConfig
	// KindRemote: the server refused an operation (no such folder, permission denied, disk
	// full, …).
	KindRemote
	// KindConflict: the remote run folder already holds a complete delivery whose manifest
	// differs from the local one; nothing is overwritten.
	KindConflict
	// KindDelivery: the local delivery folder is missing, unreadable or not a sealed delivery
	// (no manifest.json, a subfolder, a hidden file, an unsafe run ID).
	KindDelivery
	// KindCanceled: the context was canceled or ran out.
	KindCanceled
)

func (k Kind) String() string {
	switch k {
	case KindNetwork:
		return "network"
	case KindHostKey:
		return "host key"
	case KindAuth:
		return "login"
	case KindConfig:
		return "configuration"
	case KindRemote:
		return "remote"
	case KindConflict:
		return "conflict"
	case KindDelivery:
		return "delivery"
	case KindCanceled:
		return "canceled"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is what Upload, Probe and Fingerprint return. Use errors.As to get it, Retryable to
// decide whether trying again later can help without a person doing something, and errors.As
// on it again for a *HostKeyError.
type Error struct {
	Kind     Kind
	Op       string // what was being done: "connect", "upload data.csv", "check manifest.json", …
	Remote   string // sftp://user@host:port/folder (no secrets), "" when the URL is unusable
	Attempts int    // connection attempts made (0 when the configuration was refused up front)
	Err      error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sftp")
	if e.Op != "" {
		b.WriteString(" " + e.Op)
	}
	if e.Remote != "" {
		b.WriteString(" (" + e.Remote + ")")
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (gave up after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the failure is a network one, which a later try may get past. A
// host key, login, configuration, remote, conflict or delivery error needs a person first.
func (e *Error) Retryable() bool { return e.Kind == KindNetwork }

// IsRetryable reports whether err is an *Error that is Retryable.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// KindOf returns the Kind of an *Error in err's chain, or 0.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// HostKeyError is a host key that is not trusted. Nothing is sent to such a server: the check
// happens during the key exchange, before login.
type HostKeyError struct {
	Host        string // host:port as dialled
	KeyType     string // "ssh-ed25519", …
	Fingerprint string // SHA256:… of the key the server offered
	KeyLine     string // the offered key as an authorized_keys line, for pinning after confirmation
	// Known is true when the host is listed (in known_hosts or as the pinned key) with another
	// key: the key changed, or someone is in between. False: the host is not listed at all.
	Known bool
	// Revoked is true when the offered key is marked @revoked in known_hosts.
	Revoked bool
}

func (e *HostKeyError) Error() string {
	switch {
	case e.Revoked:
		return fmt.Sprintf("host key of %s is revoked: the server offered %s %s, which known_hosts marks @revoked",
			e.Host, e.KeyType, e.Fingerprint)
	case e.Known:
		return fmt.Sprintf("host key of %s does not match: the server offered %s %s, which is not the known key; "+
			"the key changed or someone is in between — check with the server's administrator before trusting it",
			e.Host, e.KeyType, e.Fingerprint)
	default:
		return fmt.Sprintf("host key of %s is unknown: the server offered %s %s; "+
			"add it to known_hosts or pin it as host_key once you have checked it",
			e.Host, e.KeyType, e.Fingerprint)
	}
}

// errAuth marks a login the server refused.
var errAuth = errors.New("the server refused the login key")

// classify turns an error from the SSH or SFTP layer into an *Error of the right kind.
func classify(ctx context.Context, op, remote string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Op == "" {
			e.Op = op
		}
		if e.Remote == "" {
			e.Remote = remote
		}
		return e
	}
	return &Error{Kind: kindOf(ctx, err), Op: op, Remote: remote, Err: err}
}

func kindOf(ctx context.Context, err error) Kind {
	var hk *HostKeyError
	var st *pkgsftp.StatusError
	switch {
	case ctx.Err() != nil:
		return KindCanceled
	case errors.As(err, &hk):
		return KindHostKey
	case errors.Is(err, errAuth):
		return KindAuth
	case errors.Is(err, pkgsftp.ErrSSHFxConnectionLost), errors.Is(err, pkgsftp.ErrSSHFxNoConnection):
		return KindNetwork
	case errors.As(err, &st):
		switch st.FxCode() {
		case pkgsftp.ErrSSHFxConnectionLost, pkgsftp.ErrSSHFxNoConnection:
			return KindNetwork
		}
		return KindRemote
	case errors.Is(err, os.ErrNotExist), errors.Is(err, os.ErrPermission), errors.Is(err, os.ErrExist):
		return KindRemote
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return KindNetwork
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return KindNetwork
	}
	// Anything else from the transport (a handshake that broke off, a reset, a protocol
	// error) is treated as the network's fault: a retry is harmless, since an upload restarts
	// from the remote folder's state.
	return KindNetwork
}
