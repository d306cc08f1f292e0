package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/sftp"
)

// sftpStep: the Xpert Suite SFTP server the deliveries are uploaded to, or none (the URL left
// empty). It connects, shows the fingerprint of the host key the server offers and pins that key
// only when the consultant confirms it (ctrl+p); then it makes a test upload (a probe file
// written and removed in the remote folder).
type sftpStep struct {
	fm              form
	url, keyF, pass *field
	// key is the private key read from the key file, or the stored one when editing.
	key string
	// pinned is the host key line pinned after confirmation (or the stored one); knownHosts the
	// stored profile's known_hosts path, kept as it was.
	pinned, knownHosts string
	// offered is the host key the server offered, waiting for the consultant's confirmation.
	offered, offeredFP string
	// tested is the destination that passed the test upload (URL, key and host key).
	tested string
	n      int    // which answers belong to the current check
	result string // what the test upload found
}

type sftpHostKeyMsg struct {
	n                 int
	line, fingerprint string
	err               error
}

type sftpProbeMsg struct {
	n   int
	res sftp.ProbeResult
	err error
}

func newSFTPStep(w *wizard, p *profile.Profile) *sftpStep {
	e := w.e
	s := &sftpStep{}
	url := ""
	if c := p.Delivery.SFTP; c != nil {
		url, s.key, s.pinned, s.knownHosts = c.URL, c.Key, c.HostKey, c.KnownHosts
	}
	s.url = newTextField(e, "tui.f.sftp_url", url, "sftp://koppel@sftp.example.nl/import/acme")
	s.url.keys = []string{"delivery.sftp.url"}
	s.keyF = newTextField(e, "tui.f.sftp_key", "", "~/.ssh/koppel_ed25519")
	s.keyF.keys = []string{"delivery.sftp.key_file", "delivery.sftp.key_env"}
	if fp := p.Delivery.SFTP.KeyFingerprint(); fp != "" {
		s.keyF.hint = e.t("tui.sftp.key_stored", fp)
	}
	pass := ""
	if p.Delivery.SFTP != nil {
		pass = p.Delivery.SFTP.Passphrase
	}
	s.pass = newTextField(e, "tui.f.sftp_passphrase", pass, "")
	s.pass.keys = []string{"delivery.sftp.key_passphrase_env"}
	s.pass.input.EchoMode = textinput.EchoPassword
	s.pass.input.EchoCharacter = '•'
	s.setFields()
	return s
}

// setFields shows the key fields only with a URL, so that enter on an empty URL goes on.
func (s *sftpStep) setFields() {
	s.fm.fields = []*field{s.url}
	if !s.off() {
		s.fm.fields = append(s.fm.fields, s.keyF, s.pass)
	}
}

func (s *sftpStep) code() string          { return "sftp" }
func (s *sftpStep) form() *form           { return &s.fm }
func (s *sftpStep) skip(*wizard) bool     { return false }
func (s *sftpStep) enter(*wizard) tea.Cmd { return s.fm.focusCmd() }

// off tells whether the customer has no SFTP: the URL is empty.
func (s *sftpStep) off() bool { return s.url.value() == "" }

// target is what a test upload covers.
func (s *sftpStep) target() string {
	return s.url.value() + "\x00" + s.key + "\x00" + s.pass.value() + "\x00" + s.pinned + "\x00" + s.knownHosts
}

func (s *sftpStep) changed(w *wizard, f *field) tea.Cmd {
	s.n++ // a check under way answers for what was there before
	w.busy, s.offered, s.offeredFP, s.result = "", "", "", ""
	s.setFields()
	if f == s.keyF {
		s.key = ""
		if path := f.value(); path != "" {
			if b, err := os.ReadFile(expandHome(path)); err == nil {
				s.key = string(b)
			}
		}
	}
	return nil
}

func expandHome(path string) string {
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, path[2:])
		}
	}
	return path
}

func (s *sftpStep) next(w *wizard) tea.Cmd {
	e := w.e
	if s.off() {
		return w.forward()
	}
	if w.busy != "" {
		return nil
	}
	if s.keyF.value() != "" && s.key == "" {
		s.keyF.err = e.t("tui.sftp.key_unreadable", s.keyF.value())
		s.fm.focus = 1
		return s.fm.focusCmd()
	}
	if w.validate() > 0 {
		return w.firstProblem()
	}
	switch {
	case s.tested == s.target():
		return w.forward()
	case s.offered != "":
		w.err = e.t("tui.sftp.confirm_first")
		return nil
	case s.pinned == "" && s.knownHosts == "":
		return s.fetchHostKey(w)
	}
	return s.probe(w)
}

