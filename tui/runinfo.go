package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/documents"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
)

// runEntities are the entities in file order.
var runEntities = []string{mapping.Departments, mapping.Employees, mapping.Employments, mapping.Absences, mapping.Users, mapping.Placements, mapping.Documents}

// runStatus names a run's outcome: a preview is a preview, whatever it found.
func runStatus(e *env, r *store.Run) string {
	if r.DryRun && r.Status == store.StatusOK {
		return e.t("tui.status.preview")
	}
	return e.t("status." + r.Status)
}

// styledStatus is runStatus in its colour.
func styledStatus(e *env, r *store.Run) string {
	if r.DryRun && r.Status == store.StatusOK {
		return e.st.dim.Render(runStatus(e, r))
	}
	return e.st.status(runStatus(e, r), r.Status)
}

// deliveredSummary says in words what a run delivered, or why it delivered nothing.
func deliveredSummary(e *env, r *store.Run) string {
	switch {
	case r.DryRun && r.Status == store.StatusOK:
		return e.t("tui.summary.preview")
	case r.Status == "blocked":
		return e.t("tui.summary.blocked")
	case !r.HasDelivery():
		return e.t("tui.summary.failed")
	}
	var parts []string
	for _, ent := range runEntities {
		if c := r.Entities[ent]; c != nil {
			parts = append(parts, e.t("entity."+ent)+" "+strconv.Itoa(c.Delivered))
		}
	}
	return e.t("tui.summary.delivered", strings.Join(parts, ", "))
}

// couplingNames names a run's or profile's couplings in full.
func couplingNames(e *env, cs []string) string {
	var out []string
	for _, c := range cs {
		out = append(out, e.t("tui.coupling."+c))
	}
	return strings.Join(out, ", ")
}

// profileCouplings names a profile's enabled couplings in full.
func profileCouplings(e *env, p *profile.Profile) string {
	if len(p.Enabled()) == 0 {
		return "—"
	}
	return couplingNames(e, p.Enabled())
}

// countsTable renders the per-entity counts of a run; delivered is false for a run that has
// delivered nothing (yet): running, failed, blocked or a preview, where the column shows "—".
func countsTable(e *env, counts map[string]store.EntityCounts, delivered bool) string {
	if len(counts) == 0 {
		return ""
	}
	heads := []string{e.t("tui.c.fetched"), e.t("tui.c.delivered"), e.t("tui.c.rejected"), e.t("tui.c.new"), e.t("tui.c.changed"), e.t("tui.c.unchanged"), e.t("tui.c.deleted")}
	widths := make([]int, len(heads))
	const first = 15
	var head strings.Builder
	head.WriteString(pad("", first))
	for i, h := range heads {
		widths[i] = max(6, len([]rune(h)))
		head.WriteString(" " + padLeft(h, widths[i]))
	}
	var b strings.Builder
	b.WriteString(e.st.dim.Render(head.String()) + "\n")
	for _, ent := range runEntities {
		c, ok := counts[ent]
		if !ok {
			continue
		}
		del := "—"
		if delivered {
			del = strconv.Itoa(c.Delivered)
		}
		vals := []string{strconv.Itoa(c.Fetched), del, strconv.Itoa(c.Rejected), strconv.Itoa(c.New), strconv.Itoa(c.Changed), strconv.Itoa(c.Unchanged), strconv.Itoa(c.Deleted)}
		b.WriteString(pad(e.t("entity."+ent), first))
		for i, v := range vals {
			cell := padLeft(v, widths[i])
			if i == 2 && c.Rejected > 0 {
				cell = e.st.bad.Render(cell)
			}
			b.WriteString(" " + cell)
		}
		b.WriteString("\n")
	}
	if c, ok := counts[mapping.Documents]; ok && c.Bytes > 0 && delivered {
		b.WriteString(e.st.dim.Render(e.t("doc.bytes", documents.SizeText(c.Bytes))) + "\n")
	}
	return b.String()
}

// fmtDuration is a run's duration, rounded for people.
func fmtDuration(r *store.Run) string {
	d := r.Finished.Sub(r.Started)
	if d < 0 {
		return "—"
	}
	if d < 10e9 {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(1e9).String()
}
