package profile

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/sync/sftp"
)

// SFTP is delivery.sftp: the Xpert Suite SFTP server every delivery is uploaded to.
//
// The private key (and its passphrase) is read at import, from key_file or key_env, and kept in
// Key and Passphrase, which the store encrypts like the token: the stored profile keeps no path
// to it. known_hosts stays a path (absolute once imported) and is read at every connection, so
// that it follows the file ssh itself maintains.
type SFTP struct {
	URL              string `yaml:"url" json:"url"`
	KeyFile          string `yaml:"key_file,omitempty" json:"-"`
	KeyEnv           string `yaml:"key_env,omitempty" json:"-"`
	KeyPassphraseEnv string `yaml:"key_passphrase_env,omitempty" json:"-"`
	KnownHosts       string `yaml:"known_hosts,omitempty" json:"known_hosts,omitempty"`
	HostKey          string `yaml:"host_key,omitempty" json:"host_key,omitempty"`

	// Key is the private key itself, Passphrase its passphrase: never in YAML or JSON.
	Key        string `yaml:"-" json:"-"`
	Passphrase string `yaml:"-" json:"-"`
	// keyFrom names the key the private key came from, for messages about it.
	keyFrom string
}

// Profile keys of delivery.sftp.
const (
	sftpKey         = "delivery.sftp"
	keyURL          = sftpKey + ".url"
	keyKeyFile      = sftpKey + ".key_file"
	keyKeyEnv       = sftpKey + ".key_env"
	keyPassEnv      = sftpKey + ".key_passphrase_env"
	keyKnownHosts   = sftpKey + ".known_hosts"
	keyHostKey      = sftpKey + ".host_key"
	maxKeyFileBytes = 64 << 10
)

// SFTPKeyEnvName and SFTPPassphraseEnvName are the variables an exported profile reads the SFTP
// key and its passphrase from: KOPPEL_SFTP_KEY_ACME_ZORG, KOPPEL_SFTP_PASSPHRASE_ACME_ZORG.
func SFTPKeyEnvName(name string) string {
	return "KOPPEL_SFTP_KEY_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// SFTPPassphraseEnvName: see SFTPKeyEnvName.
func SFTPPassphraseEnvName(name string) string {
	return "KOPPEL_SFTP_PASSPHRASE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// resolveSFTP reads the private key and its passphrase (key_file relative to baseDir, ~ for the
// home folder) and makes known_hosts absolute. Afterwards only Key, Passphrase and the paths of
// known_hosts remain.
func (p *Profile) resolveSFTP(baseDir string, getenv func(string) string) error {
	s := p.Delivery.SFTP
	if s == nil {
		return nil
	}
	var es Errors
	add := func(key, code, value string) {
		es = append(es, &Error{Key: key, Code: code, Value: clip(value, maxEcho)})
	}
	switch {
	case s.KeyFile != "" && s.KeyEnv != "":
		add(keyKeyEnv, "sftp_key_both", "")
	case s.KeyFile != "":
		path := localPath(s.KeyFile, baseDir)
		key, err := readKeyFile(path)
		if err != nil {
			add(keyKeyFile, "sftp_key_file", path)
			break
		}
		s.Key, s.keyFrom = key, keyKeyFile
	case s.KeyEnv != "":
		s.Key, s.keyFrom = getenv(s.KeyEnv), keyKeyEnv
		if strings.TrimSpace(s.Key) == "" {
			add(keyKeyEnv, "sftp_key_env_empty", s.KeyEnv)
		}
	}
	if s.KeyPassphraseEnv != "" {
		s.Passphrase = getenv(s.KeyPassphraseEnv)
		if s.Passphrase == "" {
			add(keyPassEnv, "sftp_passphrase_env_empty", s.KeyPassphraseEnv)
		}
	}
	if s.KnownHosts != "" {
		s.KnownHosts = localPath(s.KnownHosts, baseDir)
		if _, err := readKnownHosts(s.KnownHosts); err != nil {
			add(keyKnownHosts, "sftp_known_hosts_file", s.KnownHosts)
		}
	}
	s.KeyFile, s.KeyEnv, s.KeyPassphraseEnv = "", "", ""
	if len(es) > 0 {
		return es
	}
	return nil
}

// localPath expands a leading ~/ and makes a relative path absolute against baseDir.
func localPath(path, baseDir string) string {
	if path == "~" || strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, strings.TrimPrefix(path, "~"))
		}
	}
	if !filepath.IsAbs(path) && baseDir != "" {
		path = filepath.Join(baseDir, path)
	}
	return filepath.Clean(path)
}

