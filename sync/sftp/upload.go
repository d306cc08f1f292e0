package sftp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// ManifestName is the file that makes a remote run folder complete; it is uploaded last.
// It equals delivery.ManifestName.
const ManifestName = "manifest.json"

// maxManifest bounds how much of a remote manifest.json is read to compare it.
const maxManifest = 64 << 20

// Result tells what an Upload did.
type Result struct {
	// Remote is the remote run folder as a URL: sftp://user@host:port/folder/<run-id>.
	Remote string
	// AlreadyThere is true when the remote folder was complete with the same manifest
	// (same SHA-256): nothing was sent.
	AlreadyThere bool
	// Files and Bytes count what was sent in the attempt that succeeded (manifest included).
	Files int
	Bytes int64
	// Attempts counts the connections made, 1 when nothing had to be retried.
	Attempts int
	// ManifestSHA256 is the hex SHA-256 of the local (and now remote) manifest.json.
	ManifestSHA256 string
	// HostKeyFingerprint is the SHA256 fingerprint of the host key the server proved it has.
	HostKeyFingerprint string
}

// Upload uploads the sealed delivery folder localDir (the outbox's <profile>/<run-id>/) to
// <remote folder>/<runID>/ and returns when manifest.json is in place there.
//
// It first looks at the remote run folder: when it holds manifest.json with the same SHA-256 as
// the local one, the delivery is there already and nothing is sent (AlreadyThere); when it
// holds a different manifest.json, it fails with KindConflict and touches nothing. Otherwise it
// creates the run folder (the remote folder itself must exist), writes every file as
// .<name>.part, in name order, and renames each to <name> when its size is checked; leftover
// .part files are replaced or removed; manifest.json comes last.
//
// Network errors are retried with exponential backoff and jitter within cfg.MaxRetryTime; every
// retry starts again from the remote folder's state. Other errors are not retried. The error is
// always an *Error (Retryable tells the two apart); a host key that is not trusted gives a
// *HostKeyError inside it, and nothing is sent then.
func Upload(ctx context.Context, cfg Config, localDir, runID string) (Result, error) {
	p, err := prepare(cfg)
	if err != nil {
		return Result{}, err
	}
	remote := p.target.url(path.Join(p.target.Dir, runID))
	if err := checkName(runID); err != nil {
		return Result{}, &Error{Kind: KindDelivery, Op: "check run ID", Remote: p.target.String(), Err: fmt.Errorf("run ID %q: %w", runID, err)}
	}
	d, err := readDelivery(localDir)
	if err != nil {
		return Result{}, &Error{Kind: KindDelivery, Op: "read delivery", Remote: remote, Err: err}
	}
	res := Result{Remote: remote, ManifestSHA256: hex.EncodeToString(d.manifestSum[:])}
	res.Attempts, err = p.retry(ctx, remote, func(ctx context.Context) error {
		s, err := p.connect(ctx)
		if err != nil {
			return classify(ctx, "connect", remote, err)
		}
		defer s.close()
		res.HostKeyFingerprint = ssh.FingerprintSHA256(s.hostKey)
		u := uploader{s: s, dir: path.Join(p.target.Dir, runID), base: p.target.Dir, remote: remote}
		res.Files, res.Bytes, res.AlreadyThere = 0, 0, false
		return u.run(ctx, d, &res)
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// delivery is a sealed local delivery folder.
type delivery struct {
	dir         string
	files       []string // data files in name order, then ManifestName
	manifestSum [sha256.Size]byte
}

// readDelivery lists a delivery folder: regular files only, none hidden, manifest.json present.
func readDelivery(dir string) (*delivery, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	d := &delivery{dir: dir}
	haveManifest := false
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			return nil, fmt.Errorf("%s: %s is not a regular file", dir, name)
		}
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("%s: file %q: %w", dir, name, err)
		}
		if strings.HasSuffix(name, ".part") {
			return nil, fmt.Errorf("%s: file %q: a .part name is kept for uploads in progress", dir, name)
		}
		if name == ManifestName {
			haveManifest = true
			continue
		}
		d.files = append(d.files, name)
	}
	if !haveManifest {
		return nil, fmt.Errorf("%s: no %s: not a sealed delivery", dir, ManifestName)
	}
	slices.Sort(d.files)
	d.files = append(d.files, ManifestName)
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	d.manifestSum = sha256.Sum256(b)
	return d, nil
}

