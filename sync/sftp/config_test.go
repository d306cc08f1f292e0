package sftp

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

func TestParseURL(t *testing.T) {
	good := []struct {
		in   string
		want Target
	}{
		{"sftp://koppel@sftp.example.nl:22/import/acme", Target{"koppel", "sftp.example.nl", 22, "/import/acme"}},
		{"sftp://koppel@sftp.example.nl/import/acme/", Target{"koppel", "sftp.example.nl", 22, "/import/acme"}},
		{"SFTP://k@10.0.0.1:2222/a", Target{"k", "10.0.0.1", 2222, "/a"}},
		{"sftp://k@[::1]:2022/x//y", Target{"k", "::1", 2022, "/x/y"}},
		{"sftp://k@h/", Target{"k", "h", 22, "/"}},
		{"sftp://k@h/met%20spatie", Target{"k", "h", 22, "/met spatie"}},
	}
	for _, g := range good {
		got, err := ParseURL(g.in)
		if err != nil || got != g.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", g.in, got, err, g.want)
		}
	}
	if got := (Target{"k", "::1", 2022, "/x"}).String(); got != "sftp://k@[::1]:2022/x" {
		t.Errorf("String = %q", got)
	}

	bad := []struct{ in, problem string }{
		{"", "empty"},
		{" sftp://k@h/x", "white space"},
		{"k@h/x", "no scheme"},
		{"ssh://k@h/x", `scheme is "ssh"`},
		{"sftp:k@h/x", "two slashes"},
		{"sftp://h/x", "no user"},
		{"sftp://@h/x", "no user"},
		{"sftp://k:geheim@h/x", "password is not allowed"},
		{"sftp://k@:22/x", "no host"},
		{"sftp://k@h:0/x", "port"},
		{"sftp://k@h:99999/x", "port"},
		{"sftp://k@h:/x", "empty port"},
		{"sftp://k@h", "no remote folder"},
		{"sftp://k@h/x?y=1", "query"},
		{"sftp://k@h/x#y", "fragment"},
		{"sftp://k@h/x/../y", `".."`},
		{"sftp://k@h/x/./y", `"."`},
		{"sftp://k@h/a%5Cb", "backslash"},
	}
	for _, b := range bad {
		_, err := ParseURL(b.in)
		var ue *URLError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), b.problem) {
			t.Errorf("ParseURL(%q) error = %v; want a *URLError about %q", b.in, err, b.problem)
		}
	}
	if _, err := ParseURL("sftp://k:geheim@h/x"); strings.Contains(err.Error(), "geheim") {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestConfigNeverShowsKey(t *testing.T) {
	key, pub, err := sftptest.NewClientKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{URL: "sftp://k@h/x", PrivateKey: key, Passphrase: []byte("zeer-geheim"), HostKey: "garbage"}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("upload", "cfg", cfg)
	shown := []string{
		fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%s", cfg),
		fmt.Sprintf("%q", cfg), fmt.Sprintf("%v", &cfg), fmt.Sprintf("%+v", []Config{cfg}), buf.String(),
	}
	block, _ := pem.Decode(key)
	body := string(block.Bytes[10:40])
	for _, s := range shown {
		if strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, body) || strings.Contains(s, "zeer-geheim") {
			t.Errorf("key material shown: %s", s)
		}
	}
	if s := cfg.String(); !strings.Contains(s, ssh.FingerprintSHA256(pub)) {
		t.Errorf("String = %s; want the key's fingerprint", s)
	}
	if fp, err := KeyFingerprint(key, nil); err != nil || fp != ssh.FingerprintSHA256(pub) {
		t.Errorf("KeyFingerprint = %q, %v", fp, err)
	}
	if line, err := PublicKeyLine(key, nil); err != nil || !strings.HasPrefix(line, "ssh-ed25519 AAAA") {
		t.Errorf("PublicKeyLine = %q, %v", line, err)
	}
}

func TestKeyProblemsNamed(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("goed"))
	if err != nil {
		t.Fatal(err)
	}
	encrypted := pem.EncodeToMemory(block)
	base := Config{URL: "sftp://k@h/x", HostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"}
	cases := []struct {
		name    string
		mod     func(*Config)
		problem string
	}{
		{"no key", func(c *Config) {}, "private key: none given"},
		{"not a key", func(c *Config) { c.PrivateKey = []byte("hallo") }, "not an OpenSSH or PEM private key"},
		{"no passphrase", func(c *Config) { c.PrivateKey = encrypted }, "encrypted, and no passphrase"},
		{"wrong passphrase", func(c *Config) { c.PrivateKey, c.Passphrase = encrypted, []byte("fout") }, "wrong passphrase"},
		{"no host key source", func(c *Config) { c.PrivateKey, c.Passphrase, c.HostKey = encrypted, []byte("goed"), "" }, "known_hosts or a pinned host key"},
		{"bad host key", func(c *Config) { c.PrivateKey, c.Passphrase, c.HostKey = encrypted, []byte("goed"), "ssh-ed25519 nope" }, "host key: not an authorized_keys-format line"},
		{"bad known_hosts", func(c *Config) {
			c.PrivateKey, c.Passphrase, c.HostKey, c.KnownHosts = encrypted, []byte("goed"), "", []byte("nonsense\n")
		}, "known_hosts: knownhosts: known_hosts: no valid entries"},
		{"bad URL", func(c *Config) { c.URL = "ftp://k@h/x" }, `scheme is "ftp"`},
	}
	for _, c := range cases {
		cfg := base
		c.mod(&cfg)
		err := cfg.Validate()
		if e := asError(t, err); e.Kind != KindConfig || e.Retryable() || !strings.Contains(err.Error(), c.problem) {
			t.Errorf("%s: %v (kind %v); want a configuration error about %q", c.name, err, e.Kind, c.problem)
		}
	}
	cfg := base
	cfg.PrivateKey, cfg.Passphrase = encrypted, []byte("goed")
	if err := cfg.Validate(); err != nil {
		t.Errorf("encrypted key with its passphrase: %v", err)
	}
	pub, _ := ssh.NewPublicKey(priv.Public())
	if fp, err := KeyFingerprint(encrypted, nil); err != nil || fp != ssh.FingerprintSHA256(pub) {
		t.Errorf("KeyFingerprint of an encrypted key without its passphrase = %q, %v", fp, err)
	}
}

func TestBackoff(t *testing.T) {
	base := 100 * time.Millisecond
	for attempt, max := range map[int]time.Duration{1: base, 2: 2 * base, 4: 8 * base, 20: 30 * time.Second} {
		for range 50 {
			d := backoff(base, attempt)
			if d < max/2 || d > max {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", attempt, d, max/2, max)
			}
		}
	}
}
