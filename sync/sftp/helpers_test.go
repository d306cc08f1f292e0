package sftp

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

// testDelivery is the content of a sealed delivery folder.
var testDelivery = map[string]string{
	"medewerkers.csv": "id;naam\n1;Jansen\n2;de Vries\n",
	"afdelingen.csv":  "code;naam\nA;Inkoop\n",
	// Larger than one SFTP packet (32 KiB), so that it goes in several writes.
	"contracten.csv": "id;uren\n" + strings.Repeat("42;36\n", 20000),
	ManifestName:     `{"run":"20260101T120000Z-0001","files":["afdelingen.csv","contracten.csv","medewerkers.csv"]}`,
}

// makeDelivery writes files as <tmp>/outbox/acme/<runID>/ and returns that folder.
func makeDelivery(t *testing.T, runID string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "outbox", "acme", runID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// inproc starts an in-process server with remote folder /import/acme and returns a Config for it.
func inproc(t *testing.T, opts sftptest.Options) (*sftptest.Server, Config) {
	t.Helper()
	s := sftptest.Start(t, opts)
	s.Mkdir("/import/acme")
	return s, Config{
		URL:          s.URL("/import/acme"),
		PrivateKey:   s.ClientKey,
		KnownHosts:   s.KnownHosts(),
		Timeout:      5 * time.Second,
		MaxRetryTime: 3 * time.Second,
		RetryBase:    20 * time.Millisecond,
	}
}

// readTree returns every file under dir by its slash path relative to dir.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertFolder checks that dir holds exactly files.
func assertFolder(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	got := readTree(t, dir)
	if !maps.Equal(got, files) {
		t.Fatalf("%s holds %v, want %v", dir, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(files)))
	}
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T %v, want *Error", err, err)
	}
	return e
}