// readKeyFile reads a private key file: a real key is a few kilobytes.
func readKeyFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxKeyFileBytes {
		return "", errors.New("larger than a private key")
	}
	return string(b), nil
}

func readKnownHosts(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("known_hosts %s: %w", path, err)
	}
	return b, nil
}

// validateSFTP checks delivery.sftp. Its errors never echo the key or the passphrase.
func (p *Profile) validateSFTP() Errors {
	s := p.Delivery.SFTP
	if s == nil {
		return nil
	}
	var es Errors
	add := func(key, code, value string) {
		es = append(es, &Error{Key: key, Code: code, Value: clip(value, maxEcho)})
	}
	if _, err := sftp.ParseURL(s.URL); err != nil {
		var ue *sftp.URLError
		shown := s.URL
		if errors.As(err, &ue) {
			shown = ue.URL
		}
		add(keyURL, "sftp_url", shown)
	}
	from := s.keyFrom
	if from == "" {
		from = keyKeyFile
	}
	switch {
	case s.KeyFile != "" && s.KeyEnv != "":
		add(keyKeyEnv, "sftp_key_both", "")
	case s.Key == "" && s.KeyFile == "" && s.KeyEnv == "":
		add(keyKeyFile, "sftp_key_missing", "")
	case s.Key != "":
		if code := keyProblem([]byte(s.Key), []byte(s.Passphrase)); code != "" {
			key := from
			if code != "sftp_key_form" {
				key = keyPassEnv
			}
			add(key, code, "")
		}
	}
	if strings.TrimSpace(s.KnownHosts) == "" && strings.TrimSpace(s.HostKey) == "" {
		add(keyKnownHosts, "sftp_host_missing", "")
	}
	if s.KnownHosts != "" && !filepath.IsAbs(s.KnownHosts) && !strings.HasPrefix(s.KnownHosts, "~/") {
		add(keyKnownHosts, "sftp_known_hosts_file", s.KnownHosts)
	}
	if s.HostKey != "" {
		if _, err := sftp.HostKeyFingerprint(s.HostKey); err != nil {
			add(keyHostKey, "sftp_host_key", s.HostKey)
		}
	}
	return es
}

// keyProblem names what is wrong with a private key and its passphrase, or "".
func keyProblem(key, passphrase []byte) string {
	_, err := ssh.ParsePrivateKey(key)
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &missing) && len(passphrase) == 0:
		return "sftp_key_passphrase"
	case errors.As(err, &missing):
		_, err = ssh.ParsePrivateKeyWithPassphrase(key, passphrase)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return "sftp_key_wrong_passphrase"
		}
		if err != nil {
			return "sftp_key_form"
		}
		return ""
	}
	return "sftp_key_form"
}

// Config is the upload configuration of delivery.sftp, with known_hosts read now. It fails with
// an error naming the profile key when known_hosts cannot be read.
func (s *SFTP) Config() (sftp.Config, error) {
	cfg := sftp.Config{URL: s.URL, PrivateKey: []byte(s.Key), Passphrase: []byte(s.Passphrase), HostKey: s.HostKey}
	if s.KnownHosts != "" {
		b, err := readKnownHosts(localPath(s.KnownHosts, ""))
		if err != nil {
			return sftp.Config{}, fmt.Errorf("%s: %w", keyKnownHosts, err)
		}
		cfg.KnownHosts = b
	}
	return cfg, nil
}

// KeyFingerprint is the SHA256 fingerprint of the login key, for showing it; "" when there is
// none.
func (s *SFTP) KeyFingerprint() string {
	if s == nil || s.Key == "" {
		return ""
	}
	fp, err := sftp.KeyFingerprint([]byte(s.Key), []byte(s.Passphrase))
	if err != nil {
		return ""
	}
	return fp
}
