package store

import (
	"encoding/json"
	"fmt"

	"github.com/koppel-nl/koppel/sync/profile"
)

// sealedKey is delivery.sftp's private key with its passphrase, sealed like the token.
type sealedKey struct {
	Key        string `json:"key"`
	Passphrase string `json:"passphrase,omitempty"`
}

// sealSFTP encrypts a profile's SFTP key; nil when it has none.
func sealSFTP(key []byte, p *profile.Profile) ([]byte, error) {
	s := p.Delivery.SFTP
	if s == nil || s.Key == "" {
		return nil, nil
	}
	plain, err := json.Marshal(sealedKey{Key: s.Key, Passphrase: s.Passphrase})
	if err != nil {
		return nil, err
	}
	sealed, err := seal(key, string(plain))
	if err != nil {
		return nil, fmt.Errorf("encrypt SFTP key: %w", err)
	}
	return sealed, nil
}

// openSFTP decrypts a profile's SFTP key into p.
func openSFTP(key, sealed []byte, p *profile.Profile) error {
	if len(sealed) == 0 || p.Delivery.SFTP == nil {
		return nil
	}
	plain, err := open(key, sealed)
	if err != nil {
		return fmt.Errorf("SFTP key: %w", err)
	}
	var sk sealedKey
	if err := json.Unmarshal([]byte(plain), &sk); err != nil {
		return fmt.Errorf("SFTP key: %w", err)
	}
	p.Delivery.SFTP.Key, p.Delivery.SFTP.Passphrase = sk.Key, sk.Passphrase
	return nil
}
