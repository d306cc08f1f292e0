package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

// drive sends a message to the wizard and runs the commands it returns, feeding their answers
// back (spinner ticks left out), until nothing more comes.
func drive(w *wizard, msg tea.Msg) {
	var pending []tea.Msg
	var run func(cmd tea.Cmd)
	run = func(cmd tea.Cmd) {
		if cmd == nil {
			return
		}
		switch m := cmd().(type) {
		case tea.BatchMsg:
			for _, c := range m {
				run(c)
			}
		case spinner.TickMsg, nil:
		default:
			pending = append(pending, m)
		}
	}
	pending = append(pending, msg)
	for len(pending) > 0 {
		m := pending[0]
		pending = pending[1:]
		_, cmd := w.update(m)
		run(cmd)
	}
}

func typeText(w *wizard, s string) { drive(w, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }

// The SFTP step connects, shows the host key's fingerprint, pins it only on ctrl+p, makes a test
// upload (nothing left on the server) and saves the key into the store.
func TestWizardSFTPStepPinsOnlyOnConfirmation(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 3, Employees: 10})
	f.addProfile("acme")
	srv := sftptest.Start(t, sftptest.Options{})
	srv.Mkdir("/import/acme")
	keyFile := filepath.Join(t.TempDir(), "koppel_ed25519")
	if err := os.WriteFile(keyFile, srv.ClientKey, 0o600); err != nil {
		t.Fatal(err)
	}
	a := New(t.Context(), f.deps, "")
	keys(t, a, "e")
	w, ok := a.top().(*wizard)
	if !ok {
		t.Fatalf("e opened %T", a.top())
	}
	i, _ := w.stepOf("sftp")
	w.goTo(i)
	if !strings.Contains(w.view(), "Geen SFTP") || len(w.step().form().fields) != 1 {
		t.Fatalf("without a URL the step is off:\n%s", w.view())
	}

	typeText(w, srv.URL("/import/acme"))
	drive(w, keyMsg("enter"))
	typeText(w, keyFile)
	drive(w, keyMsg("enter"))
	drive(w, keyMsg("enter")) // no passphrase: connect
	fp := ssh.FingerprintSHA256(srv.HostKey)
	view := w.view()
	if !strings.Contains(view, fp) || !strings.Contains(view, "ctrl+p") {
		t.Fatalf("the offered host key is not shown:\n%s", view)
	}
	if p := w.profile(); p.Delivery.SFTP.HostKey != "" || srv.Logins() != 0 {
		t.Fatalf("pinned or logged in before confirmation: %q, %d logins", p.Delivery.SFTP.HostKey, srv.Logins())
	}
	drive(w, keyMsg("enter"))
	if !strings.Contains(w.view(), "bevestig eerst de hostsleutel") || w.step().code() != "sftp" {
		t.Fatalf("went on without a confirmed host key:\n%s", w.view())
	}

	drive(w, tea.KeyMsg{Type: tea.KeyCtrlP})
	if view := w.view(); !strings.Contains(view, "Testupload gelukt") {
		t.Fatalf("no test upload after pinning:\n%s", view)
	}
	if left := readDir(t, srv.Path("/import/acme")); len(left) != 0 {
		t.Errorf("the test upload left %v", left)
	}
	wrote := false
	for _, ev := range srv.Events() {
		wrote = wrote || ev.Op == "open-write" && strings.Contains(ev.Path, ".koppel-probe-")
	}
	if !wrote {
		t.Error("the test upload wrote nothing")
	}
	drive(w, keyMsg("enter"))
	if i, _ := w.stepOf("sftp"); w.cur != i+1 {
		t.Fatalf("after the test upload the wizard is on %s", w.step().code())
	}
	summary, _ := w.stepOf("summary")
	w.goTo(summary)
	if view := w.view(); !strings.Contains(view, "SFTP naar Xpert Suite") || !strings.Contains(view, fp) {
		t.Errorf("the summary does not show the SFTP destination:\n%s", view)
	}
	drive(w, keyMsg("enter")) // save
	p, err := f.st.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	s := p.Delivery.SFTP
	if s == nil || s.HostKey != srv.HostKeyLine || s.Key != string(srv.ClientKey) || s.URL != srv.URL("/import/acme") {
		t.Fatalf("saved sftp %+v", s)
	}
}

func readDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// History and the run detail show a delivery's upload state with its last error.
func TestUploadStateInHistoryAndDetail(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 3, Employees: 10})
	f.addProfile("acme")
	h, err := f.st.Hold("acme")
	if err != nil {
		t.Fatal(err)
	}
	run := &store.Run{ID: "20261124-093000-abcd", Profile: "acme", Status: store.StatusOK, Mode: "compleet", Couplings: []string{"werknemer"},
		Started: f.deps.Now(), Finished: f.deps.Now(), Delivery: filepath.Join(f.dir, "outbox", "acme", "20261124-093000-abcd"),
		Upload: &store.Upload{Status: store.UploadQueued, Error: "connection refused", ErrorKind: "network"}}
	if err := h.Commit(run, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	h.Close()
	a := New(t.Context(), f.deps, "")
	view := keys(t, a, "h")
	if !strings.Contains(view, "SFTP: in wachtrij, laatste fout (netwerk):") {
		t.Errorf("history lacks the upload state:\n%s", view)
	}
	view = keys(t, a, "enter")
	if !strings.Contains(view, "SFTP: in wachtrij, laatste fout (netwerk): connection refused") {
		t.Errorf("run detail lacks the upload state:\n%s", view)
	}
}