// checkName accepts a single, visible path element: what a run ID or a delivered file's name
// must be before it names something on the server.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty")
	case len(name) > 200:
		return errors.New("longer than 200 bytes")
	case strings.HasPrefix(name, "."):
		return errors.New("starts with a dot")
	case strings.ContainsAny(name, `/\`):
		return errors.New("holds a slash")
	case strings.ContainsFunc(name, unicode.IsControl):
		return errors.New("holds a control character")
	}
	return nil
}

// uploader does one attempt over one session.
type uploader struct {
	s      *session
	base   string // the remote folder
	dir    string // the remote run folder
	remote string // dir as a URL, for errors
}

func (u *uploader) fail(ctx context.Context, op string, err error) error {
	return classify(ctx, op, u.remote, err)
}

func (u *uploader) run(ctx context.Context, d *delivery, res *Result) error {
	manifest := path.Join(u.dir, ManifestName)
	sum, err := u.remoteSum(manifest)
	switch {
	case err == nil && sum == d.manifestSum:
		res.AlreadyThere = true
		return nil
	case err == nil:
		return &Error{Kind: KindConflict, Op: "check " + ManifestName, Remote: u.remote,
			Err: fmt.Errorf("the remote folder holds a complete delivery with another %s (SHA-256 %s, local %s); nothing was overwritten",
				ManifestName, hex.EncodeToString(sum[:]), hex.EncodeToString(d.manifestSum[:]))}
	case !errors.Is(err, os.ErrNotExist):
		return u.fail(ctx, "check "+ManifestName, err)
	}
	if err := u.ensureDir(); err != nil {
		return u.fail(ctx, "create run folder", err)
	}
	for _, name := range d.files {
		if err := ctx.Err(); err != nil {
			return u.fail(ctx, "upload "+name, err)
		}
		if name == ManifestName {
			if err := u.removeStrayParts(); err != nil {
				return u.fail(ctx, "remove leftover .part files", err)
			}
		}
		n, err := u.put(filepath.Join(d.dir, name), name)
		if err != nil {
			return u.fail(ctx, "upload "+name, err)
		}
		res.Files++
		res.Bytes += n
	}
	return nil
}

// remoteSum returns the SHA-256 of a remote file, or an error satisfying os.ErrNotExist.
func (u *uploader) remoteSum(p string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	fi, err := u.s.sftp.Stat(p)
	if err != nil {
		return sum, err
	}
	if !fi.Mode().IsRegular() {
		return sum, &Error{Kind: KindRemote, Op: "check " + ManifestName, Remote: u.remote, Err: fmt.Errorf("%s is not a regular file", p)}
	}
	f, err := u.s.sftp.Open(p)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, maxManifest+1))
	if err != nil {
		return sum, err
	}
	if n > maxManifest {
		return sum, &Error{Kind: KindRemote, Op: "check " + ManifestName, Remote: u.remote, Err: fmt.Errorf("%s is larger than %d bytes", p, maxManifest)}
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// ensureDir creates the run folder when it is not there; the remote folder must exist.
func (u *uploader) ensureDir() error {
	fi, err := u.s.sftp.Stat(u.dir)
	if err == nil {
		if !fi.IsDir() {
			return &Error{Kind: KindRemote, Op: "create run folder", Remote: u.remote, Err: fmt.Errorf("%s exists and is not a folder", u.dir)}
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if fi, err := u.s.sftp.Stat(u.base); err != nil || !fi.IsDir() {
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return &Error{Kind: KindRemote, Op: "create run folder", Remote: u.remote, Err: fmt.Errorf("the remote folder %s does not exist or is not a folder", u.base)}
		}
		return err
	}
	if err := u.s.sftp.Mkdir(u.dir); err != nil {
		// Someone else may have made it in between.
		if fi, serr := u.s.sftp.Stat(u.dir); serr == nil && fi.IsDir() {
			return nil
		}
		return fmt.Errorf("mkdir %s: %w", u.dir, err)
	}
	return nil
}

// put writes one file as .<name>.part, checks its size and renames it to name.
func (u *uploader) put(local, name string) (int64, error) {
	part := path.Join(u.dir, "."+name+".part")
	final := path.Join(u.dir, name)
	lf, err := os.Open(local)
	if err != nil {
		return 0, &Error{Kind: KindDelivery, Op: "upload " + name, Remote: u.remote, Err: err}
	}
	defer lf.Close()
	info, err := lf.Stat()
	if err != nil {
		return 0, &Error{Kind: KindDelivery, Op: "upload " + name, Remote: u.remote, Err: err}
	}
	rf, err := u.s.sftp.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", part, err)
	}
	src := &localReader{f: lf}
	n, err := rf.ReadFrom(src)
	if src.err != nil {
		_ = rf.Close()
		return 0, &Error{Kind: KindDelivery, Op: "upload " + name, Remote: u.remote, Err: src.err}
	}
	if err != nil {
		_ = rf.Close()
		return 0, fmt.Errorf("write %s: %w", part, err)
	}
	if n != info.Size() {
		_ = rf.Close()
		return 0, &Error{Kind: KindDelivery, Op: "upload " + name, Remote: u.remote, Err: fmt.Errorf("%s changed while it was sent (%d of %d bytes)", local, n, info.Size())}
	}
	if u.s.fsync {
		if err := rf.Sync(); err != nil {
			_ = rf.Close()
			return 0, fmt.Errorf("fsync %s: %w", part, err)
		}
	}
	if err := rf.Close(); err != nil {
		return 0, fmt.Errorf("close %s: %w", part, err)
	}
	fi, err := u.s.sftp.Stat(part)
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", part, err)
	}
	if fi.Size() != n {
		return 0, &Error{Kind: KindRemote, Op: "upload " + name, Remote: u.remote, Err: fmt.Errorf("%s holds %d bytes after writing %d", part, fi.Size(), n)}
	}
	if err := u.rename(part, final); err != nil {
		return 0, err
	}
	return n, nil
}

// rename moves part over final, replacing a final that is there already (from an attempt that
// broke off before the manifest).
func (u *uploader) rename(part, final string) error {
	if u.s.posixRename {
		err := u.s.sftp.PosixRename(part, final)
		var st *pkgsftp.StatusError
		if errors.As(err, &st) && st.FxCode() == pkgsftp.ErrSSHFxOpUnsupported {
			// Advertised but refused (pkg/sftp servers always advertise it): rename plainly.
			u.s.posixRename = false
			return u.rename(part, final)
		}
		if err != nil {
			return fmt.Errorf("rename %s to %s: %w", part, final, err)
		}
		return nil
	}
	if err := u.s.sftp.Remove(final); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s before renaming: %w", final, err)
	}
	if err := u.s.sftp.Rename(part, final); err != nil {
		return fmt.Errorf("rename %s to %s: %w", part, final, err)
	}
	return nil
}

// removeStrayParts removes .part files that no file of this delivery replaced, so that the
// folder holds only the delivery once manifest.json is there.
func (u *uploader) removeStrayParts() error {
	entries, err := u.s.sftp.ReadDir(u.dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", u.dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".part") && e.Mode().IsRegular() {
			if err := u.s.sftp.Remove(path.Join(u.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove %s: %w", path.Join(u.dir, name), err)
			}
		}
	}
	return nil
}

// localReader remembers a read error of the local file, to tell it from a remote one.
type localReader struct {
	f   *os.File
	err error
}

func (r *localReader) Read(b []byte) (int, error) {
	n, err := r.f.Read(b)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// Stat lets pkg/sftp know the size, so that it writes concurrently.
func (r *localReader) Stat() (os.FileInfo, error) { return r.f.Stat() }

// retry runs do until it succeeds, fails with an error that is not retryable, or the retry
// time is up. It returns the number of attempts; the error is an *Error that carries it.
func (p *prepared) retry(ctx context.Context, remote string, do func(ctx context.Context) error) (int, error) {
	deadline := time.Now().Add(p.cfg.MaxRetryTime)
	for attempt := 1; ; attempt++ {
		err := do(ctx)
		if err == nil {
			return attempt, nil
		}
		e := classify(ctx, "upload", remote, err)
		e.Attempts = attempt
		if !e.Retryable() {
			return attempt, e
		}
		wait := backoff(p.cfg.RetryBase, attempt)
		if time.Now().Add(wait).After(deadline) {
			return attempt, e
		}
		if p.cfg.OnRetry != nil {
			p.cfg.OnRetry(attempt, wait, e)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt, &Error{Kind: KindCanceled, Op: e.Op, Remote: remote, Attempts: attempt, Err: fmt.Errorf("%w; last error: %w", ctx.Err(), e.Err)}
		case <-t.C:
		}
	}
}

// backoff is exponential from base, capped at 30 s, with jitter over its upper half.
func backoff(base time.Duration, attempt int) time.Duration {
	maxWait := 30 * time.Second
	d := base
	for i := 1; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	return d/2 + rand.N(d/2+1)
}
