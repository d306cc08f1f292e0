package sftp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

const runID = "20260101T120000Z-0001"

func TestUploadInProcess(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	local := makeDelivery(t, runID, testDelivery)
	res, err := Upload(context.Background(), cfg, local, runID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(testDelivery[ManifestName]))
	want := Result{
		Remote:             s.URL("/import/acme/" + runID),
		Files:              len(testDelivery),
		Bytes:              totalBytes(testDelivery),
		Attempts:           1,
		ManifestSHA256:     hex.EncodeToString(sum[:]),
		HostKeyFingerprint: ssh.FingerprintSHA256(s.HostKey),
	}
	if res != want {
		t.Errorf("result %+v\nwant   %+v", res, want)
	}
	assertFolder(t, s.Path("/import/acme/"+runID), testDelivery)
	assertUploadOrder(t, s.Events(), "/import/acme/"+runID, testDelivery)
}

// assertUploadOrder checks the server's record: every file written as .<name>.part only, then
// renamed to its name; the manifest renamed last; data files in name order.
func assertUploadOrder(t *testing.T, events []sftptest.Event, dir string, files map[string]string) {
	t.Helper()
	var renamed []string
	for _, e := range events {
		switch e.Op {
		case "open-write":
			base := path.Base(e.Path)
			if path.Dir(e.Path) != dir || !strings.HasPrefix(base, ".") || !strings.HasSuffix(base, ".part") {
				t.Errorf("wrote %s, not a .part file in %s", e.Path, dir)
			}
		case "posix-rename", "rename":
			if want := path.Join(dir, "."+path.Base(e.Target)+".part"); e.Path != want {
				t.Errorf("renamed %s to %s, want from %s", e.Path, e.Target, want)
			}
			renamed = append(renamed, path.Base(e.Target))
		}
	}
	data := slices.Sorted(maps.Keys(files))
	data = slices.DeleteFunc(data, func(n string) bool { return n == ManifestName })
	if want := append(data, ManifestName); !slices.Equal(renamed, want) {
		t.Errorf("renamed %v, want %v (manifest last)", renamed, want)
	}
}

func totalBytes(files map[string]string) int64 {
	var n int64
	for _, c := range files {
		n += int64(len(c))
	}
	return n
}

func TestUploadTwiceSendsNothing(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	local := makeDelivery(t, runID, testDelivery)
	if _, err := Upload(context.Background(), cfg, local, runID); err != nil {
		t.Fatal(err)
	}
	files, bytes, n := s.FilesWritten(), s.BytesWritten(), len(s.Events())
	res, err := Upload(context.Background(), cfg, local, runID)
	if err != nil {
		t.Fatal(err)
	}
	if !res.AlreadyThere || res.Files != 0 || res.Bytes != 0 {
		t.Errorf("second upload: %+v; want AlreadyThere and nothing sent", res)
	}
	if s.FilesWritten() != files || s.BytesWritten() != bytes {
		t.Errorf("second upload wrote %d files, %d bytes", s.FilesWritten()-files, s.BytesWritten()-bytes)
	}
	for _, e := range s.Events()[n:] {
		if e.Op != "stat" && e.Op != "read" {
			t.Errorf("second upload did %s", e)
		}
	}
}

// A process that uploaded and died before recording it in the store starts again from nothing
// but the local delivery folder: it must not send the delivery a second time.
func TestUploadCrashBeforeRecordSendsNothingTwice(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	outbox := makeDelivery(t, runID, testDelivery)
	if _, err := Upload(context.Background(), cfg, outbox, runID); err != nil {
		t.Fatal(err)
	}
	written := s.FilesWritten()
	// The "fresh process": a Config rebuilt from the stored values, a delivery folder read anew.
	fresh := Config{URL: s.URL("/import/acme"), PrivateKey: slices.Clone(s.ClientKey), KnownHosts: s.KnownHosts()}
	copyDir := makeDelivery(t, runID, testDelivery)
	res, err := Upload(context.Background(), fresh, copyDir, runID)
	if err != nil {
		t.Fatal(err)
	}
	if !res.AlreadyThere || s.FilesWritten() != written {
		t.Errorf("after the crash: %+v, %d more files written; want nothing sent", res, s.FilesWritten()-written)
	}
	assertFolder(t, s.Path("/import/acme/"+runID), testDelivery)
}

