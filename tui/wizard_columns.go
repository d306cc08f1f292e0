package tui

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/koppel-nl/koppel/sync/columns"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
)

// columnFiles are the files whose columns can be set, in delivery order (delivery.columns keys).
var columnFiles = []string{"afdelingen", "medewerkers", "gebruikers", "verzuim"}

// columnsEditor is the delivery step's second page: each file's columns as the customer's Xpert
// Suite import configuration expects them (delivery.columns) and the mutation column, with the
// preview of every edit: the header as delivered and an example row from the last delivery.
type columnsEditor struct {
	fm       form
	mutation *field
	file     *field
	files    map[string]*fileColumns
	// examples are read from the store once per profile name.
	examples  *engine.Examples
	loadedFor string
	loadErr   string
}

// fileColumns are one file's fields: lists separated by commas, pairs as Column=Value.
type fileColumns struct{ rename, omit, add, order *field }

func newColumnsEditor(e *env, p *profile.Profile) *columnsEditor {
	c := &columnsEditor{files: map[string]*fileColumns{}}
	mv := []string{"", profile.NoMutationColumn}
	ml := []string{"Mutatie", e.t("tui.columns.none")}
	if cur := p.Delivery.MutationColumn; !slices.Contains(mv, cur) {
		mv, ml = append(mv, cur), append(ml, cur)
	}
	c.mutation = newChoiceField(e, "tui.f.mutation_column", mv, ml, p.Delivery.MutationColumn)
	c.mutation.keys = []string{"delivery.mutation_column"}
	for _, f := range columnFiles {
		cfg := p.Delivery.Columns[f]
		key := "delivery.columns." + f
		fc := &fileColumns{
			rename: newTextField(e, "tui.f.rename", formatPairs(cfg.Rename), "Personeelsnummer=Werknemer_Personeelsnummer"),
			omit:   newTextField(e, "tui.f.omit", strings.Join(cfg.Omit, ", "), "Roepnaam, Geboortenaam"),
			add:    newTextField(e, "tui.f.add", formatPairs(cfg.Add), "Bron=AFAS"),
			order:  newTextField(e, "tui.f.order", strings.Join(cfg.Order, ", "), "WerkgeverCode, Werknemer_Personeelsnummer"),
		}
		fc.rename.keys = []string{key + ".rename."}
		fc.omit.keys = []string{key + ".omit"}
		fc.add.keys = []string{key + ".add", key} // a duplicate name is the file's problem
		fc.order.keys = []string{key + ".order"}
		c.files[f] = fc
	}
	// The file has no problems of its own: open shows the file whose columns have one.
	c.file = newChoiceField(e, "tui.f.columns_file", columnFiles, fileLabels(columnFiles), "medewerkers")
	c.show()
	return c
}

func fileLabels(fs []string) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f + ".csv"
	}
	return out
}

