package sftp

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

func TestProbe(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	res, err := Probe(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.HostKeyFingerprint != ssh.FingerprintSHA256(s.HostKey) || res.ServerVersion != "SSH-2.0-sftptest" ||
		!res.PosixRename || res.Remote != s.URL("/import/acme") {
		t.Errorf("probe %+v", res)
	}
	var wrote, removed string
	for _, e := range s.Events() {
		switch e.Op {
		case "open-write":
			wrote = e.Path
		case "remove":
			removed = e.Path
		}
	}
	if !strings.HasPrefix(wrote, "/import/acme/.koppel-probe-") || removed != wrote {
		t.Errorf("probe wrote %q and removed %q", wrote, removed)
	}
	assertFolder(t, s.Path("/import/acme"), map[string]string{})
}

func TestProbeFailures(t *testing.T) {
	t.Run("read-only", func(t *testing.T) {
		s, cfg := inproc(t, sftptest.Options{})
		s.SetReadOnly(true)
		_, err := Probe(context.Background(), cfg)
		if e := asError(t, err); e.Kind != KindRemote || e.Op != "check write access" {
			t.Errorf("%v (kind %v, op %q); want a remote error about write access", err, e.Kind, e.Op)
		}
	})
	t.Run("no folder", func(t *testing.T) {
		s, cfg := inproc(t, sftptest.Options{})
		cfg.URL = s.URL("/nergens")
		_, err := Probe(context.Background(), cfg)
		if e := asError(t, err); e.Kind != KindRemote || !strings.Contains(err.Error(), "/nergens does not exist") {
			t.Errorf("%v (kind %v); want a remote error naming the folder", err, e.Kind)
		}
	})
	t.Run("host key", func(t *testing.T) {
		s, cfg := inproc(t, sftptest.Options{})
		cfg.KnownHosts = []byte("elders " + s.HostKeyLine + "\n")
		_, err := Probe(context.Background(), cfg)
		var hke *HostKeyError
		if !errors.As(err, &hke) || hke.Known || IsRetryable(err) {
			t.Errorf("%v; want an unknown-host-key error", err)
		}
	})
	t.Run("down", func(t *testing.T) {
		s, cfg := inproc(t, sftptest.Options{})
		s.Close()
		_, err := Probe(context.Background(), cfg)
		if e := asError(t, err); !e.Retryable() || e.Attempts != 1 {
			t.Errorf("%v; want one retryable error", err)
		}
	})
}

func TestFingerprintSendsNothing(t *testing.T) {
	s := sftptest.Start(t, sftptest.Options{HostKeyTypes: []string{"ecdsa", "ed25519"}})
	line, fp, err := Fingerprint(context.Background(), Config{URL: s.URL("/x")})
	if err != nil {
		t.Fatal(err)
	}
	ed := s.HostKeys[1]
	if line != keyLine(ed) || fp != ssh.FingerprintSHA256(ed) {
		t.Errorf("Fingerprint = %q, %q; want the ed25519 key %s", line, fp, ssh.FingerprintSHA256(ed))
	}
	if got, err := HostKeyFingerprint(line); err != nil || got != fp {
		t.Errorf("HostKeyFingerprint = %q, %v", got, err)
	}
	if s.AuthAttempts() != 0 || s.Logins() != 0 || len(s.Events()) != 0 {
		t.Errorf("Fingerprint sent more than a handshake: %d auth attempts, %d logins", s.AuthAttempts(), s.Logins())
	}
	// The line pins.
	s.Mkdir("/x")
	cfg := Config{URL: s.URL("/x"), PrivateKey: s.ClientKey, HostKey: line}
	if _, err := Probe(context.Background(), cfg); err != nil {
		t.Errorf("probe with the pinned line: %v", err)
	}

	s.Close()
	if _, _, err := Fingerprint(context.Background(), Config{URL: s.URL("/x")}); !IsRetryable(err) {
		t.Errorf("server down: %v; want a retryable error", err)
	}
}
