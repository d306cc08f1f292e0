package tui

import (
	"context"
	"path/filepath"
	"slices"
	"sort"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/verify"
)

var modes = []string{profile.ModeCompleet, profile.ModeMutaties}

// deliveryStep: the outbox, compleet or mutaties, the default employer code (chosen from the
// codes AFAS returned, typed where AFAS returned none) and the code rewrites; on its second page
// (the column editor, wizard_columns.go) the files' columns and the mutation column.
type deliveryStep struct {
	fm                         form
	outbox, mode, employer     *field
	erPre, erSuf, eePre, eeSuf *field
	loading                    int // which employer read the answer must belong to
	cols                       *columnsEditor
	editing                    bool // the column editor is open
}

type employersMsg struct {
	n     int
	codes []string
	err   error
}

func newDeliveryStep(w *wizard, p *profile.Profile) *deliveryStep {
	e := w.e
	s := &deliveryStep{}
	s.outbox = newTextField(e, "tui.f.outbox", p.Delivery.Outbox, "")
	s.outbox.keys = []string{"delivery.outbox"}
	s.mode = newChoiceField(e, "tui.f.mode", modes, []string{e.t("tui.mode.compleet"), e.t("tui.mode.mutaties")}, p.Delivery.Mode)
	s.mode.keys = []string{"delivery.mode"}
	s.employer = newTextField(e, "tui.f.employer", p.Employer, "ACME")
	s.employer.keys = []string{"employer"}
	s.erPre = newTextField(e, "tui.f.er_prefix", p.Rewrite.Employer.Prefix, "")
	s.erSuf = newTextField(e, "tui.f.er_suffix", p.Rewrite.Employer.Suffix, "")
	s.eePre = newTextField(e, "tui.f.ee_prefix", p.Rewrite.Employee.Prefix, "")
	s.eeSuf = newTextField(e, "tui.f.ee_suffix", p.Rewrite.Employee.Suffix, "")
	s.erPre.keys, s.erSuf.keys = []string{"rewrite.employer.prefix"}, []string{"rewrite.employer.suffix"}
	s.eePre.keys, s.eeSuf.keys = []string{"rewrite.employee.prefix"}, []string{"rewrite.employee.suffix"}
	s.fm.fields = []*field{s.outbox, s.mode, s.employer, s.erPre, s.erSuf, s.eePre, s.eeSuf}
	s.cols = newColumnsEditor(e, p)
	return s
}

func (s *deliveryStep) code() string {
	if s.editing {
		return "columns"
	}
	return "delivery"
}

func (s *deliveryStep) form() *form {
	if s.editing {
		return &s.cols.fm
	}
	return &s.fm
}

func (s *deliveryStep) skip(*wizard) bool { return false }

func (s *deliveryStep) keys(w *wizard) []key.Binding {
	k := w.e.km.Columns
	if s.editing {
		k.SetHelp(k.Help().Key, w.e.t("tui.key.columns_done"))
	}
	return []key.Binding{k}
}

func (s *deliveryStep) enter(*wizard) tea.Cmd {
	s.editing = false
	return s.fm.focusCmd()
}

func (s *deliveryStep) changed(_ *wizard, f *field) tea.Cmd {
	if s.editing && f == s.cols.file {
		s.cols.show()
	}
	return nil
}

// openColumns shows the column editor; closeColumns goes back to the delivery fields.
func (s *deliveryStep) openColumns(w *wizard) tea.Cmd {
	s.cols.open(w, w.profile())
	s.editing = true
	return s.cols.fm.focusCmd()
}

func (s *deliveryStep) closeColumns() tea.Cmd {
	s.editing = false
	s.fm.focus = len(s.fm.fields) - 1
	return s.fm.focusCmd()
}

// leaveInner takes esc on the column editor: back to the delivery fields, not the step before.
func (s *deliveryStep) leaveInner(*wizard) (tea.Cmd, bool) {
	if !s.editing {
		return nil, false
	}
	return s.closeColumns(), true
}

// loadEmployers asks AFAS which employer codes it has, once its connectors are known.
func (s *deliveryStep) loadEmployers(w *wizard) tea.Cmd {
	if c, ok := w.judged().Connector(connectors.Organisatie); !ok || c.Status != verify.OK {
		return nil
	}
	s.loading++
	n := s.loading
	p := w.profile()
	p.Couplings.Werknemer.Salary = nil
	ctx := w.e.ctx
	return func() tea.Msg {
		codes, err := afasEmployers(ctx, p)
		return employersMsg{n, codes, err}
	}
}