// open prepares the page for the files the profile delivers now, on the first of them with a
// problem (or the file chosen before), and reads the examples when the profile's name changed.
func (c *columnsEditor) open(w *wizard, p *profile.Profile) {
	var files []string
	for _, ent := range engine.DeliveredEntities(p) {
		files = append(files, strings.TrimSuffix(mapping.FileOf(ent), ".csv"))
	}
	for _, f := range columnFiles { // a file configured before stays reachable
		if !slices.Contains(files, f) && len(p.Delivery.Columns[f].Omit)+len(p.Delivery.Columns[f].Rename)+len(p.Delivery.Columns[f].Add)+len(p.Delivery.Columns[f].Order) > 0 {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		files = columnFiles
	}
	cur := c.file.value()
	if f := problemFile(p); f != "" && slices.Contains(files, f) {
		cur = f
	}
	if !slices.Contains(files, cur) {
		cur = files[0]
	}
	c.file = newChoiceField(w.e, "tui.f.columns_file", files, fileLabels(files), cur)
	c.show()
	c.fm.focus = 0
	if c.examples == nil || c.loadedFor != p.Name {
		c.loadedFor, c.loadErr = p.Name, ""
		x, err := engine.LoadExamples(w.e.Store, p.Name)
		if err != nil {
			c.loadErr = w.e.errText(err)
		}
		c.examples = x
	}
}

// problemFile is the first file whose columns have a problem, or "".
func problemFile(p *profile.Profile) string {
	for _, pe := range engine.ColumnProblems(p) {
		if rest, ok := strings.CutPrefix(pe.Key, "delivery.columns."); ok {
			f, _, _ := strings.Cut(rest, ".")
			return f
		}
	}
	return ""
}

// show puts the chosen file's fields on the page.
func (c *columnsEditor) show() {
	fc := c.files[c.file.value()]
	c.fm.fields = []*field{c.mutation, c.file, fc.rename, fc.omit, fc.add, fc.order}
}

func (c *columnsEditor) apply(p *profile.Profile) {
	p.Delivery.MutationColumn = c.mutation.value()
	var cols map[string]columns.Config
	for _, f := range columnFiles {
		fc := c.files[f]
		cfg := columns.Config{
			Rename: parsePairs(fc.rename.value()), Omit: parseList(fc.omit.value()),
			Add: parsePairs(fc.add.value()), Order: parseList(fc.order.value()),
		}
		if cfg.Rename == nil && cfg.Omit == nil && cfg.Add == nil && cfg.Order == nil {
			continue
		}
		if cols == nil {
			cols = map[string]columns.Config{}
		}
		cols[f] = cfg
	}
	p.Delivery.Columns = cols
}

// parseList reads "A, B": nil when empty.
func parseList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// parsePairs reads "A=B, C=D": nil when empty. A name without "=" gets an empty value, which the
// profile's rules judge (an empty rename is refused, an empty fixed value is allowed).
func parsePairs(s string) map[string]string {
	var out map[string]string
	for _, part := range parseList(s) {
		k, v, _ := strings.Cut(part, "=")
		if out == nil {
			out = map[string]string{}
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

func formatPairs(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

// preview lays the examples out in the profile's columns, or says why it cannot.
func (c *columnsEditor) preview(w *wizard, p *profile.Profile) (*engine.ColumnsPreview, string) {
	pv, err := c.examples.Preview(p)
	var pe profile.Errors
	switch {
	case errors.As(err, &pe):
		return nil, w.e.t("tui.columns.invalid")
	case err != nil:
		return nil, w.e.errText(err)
	}
	return pv, ""
}

// view shows the chosen file as delivered, its example row and the other files' sizes.
func (c *columnsEditor) view(w *wizard) string {
	e := w.e
	p := w.profile()
	var b strings.Builder
	b.WriteString("\n")
	pv, problem := c.preview(w, p)
	if pv == nil {
		b.WriteString(e.st.dim.Render(wrap(problem, e.width)) + "\n")
		return b.String()
	}
	var others []string
	for _, f := range pv.Files {
		if f.File != c.file.value()+".csv" {
			others = append(others, e.t("tui.columns.n", f.File, itoa(len(f.Header))))
			continue
		}
		b.WriteString(e.st.subtitle.Render(e.t("tui.columns.as_delivered", f.File)) + "\n")
		b.WriteString(indentLines(wrapFields(f.Header, e.width-2), 2) + "\n")
		switch {
		case c.loadErr != "":
			b.WriteString(e.st.err.Render(wrap(e.t("tui.columns.load_failed", c.loadErr), e.width)) + "\n")
		case pv.Delivery == "":
			b.WriteString(e.st.dim.Render(e.t("tui.columns.no_delivery")) + "\n")
		case f.Example == nil:
			b.WriteString(e.st.dim.Render(e.t("tui.columns.no_rows")) + "\n")
		default:
			label := e.t("tui.columns.example", pv.Delivery)
			if !f.ExampleSent {
				label = e.t("tui.columns.example_as_change", pv.Delivery)
			}
			b.WriteString(e.st.dim.Render(wrap(label, e.width)) + "\n")
			b.WriteString(e.st.dim.Render(indentLines(wrapFields(f.Example, e.width-2), 2)) + "\n")
		}
	}
	if len(others) > 0 {
		b.WriteString(e.st.dim.Render(hang(e.t("tui.columns.others", strings.Join(others, " · ")), e.width, 2)) + "\n")
	}
	return b.String()
}

// summary is the delivery page's view of the columns: what is set and each file's header, cut.
func (c *columnsEditor) summary(w *wizard) string {
	e := w.e
	p := w.profile()
	var set []string
	for _, f := range columnFiles {
		if _, ok := p.Delivery.Columns[f]; ok {
			set = append(set, f+".csv")
		}
	}
	state := e.t("tui.columns.standard")
	if len(set) > 0 {
		state = e.t("tui.columns.custom", strings.Join(set, ", "))
	}
	if p.Delivery.Mode == profile.ModeMutaties && p.Delivery.MutationHeader() == "" {
		state += " · " + e.t("tui.columns.no_mutation_column")
	}
	var b strings.Builder
	b.WriteString(e.st.subtitle.Render(cut(e.t("tui.columns.line", state, e.km.Columns.Help().Key), e.width)) + "\n")
	pv, _ := c.preview(w, p)
	if pv == nil {
		b.WriteString(e.st.err.Render(wrap(e.t("tui.columns.invalid_summary", e.km.Columns.Help().Key), e.width)) + "\n")
		return b.String()
	}
	for _, f := range pv.Files {
		b.WriteString(cut("  "+pad(f.File, 17)+e.st.dim.Render(strings.Join(f.Header, ";")), e.width) + "\n")
	}
	return b.String()
}

// wrapFields shows a file's line over lines of width, broken after a separator where it can:
// joined again, the lines are the line as delivered.
func wrapFields(fields []string, width int) string {
	var lines []string
	cur := ""
	for i, f := range fields {
		if i < len(fields)-1 {
			f += ";"
		}
		if cur != "" && len([]rune(cur))+len([]rune(f)) > width {
			lines = append(lines, cur)
			cur = ""
		}
		cur += f
	}
	lines = append(lines, cur)
	return wrap(strings.Join(lines, "\n"), width)
}
