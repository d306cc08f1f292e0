package sftp

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeys decides which host keys to trust: the pinned key, the keys known_hosts lists for
// the host, nothing else.
type hostKeys struct {
	pinned ssh.PublicKey       // nil when none is pinned
	known  ssh.HostKeyCallback // nil when no known_hosts was given
}

func newHostKeys(cfg Config) (*hostKeys, error) {
	h := &hostKeys{}
	if strings.TrimSpace(cfg.HostKey) != "" {
		k, err := parseKeyLine(cfg.HostKey)
		if err != nil {
			return nil, err
		}
		h.pinned = k
	}
	if len(bytes.TrimSpace(cfg.KnownHosts)) > 0 {
		cb, err := knownHostsCallback(cfg.KnownHosts)
		if err != nil {
			return nil, err
		}
		h.known = cb
	}
	if h.pinned == nil && h.known == nil {
		return nil, errors.New("no host key to check the server against: give known_hosts or a pinned host key")
	}
	return h, nil
}

// knownHostsCallback parses known_hosts content with x/crypto's knownhosts, which reads only
// files: the content goes through a private temporary file that is removed at once.
func knownHostsCallback(content []byte) (ssh.HostKeyCallback, error) {
	f, err := os.CreateTemp("", "koppel-known-hosts-*")
	if err != nil {
		return nil, fmt.Errorf("known_hosts: %w", err)
	}
	name := f.Name()
	defer os.Remove(name)
	_, werr := f.Write(content)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return nil, fmt.Errorf("known_hosts: %w", err)
	}
	cb, err := knownhosts.New(name)
	if err != nil {
		return nil, errors.New("known_hosts: " + strings.ReplaceAll(err.Error(), name, "known_hosts"))
	}
	return cb, nil
}

// callback is the ssh.HostKeyCallback: it accepts only a trusted key and returns a
// *HostKeyError for any other.
func (h *hostKeys) callback(hostport string, remote net.Addr, key ssh.PublicKey) error {
	if h.pinned != nil && keysEqual(h.pinned, key) {
		return nil
	}
	hke := &HostKeyError{
		Host:        hostport,
		KeyType:     key.Type(),
		Fingerprint: ssh.FingerprintSHA256(key),
		KeyLine:     keyLine(key),
		Known:       h.pinned != nil,
	}
	if h.known != nil {
		err := h.known(hostport, remote, key)
		if err == nil {
			return nil
		}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &re):
			hke.Known, hke.Revoked = true, true
		case errors.As(err, &ke):
			hke.Known = hke.Known || len(ke.Want) > 0
		}
	}
	return hke
}

// algorithms returns the host key algorithms to ask for, so that a server with several host
// keys offers one of the kinds that is known, instead of one that would look like a changed key.
// Nil means x/crypto's defaults (nothing known of this host: the check fails anyway).
func (h *hostKeys) algorithms(hostport string) []string {
	var types []string
	if h.pinned != nil {
		types = append(types, h.pinned.Type())
	}
	if h.known != nil {
		// knownhosts has no look-up; a key that matches nothing makes it list what it knows.
		err := h.known(hostport, &net.TCPAddr{IP: net.IPv4zero}, probeKey{})
		var ke *knownhosts.KeyError
		if errors.As(err, &ke) {
			for _, k := range ke.Want {
				types = append(types, k.Key.Type())
			}
		}
	}
	supported := ssh.SupportedAlgorithms().HostKeys
	var algos []string
	for _, t := range types {
		for _, a := range algorithmsFor(t) {
			if slices.Contains(supported, a) && !slices.Contains(algos, a) {
				algos = append(algos, a)
			}
		}
	}
	return algos
}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		// An RSA key signs with SHA-2; SHA-1 (ssh-rsa) is not asked for.
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{keyType}
}

func keysEqual(a, b ssh.PublicKey) bool { return bytes.Equal(a.Marshal(), b.Marshal()) }

// probeKey is a public key that matches no known_hosts line.
type probeKey struct{}

func (probeKey) Type() string                                 { return "koppel-probe" }
func (probeKey) Marshal() []byte                              { return []byte("\x00\x00\x00\x0ckoppel-probe") }
func (probeKey) Verify(data []byte, sig *ssh.Signature) error { return errors.New("probe key") }
