// Package sftptest runs a real SFTP server in the test's process, built from
// golang.org/x/crypto/ssh and github.com/pkg/sftp's request server, on 127.0.0.1 with a
// generated host key and one authorized client key, serving a temporary folder as "/".
//
// It records what clients do (Events), counts files written, and can misbehave on request:
// cut connections in the middle of an upload (DropAfterWrites), accept and drop every new
// connection (Refuse), refuse writes (SetReadOnly), or stop listening (Close).
package sftptest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Options configure a Server; the zero value is fine.
type Options struct {
	// User is the login name (default "koppel").
	User string
	// KeyType is the client key's type: "ed25519" (default), "ecdsa" or "rsa".
	KeyType string
	// AuthorizedKeys are further public keys allowed to log in as User.
	AuthorizedKeys []ssh.PublicKey
	// HostKeyTypes are the server's host key types, as for KeyType (default: one ed25519 key).
	// HostKey is the first.
	HostKeyTypes []string
	// NoPosixRename makes the server refuse posix-rename@openssh.com (it still advertises it,
	// as pkg/sftp always does), like a server whose rename cannot replace a file.
	NoPosixRename bool
}

// Event is one thing a client asked for, in the order the server handled them.
type Event struct {
	Op     string // "open-write", "close-write", "read", "rename", "posix-rename", "remove", "mkdir", "rmdir", "setstat", "stat", "list"
	Path   string // remote path
	Target string // for renames: the new path
	Bytes  int64  // for close-write: bytes written through the handle
}

func (e Event) String() string {
	if e.Target != "" {
		return e.Op + " " + e.Path + " -> " + e.Target
	}
	return e.Op + " " + e.Path
}

