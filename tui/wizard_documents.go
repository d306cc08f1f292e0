package tui

import (
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/documents"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/verify"
)

// documentsStep: AFAS Documenten. The dossier item types AFAS has are read from
// Koppel_Dossieritems with their number of attachments (no file is downloaded) and offered one
// check field each; nothing is ticked by itself, and a type whose name suggests medical content
// carries a warning. Types the profile already lists stay, also when AFAS has none of them now.
type documentsStep struct {
	fm           form
	enabled, max *field
	types        []*field // one check field per type, in code order
	codes        []string // the code of each
	reading      bool
	loaded       bool
	loadErr      string
}

type dossierTypesMsg struct {
	types []verify.TypeCount
	err   error
}

func newDocumentsStep(w *wizard, p *profile.Profile) *documentsStep {
	e := w.e
	d := p.Couplings.Documenten
	s := &documentsStep{}
	s.enabled = newCheckField(e, "tui.f.documenten", d.Enabled)
	s.enabled.keys = []string{"couplings.documenten.types"}
	mb := ""
	if d.MaxFileMB > 0 {
		mb = strconv.Itoa(d.MaxFileMB)
	}
	s.max = newTextField(e, "tui.f.doc_max_mb", mb, strconv.Itoa(documents.DefaultMaxFileMB))
	s.max.keys = []string{"couplings.documenten.max_file_mb"}
	for _, t := range d.Types {
		s.addType(e, t, "", -1, true)
	}
	s.layout()
	return s
}

func (s *documentsStep) code() string                    { return "documents" }
func (s *documentsStep) form() *form                     { return &s.fm }
func (s *documentsStep) skip(*wizard) bool               { return false }
func (s *documentsStep) keys(*wizard) []key.Binding      { return nil }
func (s *documentsStep) changed(*wizard, *field) tea.Cmd { return nil }

// addType adds a type's check field; count -1 is a type AFAS was not asked about (yet).
func (s *documentsStep) addType(e *env, code, desc string, count int, on bool) {
	f := newCheckField(e, "tui.f.doc_type", on)
	f.label = "  " + code // under the switch, as its list
	var hint []string
	if desc != "" {
		hint = append(hint, desc)
	}
	if count >= 0 {
		hint = append(hint, e.t("tui.doc.count", strconv.Itoa(count)))
	}
	f.hint = strings.Join(hint, " ")
	f.keys = []string{"couplings.documenten.types[" + strconv.Itoa(len(s.types)) + "]"}
	if documents.Medical(code, desc) {
		f.warn = e.t("tui.doc.medical")
	}
	s.types = append(s.types, f)
	s.codes = append(s.codes, code)
}

func (s *documentsStep) layout() {
	s.fm.fields = append(append([]*field{s.enabled}, s.types...), s.max)
	s.fm.focus = min(s.fm.focus, len(s.fm.fields)-1)
}

func (s *documentsStep) enter(w *wizard) tea.Cmd {
	s.hint(w)
	// Without Koppel_Dossieritems at AFAS there are no types to read: the switch says why.
	if s.loaded || s.reading || w.unavailable(profile.CouplingDocumenten) != "" {
		return nil
	}
	s.reading, s.loadErr = true, ""
	w.busy = w.e.t("tui.doc.reading")
	p := w.profile()
	ctx := w.e.ctx
	return tea.Batch(w.spin.Tick, func() tea.Msg {
		types, err := verify.DossierTypes(ctx, p)
		return dossierTypesMsg{types, err}
	})
}

// hint says at the switch when Koppel_Dossieritems is not (yet) in order at AFAS.
func (s *documentsStep) hint(w *wizard) {
	s.enabled.hint, s.enabled.warn = "", ""
	if reason := w.unavailable(profile.CouplingDocumenten); reason != "" {
		s.enabled.hint = w.e.t("tui.wizard.not_yet")
		if s.enabled.check {
			s.enabled.warn = w.e.t("tui.wizard.unavailable", reason)
		}
	}
}

func (s *documentsStep) handle(w *wizard, msg tea.Msg) (tea.Cmd, bool) {
	m, ok := msg.(dossierTypesMsg)
	if !ok {
		return nil, false
	}
	w.busy, s.reading = "", false
	if m.err != nil {
		s.loadErr = w.e.errText(m.err)
		return nil, true
	}
	s.loaded = true
	chosen := s.chosen()
	codes, fields := s.codes, s.types
	s.types, s.codes = nil, nil
	for _, tc := range m.types {
		s.addType(w.e, tc.Code, tc.Description, tc.Count, slices.Contains(chosen, tc.Code))
	}
	// A type the profile lists that AFAS has no item of now stays, ticked as it was.
	for i, c := range codes {
		if !slices.Contains(s.codes, c) {
			f := fields[i]
			f.hint = w.e.t("tui.doc.not_found")
			f.keys = []string{"couplings.documenten.types[" + strconv.Itoa(len(s.types)) + "]"}
			s.types = append(s.types, f)
			s.codes = append(s.codes, c)
		}
	}
	s.layout()
	return nil, true
}

// chosen are the ticked type codes, in order.
func (s *documentsStep) chosen() []string {
	var out []string
	for i, f := range s.types {
		if f.check {
			out = append(out, s.codes[i])
		}
	}
	return out
}

func (s *documentsStep) next(w *wizard) tea.Cmd {
	if w.validate() > 0 {
		return w.firstProblem()
	}
	return w.forward()
}

func (s *documentsStep) view(w *wizard) string {
	e := w.e
	var b strings.Builder
	switch {
	case s.reading:
	case s.loadErr != "":
		b.WriteString("\n" + e.st.warn.Render(wrap(e.t("tui.doc.read_failed", s.loadErr), e.width)) + "\n")
	case s.loaded && len(s.types) == 0:
		b.WriteString("\n" + e.st.dim.Render(wrap(e.t("tui.doc.none"), e.width)) + "\n")
	}
	b.WriteString("\n" + e.st.dim.Render(wrap(e.t("tui.doc.privacy"), e.width)) + "\n")
	return b.String()
}

func (s *documentsStep) apply(_ *wizard, p *profile.Profile) {
	d := profile.Documenten{Enabled: s.enabled.check, Types: s.chosen()}
	if v := s.max.value(); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // not a number: the profile's check names the field
		}
		d.MaxFileMB = n
	}
	if !d.Enabled && len(d.Types) == 0 && d.MaxFileMB == 0 {
		d = profile.Documenten{}
	}
	p.Couplings.Documenten = d
}
