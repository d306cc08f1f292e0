package verify

import (
	"context"
	"time"

	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/sftp"
)

// SFTP is the check of delivery.sftp: the host key, the login key and write access to the
// remote folder (a probe file written and removed).
type SFTP struct {
	Remote             string `json:"remote"`
	OK                 bool   `json:"ok"`
	HostKeyFingerprint string `json:"host_key_fingerprint,omitempty"`
	KeyFingerprint     string `json:"key_fingerprint,omitempty"`
	// Kind names what failed: network, host_key, login, configuration, remote.
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message,omitempty"`
}

// CheckSFTP logs in to a profile's SFTP server once, without retries: a consultant is waiting.
func CheckSFTP(ctx context.Context, s *profile.SFTP) *SFTP {
	out := &SFTP{Remote: s.URL, KeyFingerprint: s.KeyFingerprint()}
	if t, err := sftp.ParseURL(s.URL); err == nil {
		out.Remote = t.String()
	}
	cfg, err := s.Config()
	if err != nil {
		out.Kind, out.Message = "configuration", err.Error()
		return out
	}
	cfg.Timeout = 15 * time.Second
	res, err := sftp.Probe(ctx, cfg)
	if err != nil {
		out.Kind, out.Message = kindName(err), err.Error()
		return out
	}
	out.OK, out.HostKeyFingerprint = true, res.HostKeyFingerprint
	return out
}

func kindName(err error) string {
	switch sftp.KindOf(err) {
	case sftp.KindNetwork:
		return "network"
	case sftp.KindHostKey:
		return "host_key"
	case sftp.KindAuth:
		return "login"
	case sftp.KindConfig:
		return "configuration"
	case sftp.KindCanceled:
		return "canceled"
	}
	return "remote"
}