// An upload that broke off (the connection cut mid-file, no retries left) leaves .part files and
// renamed files without a manifest; the next Upload completes it.
func TestUploadCompletesBrokenUpload(t *testing.T) {
	for _, posix := range []bool{true, false} {
		t.Run(map[bool]string{true: "posix-rename", false: "plain rename"}[posix], func(t *testing.T) {
			s, cfg := inproc(t, sftptest.Options{NoPosixRename: !posix})
			local := makeDelivery(t, runID, testDelivery)
			s.DropAfterWrites(3, -1) // afdelingen.csv done; cut inside contracten.csv
			cfg.MaxRetryTime = time.Nanosecond
			_, err := Upload(context.Background(), cfg, local, runID)
			if e := asError(t, err); !e.Retryable() || e.Kind != KindNetwork {
				t.Fatalf("cut upload: %v (kind %v); want a retryable network error", err, e.Kind)
			}
			remote := s.Path("/import/acme/" + runID)
			left := readTree(t, remote)
			if _, ok := left[ManifestName]; ok {
				t.Fatalf("manifest uploaded by a broken upload: %v", slices.Sorted(maps.Keys(left)))
			}
			if _, ok := left[".contracten.csv.part"]; !ok {
				t.Fatalf("no .part file left: %v", slices.Sorted(maps.Keys(left)))
			}
			if !posix {
				// Let the next upload meet a finished file it must replace without posix-rename.
				if _, ok := left["afdelingen.csv"]; !ok {
					t.Fatalf("afdelingen.csv not renamed before the cut: %v", slices.Sorted(maps.Keys(left)))
				}
			}
			s.DropAfterWrites(0, 0)
			cfg.MaxRetryTime = 0
			res, err := Upload(context.Background(), cfg, local, runID)
			if err != nil {
				t.Fatal(err)
			}
			if res.AlreadyThere || res.Files != len(testDelivery) {
				t.Errorf("completing upload: %+v", res)
			}
			assertFolder(t, remote, testDelivery)
		})
	}
}

func TestUploadReplacesPartLeftovers(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	remote := s.Path("/import/acme/" + runID)
	s.Mkdir("/import/acme/" + runID)
	leftovers := map[string]string{
		".medewerkers.csv.part": "half",
		".manifest.json.part":   `{"run":"oud"`,
		".oud.csv.part":         "van een eerdere poging",
		"afdelingen.csv":        "oude inhoud, een eerdere poging",
	}
	for name, content := range leftovers {
		if err := os.WriteFile(filepath.Join(remote, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	local := makeDelivery(t, runID, testDelivery)
	if _, err := Upload(context.Background(), cfg, local, runID); err != nil {
		t.Fatal(err)
	}
	assertFolder(t, remote, testDelivery)
}

func TestUploadRetriesCutConnection(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	s.DropAfterWrites(2, 1)
	var retries []error
	cfg.OnRetry = func(attempt int, wait time.Duration, err error) { retries = append(retries, err) }
	local := makeDelivery(t, runID, testDelivery)
	res, err := Upload(context.Background(), cfg, local, runID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 || len(retries) != 1 || !IsRetryable(retries[0]) {
		t.Errorf("attempts %d, retries %v; want 2 attempts after one retryable error", res.Attempts, retries)
	}
	assertFolder(t, s.Path("/import/acme/"+runID), testDelivery)
}

func TestUploadServerDownIsRetryableAndBounded(t *testing.T) {
	for _, how := range []string{"closed", "refusing"} {
		t.Run(how, func(t *testing.T) {
			s, cfg := inproc(t, sftptest.Options{})
			if how == "closed" {
				s.Close()
			} else {
				s.Refuse(true)
			}
			cfg.MaxRetryTime = time.Second
			cfg.RetryBase = 50 * time.Millisecond
			start := time.Now()
			_, err := Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID)
			took := time.Since(start)
			e := asError(t, err)
			if !e.Retryable() || e.Kind != KindNetwork || e.Attempts < 2 {
				t.Errorf("%v (kind %v, %d attempts); want a retryable network error after retries", err, e.Kind, e.Attempts)
			}
			if took > 2*time.Second {
				t.Errorf("took %s with MaxRetryTime 1s", took)
			}
			if !strings.Contains(err.Error(), s.Addr) {
				t.Errorf("error does not name the server: %v", err)
			}
		})
	}
}

func TestUploadCanceled(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	s.Close()
	cfg.MaxRetryTime, cfg.RetryBase = time.Minute, 10*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Upload(ctx, cfg, makeDelivery(t, runID, testDelivery), runID)
	if e := asError(t, err); e.Kind != KindCanceled || e.Retryable() || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v (kind %v); want canceled", err, e.Kind)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("cancel took %s", time.Since(start))
	}
}

func TestUploadWrongHostKeySendsNothing(t *testing.T) {
	other, _, err := sftptest.NewClientKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := ssh.ParsePrivateKey(other)
	if err != nil {
		t.Fatal(err)
	}
	otherLine := keyLine(otherKey.PublicKey())
	cases := []struct {
		name  string
		mod   func(*sftptest.Server, *Config)
		known bool
	}{
		{"changed in known_hosts", func(s *sftptest.Server, c *Config) {
			c.KnownHosts = []byte("[127.0.0.1]:" + portOf(s) + " " + otherLine + "\n")
		}, true},
		{"unknown host in known_hosts", func(s *sftptest.Server, c *Config) {
			c.KnownHosts = []byte("sftp.example.nl " + s.HostKeyLine + "\n")
		}, false},
		{"wrong pinned key", func(s *sftptest.Server, c *Config) {
			c.KnownHosts, c.HostKey = nil, otherLine
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, cfg := inproc(t, sftptest.Options{})
			c.mod(s, &cfg)
			before := readTree(t, s.Root)
			_, err := Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID)
			e := asError(t, err)
			var hke *HostKeyError
			if !errors.As(err, &hke) || e.Kind != KindHostKey || e.Retryable() || e.Attempts != 1 {
				t.Fatalf("%v (kind %v, %d attempts); want one non-retryable HostKeyError", err, e.Kind, e.Attempts)
			}
			fp := ssh.FingerprintSHA256(s.HostKey)
			if hke.Known != c.known || hke.Fingerprint != fp || hke.Host != s.Addr || hke.KeyLine != s.HostKeyLine {
				t.Errorf("HostKeyError %+v; want Known %v, fingerprint %s", hke, c.known, fp)
			}
			if !strings.Contains(err.Error(), s.Addr) || !strings.Contains(err.Error(), fp) {
				t.Errorf("message does not name host and fingerprint: %v", err)
			}
			if s.AuthAttempts() != 0 || s.Logins() != 0 || len(s.Events()) != 0 {
				t.Errorf("sent to an untrusted server: %d auth attempts, %d logins, %v", s.AuthAttempts(), s.Logins(), s.Events())
			}
			assertFolder(t, s.Root, before)
			if _, err := os.Stat(s.Path("/import/acme/" + runID)); !os.IsNotExist(err) {
				t.Errorf("run folder created: %v", err)
			}
		})
	}
}

func TestUploadPinnedHostKey(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	cfg.KnownHosts, cfg.HostKey = nil, s.HostKeyLine
	if _, err := Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID); err != nil {
		t.Fatal(err)
	}
	assertFolder(t, s.Path("/import/acme/"+runID), testDelivery)
}