func (s *deliveryStep) handle(w *wizard, msg tea.Msg) (tea.Cmd, bool) {
	if k, ok := msg.(tea.KeyMsg); ok {
		if !key.Matches(k, w.e.km.Columns) || w.step() != step(s) {
			return nil, false
		}
		if s.editing {
			if w.validate() > 0 {
				return w.firstProblem(), true
			}
			return s.closeColumns(), true
		}
		return s.openColumns(w), true
	}
	m, ok := msg.(employersMsg)
	if !ok {
		return nil, false
	}
	if m.n != s.loading || m.err != nil || len(m.codes) == 0 {
		return nil, true // the code is typed, as before the check
	}
	w.employers = m.codes
	cur := s.employer.value()
	vals := slices.Clone(m.codes)
	if cur != "" && !slices.Contains(vals, cur) {
		vals = append(vals, cur)
	}
	if cur == "" {
		cur = vals[0]
	}
	f := newChoiceField(w.e, "tui.f.employer", vals, vals, cur)
	f.keys = s.employer.keys
	f.hint = w.e.t("tui.wizard.employers_from_afas")
	i := slices.Index(s.fm.fields, s.employer)
	s.fm.fields[i], s.employer = f, f
	return nil, true
}

func (s *deliveryStep) next(w *wizard) tea.Cmd {
	if w.validate() > 0 {
		return w.firstProblem()
	}
	if s.editing {
		return s.closeColumns()
	}
	// A problem in the columns is shown where it is edited.
	if len(engine.ColumnProblems(w.profile())) > 0 {
		cmd := s.openColumns(w)
		w.validate()
		return tea.Batch(cmd, w.firstProblem())
	}
	return w.forward()
}

func (s *deliveryStep) view(w *wizard) string {
	if s.editing {
		return s.cols.view(w)
	}
	e := w.e
	p := w.profile()
	// The folder on a line of its own, so its length never moves the label.
	where := e.t("tui.wizard.outbox_is") + "\n  " + p.Delivery.Outbox + "/" + p.Name + "/<run>/"
	return "\n" + e.st.dim.Render(where) + "\n\n" + s.cols.summary(w)
}

func (s *deliveryStep) apply(w *wizard, p *profile.Profile) {
	p.Delivery.Outbox = s.outbox.value()
	if p.Delivery.Outbox != "" && !filepath.IsAbs(p.Delivery.Outbox) {
		// Runs start from anywhere (schedulers): a relative outbox is fixed against the store's
		// folder when it is chosen, as the demo's is (an import resolves it against the file's).
		p.Delivery.Outbox = filepath.Join(w.e.filesDir(), p.Delivery.Outbox)
	}
	p.Delivery.Mode = s.mode.value()
	p.Employer = s.employer.value()
	p.Rewrite.Employer = profile.Affix{Prefix: s.erPre.value(), Suffix: s.erSuf.value()}
	p.Rewrite.Employee = profile.Affix{Prefix: s.eePre.value(), Suffix: s.eeSuf.value()}
	s.cols.apply(p)
}

// afasEmployers reads the employer codes AFAS uses: those of the organisational units, and of
// the first employments (reading every employment of a large customer is a run's work).
func afasEmployers(ctx context.Context, p *profile.Profile) ([]string, error) {
	cl, err := verify.NewClient(p)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	read := func(role string, limit int) error {
		std, _ := connectors.ByRole(role)
		fields := afas.Fields{connectors.FWerkgever: afas.String}
		for _, k := range std.Keys() {
			fields[k.Name] = k.Kind
		}
		_, err := cl.Read(ctx, afas.Query{Connector: p.ConnectorID(role), Sort: std.Sort, Fields: fields, Limit: limit, Rename: p.FieldRenames(role)}, func(r afas.Row) error {
			if c := r.Get(connectors.FWerkgever, afas.String).Str; c != "" {
				seen[c]++
			}
			return nil
		})
		return err
	}
	if err := read(connectors.Organisatie, 0); err != nil {
		return nil, err
	}
	_ = read(connectors.Dienstverbanden, 2000) // the units' codes suffice when this fails
	codes := make([]string, 0, len(seen))
	for c := range seen {
		codes = append(codes, c)
	}
	// The most used first: the likely default.
	sort.Slice(codes, func(i, j int) bool {
		if seen[codes[i]] != seen[codes[j]] {
			return seen[codes[i]] > seen[codes[j]]
		}
		return codes[i] < codes[j]
	})
	return codes, nil
}
