package sftp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
	"github.com/koppel-nl/koppel/sync/sftp/sshdtest"
)

// TestOpenSSH runs the upload against OpenSSH's real sshd (internal-sftp).
func TestOpenSSH(t *testing.T) {
	rsaKey, rsaPub, err := sftptest.NewClientKey("rsa")
	if err != nil {
		t.Fatal(err)
	}
	d := sshdtest.Start(t, sshdtest.Options{AuthorizedKeys: []ssh.PublicKey{rsaPub}})
	cfg := Config{
		URL:          d.URL(""),
		PrivateKey:   d.ClientKey,
		KnownHosts:   d.KnownHosts(),
		Timeout:      5 * time.Second,
		MaxRetryTime: 2 * time.Second,
		RetryBase:    20 * time.Millisecond,
	}
	ctx := context.Background()

	t.Run("upload", func(t *testing.T) {
		local := makeDelivery(t, runID, testDelivery)
		res, err := Upload(ctx, cfg, local, runID)
		if err != nil {
			t.Fatal(err)
		}
		if res.AlreadyThere || res.Files != len(testDelivery) || res.HostKeyFingerprint != ssh.FingerprintSHA256(d.HostKey) {
			t.Errorf("result %+v", res)
		}
		remote := filepath.Join(d.Dir, runID)
		assertFolder(t, remote, testDelivery)
		// Every file was written as .part and renamed when complete, so the manifest, written
		// last, is the newest.
		times := modTimes(t, remote)
		for name, mt := range times {
			if mt.After(times[ManifestName]) {
				t.Errorf("%s is newer than %s", name, ManifestName)
			}
		}

		// Again, and again as a fresh process would after a crash before recording: nothing sent.
		// (Each connection so far logged in and will log "Transferred:" when it closes.)
		done := strings.Count(d.Log(), "Connection from")
		for _, c := range []Config{cfg, {URL: cfg.URL, PrivateKey: d.ClientKey, KnownHosts: d.KnownHosts()}} {
			res, err := Upload(ctx, c, makeDelivery(t, runID, testDelivery), runID)
			if err != nil {
				t.Fatal(err)
			}
			if !res.AlreadyThere || res.Files != 0 {
				t.Errorf("repeated upload: %+v; want AlreadyThere", res)
			}
		}
		if got := modTimes(t, remote); !equalTimes(got, times) {
			t.Errorf("repeated uploads touched files: %v -> %v", times, got)
		}
		// sshd logs the bytes of each connection when it closes: the repeated uploads' are the
		// handshake and a manifest read, far less than the delivery.
		for _, n := range received(t, d, done, 2) {
			if n > 16<<10 {
				t.Errorf("a repeated upload sent %d bytes", n)
			}
		}
	})

	t.Run("part leftovers", func(t *testing.T) {
		run := "run-leftovers"
		remote := filepath.Join(d.Dir, run)
		if err := os.Mkdir(remote, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range map[string]string{".contracten.csv.part": "half", ".manifest.json.part": "{", "medewerkers.csv": "oud"} {
			if err := os.WriteFile(filepath.Join(remote, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Upload(ctx, cfg, makeDelivery(t, run, testDelivery), run); err != nil {
			t.Fatal(err)
		}
		assertFolder(t, remote, testDelivery)
	})

	t.Run("rsa key", func(t *testing.T) {
		c := cfg
		c.PrivateKey = rsaKey
		if _, err := Upload(ctx, c, makeDelivery(t, "run-rsa", testDelivery), "run-rsa"); err != nil {
			t.Fatal(err)
		}
		assertFolder(t, filepath.Join(d.Dir, "run-rsa"), testDelivery)
	})

	t.Run("wrong host key", func(t *testing.T) {
		other, _, err := sftptest.NewClientKey("ed25519")
		if err != nil {
			t.Fatal(err)
		}
		signer, _ := ssh.ParsePrivateKey(other)
		c := cfg
		c.KnownHosts = []byte("[127.0.0.1]:" + portOfAddr(d.Addr) + " " + keyLine(signer.PublicKey()) + "\n")
		before := readTree(t, d.Dir)
		logins := strings.Count(d.Log(), "Accepted publickey")
		_, err = Upload(ctx, c, makeDelivery(t, "run-mitm", testDelivery), "run-mitm")
		var hke *HostKeyError
		if !errors.As(err, &hke) || !hke.Known || IsRetryable(err) || hke.Fingerprint != ssh.FingerprintSHA256(d.HostKey) {
			t.Fatalf("%v; want a changed-host-key error with sshd's fingerprint", err)
		}
		assertFolder(t, d.Dir, before)
		if n := strings.Count(d.Log(), "Accepted publickey"); n != logins {
			t.Errorf("logged in despite the host key")
		}
	})

	t.Run("login refused", func(t *testing.T) {
		other, _, err := sftptest.NewClientKey("ed25519")
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.PrivateKey = other
		_, err = Upload(ctx, c, makeDelivery(t, "run-auth", testDelivery), "run-auth")
		if KindOf(err) != KindAuth || IsRetryable(err) {
			t.Errorf("%v; want a login error", err)
		}
	})

	t.Run("probe and fingerprint", func(t *testing.T) {
		res, err := Probe(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.ServerVersion, "OpenSSH") || !res.PosixRename || res.HostKeyFingerprint != ssh.FingerprintSHA256(d.HostKey) {
			t.Errorf("probe %+v", res)
		}
		entries, _ := os.ReadDir(d.Dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".koppel-probe") {
				t.Errorf("probe file left: %s", e.Name())
			}
		}
		line, fp, err := Fingerprint(ctx, Config{URL: cfg.URL})
		if err != nil || line != d.HostKeyLine || fp != ssh.FingerprintSHA256(d.HostKey) {
			t.Errorf("Fingerprint = %q, %q, %v; want %q", line, fp, err, d.HostKeyLine)
		}
	})

	t.Run("server down", func(t *testing.T) {
		d.Stop()
		start := time.Now()
		_, err := Upload(ctx, cfg, makeDelivery(t, "run-down", testDelivery), "run-down")
		if e := asError(t, err); !e.Retryable() || e.Attempts < 2 {
			t.Errorf("%v; want a retryable error after retries", err)
		}
		if took := time.Since(start); took > 4*time.Second {
			t.Errorf("took %s with MaxRetryTime 2s", took)
		}
	})
}

// received waits for sshd to log `want` more closed connections after the first `skip` and
// returns the bytes it received on each.
func received(t *testing.T, d *sshdtest.Server, skip, want int) []int {
	t.Helper()
	re := regexp.MustCompile(`Transferred: sent \d+, received (\d+) bytes`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := re.FindAllStringSubmatch(d.Log(), -1)
		if len(m) >= skip+want {
			var out []int
			for _, x := range m[skip : skip+want] {
				n, _ := strconv.Atoi(x[1])
				out = append(out, n)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd logged %d closed connections, want %d", len(m), skip+want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func portOfAddr(addr string) string { return addr[strings.LastIndex(addr, ":")+1:] }

func modTimes(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fi.ModTime()
	}
	return out
}

func equalTimes(a, b map[string]time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !b[k].Equal(v) {
			return false
		}
	}
	return true
}