// A server with several host keys offers the one the client asks for first; x/crypto asks for
// RSA and ECDSA before ed25519. The upload must ask for the kind known_hosts lists, or a known
// server would look like a changed one.
func TestUploadAsksForKnownHostKeyType(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{HostKeyTypes: []string{"ecdsa", "ed25519"}})
	ed := s.HostKeys[1]
	cfg.KnownHosts = []byte("[127.0.0.1]:" + portOf(s) + " " + keyLine(ed) + "\n")
	res, err := Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID)
	if err != nil {
		t.Fatal(err)
	}
	if res.HostKeyFingerprint != ssh.FingerprintSHA256(ed) {
		t.Errorf("host key %s, want the ed25519 one", res.HostKeyFingerprint)
	}
	// Pinned the same way.
	cfg.KnownHosts, cfg.HostKey = nil, keyLine(ed)
	if _, err := Upload(context.Background(), cfg, makeDelivery(t, "run-2", testDelivery), "run-2"); err != nil {
		t.Fatal(err)
	}
}

func portOf(s *sftptest.Server) string { return strings.TrimPrefix(s.Addr, "127.0.0.1:") }

func TestUploadKeyTypes(t *testing.T) {
	for _, kt := range []string{"ecdsa", "rsa"} {
		t.Run(kt, func(t *testing.T) {
			s, cfg := inproc(t, sftptest.Options{KeyType: kt})
			if _, err := Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID); err != nil {
				t.Fatal(err)
			}
			assertFolder(t, s.Path("/import/acme/"+runID), testDelivery)
		})
	}
}

func TestUploadLoginRefused(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	other, _, err := sftptest.NewClientKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PrivateKey = other
	_, err = Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID)
	e := asError(t, err)
	if e.Kind != KindAuth || e.Retryable() || e.Attempts != 1 {
		t.Errorf("%v (kind %v, %d attempts); want one non-retryable login error", err, e.Kind, e.Attempts)
	}
	fp, _ := KeyFingerprint(other, nil)
	if !strings.Contains(err.Error(), fp) || strings.Contains(err.Error(), "PRIVATE") {
		t.Errorf("message %q; want the key's fingerprint only", err)
	}
	if s.Logins() != 0 || len(s.Events()) != 0 {
		t.Errorf("logged in: %v", s.Events())
	}
}

