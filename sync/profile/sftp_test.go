package profile

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

const hostLine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtT6nRYUlYVyqE0fIcz9zXzCsGWnqWbZZzFfn3G3ZQL"

// withSFTP is the example profile with a delivery.sftp section.
func withSFTP(t *testing.T, section string) string {
	t.Helper()
	return strings.Replace(example(t), "delivery:\n", "delivery:\n  sftp:\n"+section, 1)
}

func encryptedKey(t *testing.T, passphrase string) []byte {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block)
}

func sftpErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v, want profile errors", err)
	}
	out := map[string]string{}
	for _, e := range es {
		out[e.Key] = e.Code
	}
	return out
}

func TestSFTPKeyReadAtImport(t *testing.T) {
	dir := t.TempDir()
	key, _, _ := sftptest.NewClientKey("ed25519")
	if err := os.WriteFile(filepath.Join(dir, "id"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "known_hosts"), []byte("sftp.example.nl "+hostLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Parse([]byte(withSFTP(t, "    url: sftp://koppel@sftp.example.nl/import/acme\n    key_file: id\n    known_hosts: known_hosts\n")), dir, noenv)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Delivery.SFTP
	if s.Key != string(key) || s.KeyFile != "" || s.KnownHosts != filepath.Join(dir, "known_hosts") {
		t.Fatalf("sftp %+v", s)
	}
	cfg, err := s.Config()
	if err != nil || !strings.Contains(string(cfg.KnownHosts), hostLine) || string(cfg.PrivateKey) != string(key) {
		t.Fatalf("config %v %v", cfg, err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// The YAML and JSON of the stored profile keep neither the key nor a path to it.
	y, _ := p.Marshal()
	if strings.Contains(string(y), "PRIVATE KEY") || strings.Contains(string(y), "key_file") {
		t.Errorf("YAML holds the key:\n%s", y)
	}

	// From the environment, encrypted, with its passphrase.
	enc := encryptedKey(t, "open sesame")
	env := map[string]string{"K": string(enc), "P": "open sesame"}
	p, err = Parse([]byte(withSFTP(t, "    url: sftp://koppel@sftp.example.nl:2222/import\n    key_env: K\n    key_passphrase_env: P\n    host_key: "+hostLine+"\n")), dir, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if p.Delivery.SFTP.Key != string(enc) || p.Delivery.SFTP.Passphrase != "open sesame" || p.Delivery.SFTP.KeyEnv != "" || p.Delivery.SFTP.KeyFingerprint() == "" {
		t.Fatalf("sftp %+v", p.Delivery.SFTP)
	}
}

func TestSFTPProblemsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	key, pub, _ := sftptest.NewClientKey("ed25519")
	enc := encryptedKey(t, "Zx9-correct")
	files := map[string][]byte{"id": key, "enc": enc, "id.pub": ssh.MarshalAuthorizedKey(pub)}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"WRONG": "wrong", "KEY": string(key)}
	getenv := func(k string) string { return env[k] }
	const url, pin = "    url: sftp://koppel@sftp.example.nl/import\n", "    host_key: " + hostLine + "\n"
	tests := []struct {
		section, key, code string
	}{
		{url + "    key_file: missing\n" + pin, "delivery.sftp.key_file", "sftp_key_file"},
		{url + "    key_file: id\n    key_env: KEY\n" + pin, "delivery.sftp.key_env", "sftp_key_both"},
		{url + "    key_env: NOTSET\n" + pin, "delivery.sftp.key_env", "sftp_key_env_empty"},
		{url + pin, "delivery.sftp.key_file", "sftp_key_missing"},
		{url + "    key_file: id.pub\n" + pin, "delivery.sftp.key_file", "sftp_key_form"},
		{url + "    key_file: enc\n" + pin, "delivery.sftp.key_passphrase_env", "sftp_key_passphrase"},
		{url + "    key_file: enc\n    key_passphrase_env: WRONG\n" + pin, "delivery.sftp.key_passphrase_env", "sftp_key_wrong_passphrase"},
		{url + "    key_file: enc\n    key_passphrase_env: NOTSET\n" + pin, "delivery.sftp.key_passphrase_env", "sftp_passphrase_env_empty"},
		{url + "    key_file: id\n", "delivery.sftp.known_hosts", "sftp_host_missing"},
		{url + "    key_file: id\n    known_hosts: nothere\n", "delivery.sftp.known_hosts", "sftp_known_hosts_file"},
		{url + "    key_file: id\n    host_key: ssh-ed25519 nonsense\n", "delivery.sftp.host_key", "sftp_host_key"},
		{"    url: sftp://koppel:hunter2@sftp.example.nl/import\n    key_file: id\n" + pin, "delivery.sftp.url", "sftp_url"},
		{"    url: https://sftp.example.nl/import\n    key_file: id\n" + pin, "delivery.sftp.url", "sftp_url"},
		{"    url: sftp://koppel@sftp.example.nl\n    key_file: id\n" + pin, "delivery.sftp.url", "sftp_url"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(withSFTP(t, tt.section)), dir, getenv)
		if err == nil {
			t.Errorf("%q accepted", tt.section)
			continue
		}
		if got := sftpErrors(t, err)[tt.key]; got != tt.code {
			t.Errorf("%q: %v, want %s at %s", tt.section, err, tt.code, tt.key)
		}
		for _, l := range []i18n.Lang{i18n.NL, i18n.EN} {
			text := err.(Errors).Text(l)
			if strings.Contains(text, "hunter2") || strings.Contains(text, "PRIVATE KEY") || strings.Contains(text, "Zx9-correct") {
				t.Errorf("a secret in the message: %s", text)
			}
			if !strings.Contains(text, tt.key) {
				t.Errorf("%s does not name %s", text, tt.key)
			}
		}
	}
}