// fetchHostKey asks the server for its host key, trusting nothing and sending no login.
func (s *sftpStep) fetchHostKey(w *wizard) tea.Cmd {
	s.n++
	n, url := s.n, s.url.value()
	w.busy = w.e.t("tui.sftp.connecting", url)
	ctx := w.e.ctx
	return tea.Batch(w.spin.Tick, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		line, fp, err := sftp.Fingerprint(ctx, sftp.Config{URL: url})
		return sftpHostKeyMsg{n, line, fp, err}
	})
}

// probe logs in and writes and removes a probe file: the test upload.
func (s *sftpStep) probe(w *wizard) tea.Cmd {
	s.n++
	n := s.n
	p := w.profile()
	cfg, err := p.Delivery.SFTP.Config()
	if err != nil {
		w.err = err.Error()
		return nil
	}
	cfg.Timeout = 20 * time.Second
	w.busy = w.e.t("tui.sftp.testing", s.url.value())
	ctx := w.e.ctx
	return tea.Batch(w.spin.Tick, func() tea.Msg {
		res, err := sftp.Probe(ctx, cfg)
		return sftpProbeMsg{n, res, err}
	})
}

func (s *sftpStep) handle(w *wizard, msg tea.Msg) (tea.Cmd, bool) {
	e := w.e
	switch m := msg.(type) {
	case sftpHostKeyMsg:
		if m.n != s.n {
			return nil, true
		}
		w.busy = ""
		if m.err != nil {
			w.err = e.t("tui.sftp.failed", sftpErrText(e, m.err))
			return nil, true
		}
		if m.line == s.pinned {
			return s.probe(w), true
		}
		s.offered, s.offeredFP = m.line, m.fingerprint
		return nil, true
	case sftpProbeMsg:
		if m.n != s.n {
			return nil, true
		}
		w.busy = ""
		if m.err != nil {
			var hke *sftp.HostKeyError
			if errors.As(m.err, &hke) {
				// Changed or not listed: show what it offers now, to be confirmed again.
				s.offered, s.offeredFP = hke.KeyLine, hke.Fingerprint
			}
			w.err = e.t("tui.sftp.failed", sftpErrText(e, m.err))
			return nil, true
		}
		s.tested = s.target()
		s.result = e.t("tui.sftp.tested", m.res.Remote, m.res.HostKeyFingerprint)
		return nil, true
	case tea.KeyMsg:
		if key.Matches(m, e.km.PinHostKey) && s.offered != "" {
			s.pinned, s.offered, s.offeredFP = s.offered, "", ""
			w.err = ""
			return s.probe(w), true
		}
	}
	return nil, false
}

// sftpErrText is an upload error for the consultant: its kind in the UI language, then the
// details.
func sftpErrText(e *env, err error) string {
	kind := "other"
	if k := sftp.KindOf(err); k != 0 {
		kind = strings.ReplaceAll(k.String(), " ", "_")
	}
	return e.t("run.upload_kind."+kind) + ": " + err.Error()
}

func (s *sftpStep) keys(w *wizard) []key.Binding {
	if s.offered != "" {
		return []key.Binding{w.e.km.PinHostKey}
	}
	return nil
}

func (s *sftpStep) view(w *wizard) string {
	e := w.e
	var b strings.Builder
	switch {
	case s.off():
		b.WriteString("\n" + e.st.dim.Render(wrap(e.t("tui.sftp.off"), e.width)) + "\n")
	case s.offered != "":
		b.WriteString("\n" + e.st.warn.Render(wrap(e.t("tui.sftp.offered", s.url.value(), s.offeredFP), e.width)) + "\n")
	case s.result != "" && s.tested == s.target():
		b.WriteString("\n" + e.st.ok.Render(wrap(s.result, e.width)) + "\n")
	case s.pinned != "":
		if fp, err := sftp.HostKeyFingerprint(s.pinned); err == nil {
			b.WriteString("\n" + e.st.dim.Render(wrap(e.t("tui.sftp.pinned", fp), e.width)) + "\n")
		}
	}
	return b.String()
}

func (s *sftpStep) apply(_ *wizard, p *profile.Profile) {
	if s.off() {
		p.Delivery.SFTP = nil
		return
	}
	p.Delivery.SFTP = &profile.SFTP{URL: s.url.value(), Key: s.key, Passphrase: s.pass.value(), HostKey: s.pinned, KnownHosts: s.knownHosts}
}
