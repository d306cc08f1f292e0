package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

// sftpSection is a delivery.sftp section for a destination every upload fails to reach, its
// client key in dir.
func sftpSection(t *testing.T, dir string) string {
	t.Helper()
	url, key, hostKey := sftptest.Unreachable(t)
	if err := os.WriteFile(filepath.Join(dir, "koppel_ed25519"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	return "  sftp:\n    url: " + url + "/acme\n    key_file: ./koppel_ed25519\n    host_key: \"" + hostKey + "\"\n"
}

// A delivery the server never takes can be taken out of the queue, after a confirmation; the
// next run then reads AFAS again, and the listing says the delivery was skipped. A profile whose
// SFTP destination is gone says how to empty what it left queued.
func TestSkipAQueuedDelivery(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "30", "--seed", "6")
	section := sftpSection(t, c.dir)
	if out, errOut, code := c.run("profile", "import", c.profile("acme", url, token, "mutaties", section)); code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errOut)
	}
	out, errOut, code := c.run("run", "acme", "--json", "--retry-time", "10ms")
	if code != exitQueued {
		t.Fatalf("run with the server unreachable: exit %d\n%s", code, errOut)
	}
	r1 := lastJSON(t, out)["run"].(string)

	// Without a terminal and without --yes nothing changes.
	if _, errOut, code := c.run("push", "acme", "--skip", r1); code != 2 || !strings.Contains(errOut, "--yes") || !strings.Contains(errOut, r1) {
		t.Fatalf("skip without --yes: exit %d %s", code, errOut)
	}
	// A run that is not queued is refused, naming what is.
	if _, errOut, code := c.run("push", "acme", "--skip", "20260101-000000-abcd", "--yes"); code != 2 || !strings.Contains(errOut, "niet in de wachtrij") || !strings.Contains(errOut, r1) {
		t.Fatalf("skip of a run not queued: exit %d %s", code, errOut)
	}
	if _, errOut, code := c.run("run", "acme", "--retry-time", "10ms"); code != exitQueued || !strings.Contains(errOut, r1) {
		t.Fatalf("the queue should still hold run 1 and block the next run: exit %d %s", code, errOut)
	}

	out, errOut, code = c.run("push", "acme", "--skip", r1, "--yes", "--json")
	if code != 0 {
		t.Fatalf("skip: exit %d %s", code, errOut)
	}
	if s := lastJSON(t, out); s["skipped"] != r1 || s["queued"] != float64(0) || s["status"] != "ok" {
		t.Fatalf("skip summary %v", s)
	}
	if out, _, _ := c.run("runs", "acme"); !strings.Contains(out, "uit de wachtrij gehaald") {
		t.Errorf("the listing does not say run 1 was skipped:\n%s", out)
	}
	// The next run reads AFAS again; its own delivery is queued, run 1 is not.
	out, errOut, code = c.run("run", "acme", "--json", "--retry-time", "10ms")
	if code != exitQueued {
		t.Fatalf("run after the skip: exit %d %s", code, errOut)
	}
	r3 := lastJSON(t, out)["run"].(string)
	if _, errOut, code := c.run("push", "acme", "--skip", r1, "--yes"); code != 2 || !strings.Contains(errOut, r3) {
		t.Errorf("skipping run 1 twice: exit %d %s", code, errOut)
	}

	// Without the SFTP destination, push names what is left and the way out.
	if out, errOut, code := c.run("profile", "import", "--yes", c.profile("acme", url, token, "mutaties", "")); code != 0 {
		t.Fatalf("import without sftp: exit %d %s%s", code, out, errOut)
	}
	if _, errOut, code := c.run("push", "acme"); code != 2 || !strings.Contains(errOut, r3) || !strings.Contains(errOut, "--skip") {
		t.Errorf("push without sftp: exit %d %s", code, errOut)
	}
	if _, errOut, code := c.run("push", "acme", "--skip", r3, "--yes"); code != 0 {
		t.Errorf("skip without sftp: exit %d %s", code, errOut)
	}
	if _, errOut, code := c.run("push", "acme"); code != 2 || strings.Contains(errOut, "--skip") {
		t.Errorf("push without sftp and nothing queued: exit %d %s", code, errOut)
	}
}