// Server is a running in-process SFTP server.
type Server struct {
	Host string // "127.0.0.1"
	Port int
	Addr string // Host:Port
	User string
	// Root is the local folder served as "/".
	Root string
	// HostKey is the server's (first) host key; HostKeyLine is it as an authorized_keys line.
	HostKey     ssh.PublicKey
	HostKeyLine string
	// HostKeys are all its host keys, in the order of Options.HostKeyTypes.
	HostKeys []ssh.PublicKey
	// ClientKey is the authorized client's private key (OpenSSH PEM); ClientPublicKey its
	// public half.
	ClientKey       []byte
	ClientPublicKey ssh.PublicKey

	t          testing.TB
	ln         net.Listener
	config     *ssh.ServerConfig
	authorized [][]byte
	opts       Options
	wg         sync.WaitGroup

	mu          sync.Mutex
	closed      bool
	conns       map[net.Conn]struct{}
	events      []Event
	connections int
	logins      int
	authTries   int
	files       int
	bytes       int64
	refuse      bool
	readOnly    bool
	dropAfter   int // data writes per connection before the cut; 0: never
	dropsLeft   int
	stall       bool // hang at that write instead of cutting
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.User == "" {
		opts.User = "koppel"
	}
	if len(opts.HostKeyTypes) == 0 {
		opts.HostKeyTypes = []string{"ed25519"}
	}
	var hostSigners []ssh.Signer
	for _, kt := range opts.HostKeyTypes {
		priv, err := newKey(kt)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := ssh.NewSignerFromKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		hostSigners = append(hostSigners, hs)
	}
	hostSigner := hostSigners[0]
	clientPEM, clientPub, err := NewClientKey(opts.KeyType)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	s := &Server{
		User:            opts.User,
		Root:            root,
		HostKey:         hostSigner.PublicKey(),
		HostKeyLine:     strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hostSigner.PublicKey()))),
		ClientKey:       clientPEM,
		ClientPublicKey: clientPub,
		t:               t,
		opts:            opts,
		conns:           map[net.Conn]struct{}{},
	}
	s.authorized = append(s.authorized, clientPub.Marshal())
	for _, k := range opts.AuthorizedKeys {
		s.authorized = append(s.authorized, k.Marshal())
	}
	s.config = &ssh.ServerConfig{
		PublicKeyCallback: s.checkKey,
		ServerVersion:     "SSH-2.0-sftptest",
	}
	for _, hs := range hostSigners {
		s.config.AddHostKey(hs)
		s.HostKeys = append(s.HostKeys, hs.PublicKey())
	}

	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := s.ln.Addr().(*net.TCPAddr)
	s.Host, s.Port, s.Addr = "127.0.0.1", a.Port, s.ln.Addr().String()
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// NewClientKey makes a private key ("ed25519" or "", "ecdsa", "rsa") in OpenSSH PEM form.
func NewClientKey(keyType string) ([]byte, ssh.PublicKey, error) {
	priv, err := newKey(keyType)
	if err != nil {
		return nil, nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "sftptest")
	if err != nil {
		return nil, nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(block), signer.PublicKey(), nil
}

func newKey(keyType string) (any, error) {
	switch keyType {
	case "", "ed25519":
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case "ecdsa":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("sftptest: unknown key type %q", keyType)
}

// URL is sftp://user@127.0.0.1:port/dir for a remote folder dir ("/" + a path under Root).
func (s *Server) URL(dir string) string {
	return fmt.Sprintf("sftp://%s@%s%s", s.User, s.Addr, path.Join("/", dir))
}

// KnownHosts is a known_hosts line that lists the server's host key.
func (s *Server) KnownHosts() []byte {
	return []byte("[" + s.Host + "]:" + strconv.Itoa(s.Port) + " " + s.HostKeyLine + "\n")
}

// Path is the local path of a remote path.
func (s *Server) Path(remote string) string {
	return filepath.Join(s.Root, filepath.FromSlash(path.Clean("/"+remote)))
}

// Mkdir creates a remote folder (and its parents) directly on disk.
func (s *Server) Mkdir(remote string) {
	s.t.Helper()
	if err := os.MkdirAll(s.Path(remote), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

// Events returns a copy of what clients asked for so far.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// FilesWritten counts files opened for writing and closed; BytesWritten the data written.
func (s *Server) FilesWritten() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files
}

// BytesWritten counts the file data written through the server.
func (s *Server) BytesWritten() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Connections counts the TCP connections accepted, Logins the successful logins and
// AuthAttempts the public keys offered.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections
}

// Logins counts successful logins.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// AuthAttempts counts the public keys clients offered.
func (s *Server) AuthAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authTries
}

// DropAfterWrites makes the server cut the next `times` connections at their n-th file data
// write (n ≥ 1), in the middle of an upload: that write is not done and the TCP connection is
// closed without a goodbye. times < 0 cuts every connection.
func (s *Server) DropAfterWrites(n, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter, s.dropsLeft, s.stall = n, times, false
}

// StallAfterWrites is DropAfterWrites, except that the connection is not cut: the server
// stops answering at that write, as a hung server or a dead network path does, until the client
// gives up and closes the connection.
func (s *Server) StallAfterWrites(n, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter, s.dropsLeft, s.stall = n, times, true
}

// Refuse makes the server accept and at once close every new connection (on) or not.
func (s *Server) Refuse(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = on
}

// SetReadOnly makes every write, create, rename, remove and mkdir fail with permission denied.
func (s *Server) SetReadOnly(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOnly = on
}

// Close stops listening and cuts every connection; the port then refuses connections. It is
// called when the test ends, and may be called before.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	_ = s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) record(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

func (s *Server) checkKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authTries++
	if meta.User() != s.User {
		return nil, fmt.Errorf("unknown user %q", meta.User())
	}
	for _, k := range s.authorized {
		if string(k) == string(key.Marshal()) {
			return &ssh.Permissions{}, nil
		}
	}
	return nil, errors.New("key not authorized")
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.connections++
		if s.closed || s.refuse {
			s.mu.Unlock()
			_ = c.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		_ = c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	sc, chans, reqs, err := ssh.NewServerConn(c, s.config)
	if err != nil {
		return
	}
	defer sc.Close()
	s.mu.Lock()
	s.logins++
	s.mu.Unlock()
	go ssh.DiscardRequests(reqs)
	cs := &connState{s: s, conn: c, gone: make(chan struct{})}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(cs.gone) // before waiting for the sessions: a stalled write waits for it
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ch.Close()
			for req := range creqs {
				ok := req.Type == "subsystem" && len(req.Payload) >= 4 && string(req.Payload[4:]) == "sftp"
				_ = req.Reply(ok, nil)
				if !ok {
					continue
				}
				h := cs.handlers()
				rs := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
				_ = rs.Serve()
				_ = rs.Close()
				return
			}
		}()
	}
}

// connState is the server's state for one connection.
type connState struct {
	s      *Server
	conn   net.Conn
	writes int           // guarded by s.mu
	gone   chan struct{} // closed when the client's connection has ended
}

func (cs *connState) handlers() *handler { return &handler{cs: cs} }

// dataWrite counts a data write and tells whether to fail it: after cutting the connection, or
// after stalling until the client is gone.
func (cs *connState) dataWrite() bool {
	s := cs.s
	s.mu.Lock()
	cs.writes++
	hit := s.dropAfter > 0 && s.dropsLeft != 0 && cs.writes == s.dropAfter
	stall := s.stall
	if hit && s.dropsLeft > 0 {
		s.dropsLeft--
	}
	s.mu.Unlock()
	switch {
	case !hit:
		return false
	case stall:
		<-cs.gone
	default:
		_ = cs.conn.Close()
	}
	return true
}

// handler serves the file system under Root through pkg/sftp's request server.
type handler struct{ cs *connState }

