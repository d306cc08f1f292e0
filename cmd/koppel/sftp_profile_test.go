package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

// An SFTP profile travels like the token: the export names the variable for the key and holds
// no key; imported from it on another machine, the store holds the same key.
func TestSFTPProfileTravels(t *testing.T) {
	key, _, err := sftptest.NewClientKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	laptop := newCLI(t)
	url, token := laptop.sim("--employees", "10")
	if err := os.WriteFile(filepath.Join(laptop.dir, "id"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	section := "  sftp:\n    url: sftp://koppel@sftp.example.nl/import/acme\n    key_file: id\n    host_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtT6nRYUlYVyqE0fIcz9zXzCsGWnqWbZZzFfn3G3ZQL\n"
	if _, errOut, code := laptop.run("profile", "import", laptop.profile("acme", url, token, "compleet", section)); code != 0 {
		t.Fatalf("import: exit %d %s", code, errOut)
	}
	fp := regexp.MustCompile(`SHA256:[A-Za-z0-9+/]+`)
	shown, _, _ := laptop.run("profile", "show", "acme")
	keyFP := fp.FindString(shown)
	if keyFP == "" {
		t.Fatalf("show does not name the key's fingerprint:\n%s", shown)
	}
	exported, errOut, code := laptop.run("profile", "export", "acme", "--with-token")
	body := strings.Split(string(key), "\n")[1]
	if code != 0 || strings.Contains(exported, body[:20]) || !strings.Contains(exported, "key_env: KOPPEL_SFTP_KEY_ACME") || strings.Contains(exported, "key_file") {
		t.Fatalf("export: exit %d %s\n%s", code, errOut, exported)
	}

	host := newCLI(t)
	file := filepath.Join(host.dir, "acme.yaml")
	if err := os.WriteFile(file, []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := host.run("profile", "import", file); code != 2 || !strings.Contains(errOut, "delivery.sftp.key_env") {
		t.Errorf("import without the key's variable: exit %d %s", code, errOut)
	}
	host.env = append(host.env, "KOPPEL_SFTP_KEY_ACME="+string(key))
	if _, errOut, code := host.run("profile", "import", file); code != 0 {
		t.Fatalf("import on the host: exit %d %s", code, errOut)
	}
	if shown, _, _ := host.run("profile", "show", "acme"); fp.FindString(shown) != keyFP {
		t.Errorf("the host holds another key:\n%s", shown)
	}
}