func TestUploadConflictingManifest(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	other := maps.Clone(testDelivery)
	other[ManifestName] = `{"run":"iets anders"}`
	if _, err := Upload(context.Background(), cfg, makeDelivery(t, runID, other), runID); err != nil {
		t.Fatal(err)
	}
	written := s.FilesWritten()
	_, err := Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID)
	if e := asError(t, err); e.Kind != KindConflict || e.Retryable() {
		t.Errorf("%v (kind %v); want a conflict", err, e.Kind)
	}
	if s.FilesWritten() != written {
		t.Errorf("wrote over a complete delivery")
	}
	assertFolder(t, s.Path("/import/acme/"+runID), other)
}

func TestUploadRemoteProblems(t *testing.T) {
	t.Run("remote folder missing", func(t *testing.T) {
		s, cfg := inproc(t, sftptest.Options{})
		cfg.URL = s.URL("/bestaat/niet")
		_, err := Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID)
		if e := asError(t, err); e.Kind != KindRemote || e.Retryable() || !strings.Contains(err.Error(), "/bestaat/niet does not exist") {
			t.Errorf("%v (kind %v); want a remote error naming the folder", err, e.Kind)
		}
		if _, err := os.Stat(s.Path("/bestaat")); !os.IsNotExist(err) {
			t.Errorf("created the remote folder: %v", err)
		}
	})
	t.Run("read-only", func(t *testing.T) {
		s, cfg := inproc(t, sftptest.Options{})
		s.SetReadOnly(true)
		_, err := Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID)
		if e := asError(t, err); e.Kind != KindRemote || e.Retryable() || e.Attempts != 1 {
			t.Errorf("%v (kind %v); want one remote error", err, e.Kind)
		}
	})
}

func TestUploadChecksDelivery(t *testing.T) {
	_, cfg := inproc(t, sftptest.Options{})
	noManifest := maps.Clone(testDelivery)
	delete(noManifest, ManifestName)
	hidden := maps.Clone(testDelivery)
	hidden[".verborgen"] = "x"
	part := maps.Clone(testDelivery)
	part["a.csv.part"] = "x"
	sub := makeDelivery(t, runID, testDelivery)
	if err := os.Mkdir(filepath.Join(sub, "map"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dir, run, problem string
	}{
		{"no manifest", makeDelivery(t, runID, noManifest), runID, "no manifest.json"},
		{"hidden file", makeDelivery(t, runID, hidden), runID, "starts with a dot"},
		{"part file", makeDelivery(t, runID, part), runID, ".part"},
		{"subfolder", sub, runID, "not a regular file"},
		{"missing", filepath.Join(t.TempDir(), "weg"), runID, "no such file"},
		{"run ID with slash", makeDelivery(t, runID, testDelivery), "a/b", "slash"},
		{"run ID going up", makeDelivery(t, runID, testDelivery), "..", "dot"},
		{"run ID with dot", makeDelivery(t, runID, testDelivery), ".x", "dot"},
		{"empty run ID", makeDelivery(t, runID, testDelivery), "", "empty"},
	}
	for _, c := range cases {
		_, err := Upload(context.Background(), cfg, c.dir, c.run)
		if e := asError(t, err); e.Kind != KindDelivery || e.Retryable() || !strings.Contains(err.Error(), c.problem) {
			t.Errorf("%s: %v (kind %v); want a delivery error about %q", c.name, err, e.Kind, c.problem)
		}
	}
}

// A server that accepts the connection and then says nothing is given up on after Timeout.
func TestUploadSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	key, _, err := sftptest.NewClientKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		URL:          "sftp://koppel@" + ln.Addr().String() + "/import",
		PrivateKey:   key,
		HostKey:      keyLine(mustSigner(t, key).PublicKey()),
		Timeout:      200 * time.Millisecond,
		MaxRetryTime: 500 * time.Millisecond,
		RetryBase:    50 * time.Millisecond,
	}
	start := time.Now()
	_, err = Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID)
	if e := asError(t, err); !e.Retryable() || e.Attempts < 2 {
		t.Errorf("%v; want a retryable error after retries", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s with Timeout 200ms and MaxRetryTime 500ms", took)
	}
}

func mustSigner(t *testing.T, key []byte) ssh.Signer {
	t.Helper()
	s, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A server that stops answering in the middle of an upload is given up on after Timeout of
// silence, and the retry completes the upload.
func TestUploadStalledServerRetried(t *testing.T) {
	s, cfg := inproc(t, sftptest.Options{})
	s.StallAfterWrites(2, 1)
	cfg.Timeout = 300 * time.Millisecond
	start := time.Now()
	res, err := Upload(context.Background(), cfg, makeDelivery(t, runID, testDelivery), runID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 || time.Since(start) > 3*time.Second {
		t.Errorf("%d attempts in %s; want 2, shortly after the 300ms timeout", res.Attempts, time.Since(start))
	}
	assertFolder(t, s.Path("/import/acme/"+runID), testDelivery)
}