func (h *handler) local(p string) string { return h.cs.s.Path(p) }

func (h *handler) readOnly() bool {
	h.cs.s.mu.Lock()
	defer h.cs.s.mu.Unlock()
	return h.cs.s.readOnly
}

func (h *handler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	h.cs.s.record(Event{Op: "read", Path: r.Filepath})
	f, err := os.Open(h.local(r.Filepath))
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (h *handler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	h.cs.s.record(Event{Op: "open-write", Path: r.Filepath})
	if h.readOnly() {
		return nil, os.ErrPermission
	}
	fl := r.Pflags()
	flags := os.O_WRONLY
	if fl.Read {
		flags = os.O_RDWR
	}
	if fl.Creat {
		flags |= os.O_CREATE
	}
	if fl.Trunc {
		flags |= os.O_TRUNC
	}
	if fl.Excl {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(h.local(r.Filepath), flags, 0o644)
	if err != nil {
		return nil, err
	}
	return &writer{f: f, h: h, path: r.Filepath}, nil
}

// writer is a file being written; it counts and may cut the connection.
type writer struct {
	f     *os.File
	h     *handler
	path  string
	bytes int64
	once  sync.Once
}

func (w *writer) WriteAt(b []byte, off int64) (int, error) {
	if w.h.cs.dataWrite() {
		return 0, errors.New("sftptest: connection cut")
	}
	n, err := w.f.WriteAt(b, off)
	w.h.cs.s.mu.Lock()
	w.bytes += int64(n)
	w.h.cs.s.bytes += int64(n)
	w.h.cs.s.mu.Unlock()
	return n, err
}

func (w *writer) Close() error {
	err := w.f.Close()
	w.once.Do(func() {
		s := w.h.cs.s
		s.mu.Lock()
		s.files++
		n := w.bytes
		s.mu.Unlock()
		s.record(Event{Op: "close-write", Path: w.path, Bytes: n})
	})
	return err
}

func (h *handler) Filecmd(r *sftp.Request) error {
	op := strings.ToLower(r.Method)
	h.cs.s.record(Event{Op: op, Path: r.Filepath, Target: r.Target})
	if h.readOnly() && r.Method != "Setstat" {
		return os.ErrPermission
	}
	from, to := h.local(r.Filepath), h.local(r.Target)
	switch r.Method {
	case "Setstat":
		return h.setstat(r, from)
	case "Rename":
		// SFTP v3 rename does not replace a file, as with OpenSSH.
		if _, err := os.Lstat(to); err == nil {
			return sftp.ErrSSHFxFailure
		}
		return os.Rename(from, to)
	case "Rmdir":
		return os.Remove(from)
	case "Remove":
		fi, err := os.Lstat(from)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return sftp.ErrSSHFxFailure
		}
		return os.Remove(from)
	case "Mkdir":
		return os.Mkdir(from, 0o755)
	}
	return sftp.ErrSSHFxOpUnsupported
}

// PosixRename replaces the target, as posix-rename@openssh.com does.
func (h *handler) PosixRename(r *sftp.Request) error {
	h.cs.s.record(Event{Op: "posix-rename", Path: r.Filepath, Target: r.Target})
	if h.readOnly() || h.cs.s.opts.NoPosixRename {
		return sftp.ErrSSHFxOpUnsupported
	}
	return os.Rename(h.local(r.Filepath), h.local(r.Target))
}

func (h *handler) setstat(r *sftp.Request, p string) error {
	a := r.Attributes()
	fl := r.AttrFlags()
	if fl.Size {
		if h.readOnly() {
			return os.ErrPermission
		}
		if err := os.Truncate(p, int64(a.Size)); err != nil {
			return err
		}
	}
	if fl.Permissions {
		if err := os.Chmod(p, a.FileMode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

func (h *handler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	p := h.local(r.Filepath)
	switch r.Method {
	case "List":
		h.cs.s.record(Event{Op: "list", Path: r.Filepath})
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var infos listerAt
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil {
				return nil, err
			}
			infos = append(infos, fi)
		}
		return infos, nil
	case "Stat":
		h.cs.s.record(Event{Op: "stat", Path: r.Filepath})
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		return listerAt{fi}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

type listerAt []os.FileInfo

func (l listerAt) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n+int(off) >= len(l) {
		return n, io.EOF
	}
	return n, nil
}

// Unreachable is an SFTP destination no upload ever reaches: a loopback port nothing listens on
// (every upload fails as a network error), with a fresh client key (OpenSSH PEM) and a host key
// to pin (authorized_keys form), so a profile with it is valid.
func Unreachable(t testing.TB) (url string, clientKey []byte, hostKey string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	clientKey, _, err = NewClientKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	_, host, err := NewClientKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	return "sftp://koppel@" + addr + "/import", clientKey, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(host)))
}
