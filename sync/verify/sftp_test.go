package verify

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

// CheckSFTP logs in and writes and removes a probe file; a server that refuses writes, or whose
// host key is not the known one, fails the check with its kind.
func TestCheckSFTP(t *testing.T) {
	srv := sftptest.Start(t, sftptest.Options{})
	srv.Mkdir("/import")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, srv.KnownHosts(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &profile.SFTP{URL: srv.URL("/import"), Key: string(srv.ClientKey), KnownHosts: kh}
	got := CheckSFTP(context.Background(), s)
	if !got.OK || got.HostKeyFingerprint != ssh.FingerprintSHA256(srv.HostKey) || got.KeyFingerprint == "" {
		t.Fatalf("check %+v", got)
	}
	if es, _ := os.ReadDir(srv.Path("/import")); len(es) != 0 {
		t.Errorf("the probe file was left")
	}
	srv.SetReadOnly(true)
	if got := CheckSFTP(context.Background(), s); got.OK || got.Kind != "remote" {
		t.Errorf("read-only server: %+v", got)
	}
	srv.SetReadOnly(false)
	s.KnownHosts, s.HostKey = "", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtT6nRYUlYVyqE0fIcz9zXzCsGWnqWbZZzFfn3G3ZQL"
	logins := srv.Logins()
	if got := CheckSFTP(context.Background(), s); got.OK || got.Kind != "host_key" || srv.Logins() != logins {
		t.Errorf("wrong host key: %+v, %d logins", got, srv.Logins())
	}
	rep := &Report{TokenOK: true, SFTP: &SFTP{OK: false}}
	if rep.OK() {
		t.Error("a report with a failed SFTP check is OK")
	}
}
