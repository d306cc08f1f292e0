package afassim

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/koppel-nl/koppel/sync/afas"
	c "github.com/koppel-nl/koppel/sync/connectors"
)

// KeySep joins the values of a composite key in the keys of Server.Stable, e.g. "100001|1" for
// Medewerker 100001, Dienstverband 1.
const KeySep = "|"

// churnState follows one connector under the built-in churn from its first data call on.
type churnState struct {
	snap    map[string][]string // key -> the row's values just before the first data call
	dup     map[string]bool     // keys that were not unique then
	touched map[string]bool     // keys deleted or changed by the churn since
}

// keyBook remembers every key a table ever had, so that inserted keys are new.
type keyBook struct {
	used    map[string]bool
	maxLast int64 // the highest integer last key field ever seen
}

// Stable returns the rows of a connector that existed, with the same values, throughout the
// built-in churn (Options.ChurnRows): present just before its first data call and neither deleted
// nor changed since, by the churn or otherwise. Rows inserted since are never stable, nor are keys
// that were not unique at the start. A reader that pages correctly reads each of them exactly
// once, whatever else changes. Keys are the values of the Key fields joined by KeySep; values are
// in the order of Fields. Stable is nil before the first data call under churn.
func (s *Server) Stable(connector string) map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.data.Tables[connector]
	st := s.churns[t]
	if t == nil || st == nil {
		return nil
	}
	now := map[string][]string{}
	count := map[string]int{}
	for _, row := range t.Rows {
		k := t.keyOf(row)
		now[k] = row
		count[k]++
	}
	out := make(map[string][]string, len(st.snap))
	for k, v := range st.snap {
		if !st.touched[k] && count[k] == 1 && slices.Equal(now[k], v) {
			out[k] = slices.Clone(v)
		}
	}
	return out
}

// Fields returns a connector's field names, in the order of its rows' values.
func (s *Server) Fields(connector string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.data.Tables[connector]
	if t == nil {
		return nil
	}
	out := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		out[i] = f.Name
	}
	return out
}

func (t *Table) keyOf(row []string) string {
	var b strings.Builder
	for i, k := range t.Key {
		if i > 0 {
			b.WriteString(KeySep)
		}
		if ci := t.Col(k); ci >= 0 {
			b.WriteString(row[ci])
		}
	}
	return b.String()
}

// refreshKeys adds every present key to the tables' key books.
func (s *Server) refreshKeys() {
	s.keysDirty = false
	for _, t := range s.data.Tables {
		kb := s.keys[t]
		if kb == nil {
			kb = &keyBook{used: map[string]bool{}}
			s.keys[t] = kb
		}
		last := -1
		if len(t.Key) > 0 {
			if ci := t.Col(t.Key[len(t.Key)-1]); ci >= 0 && t.Fields[ci].Kind == afas.Int {
				last = ci
			}
		}
		for _, row := range t.Rows {
			kb.used[t.keyOf(row)] = true
			if last >= 0 {
				if v, err := strconv.ParseInt(row[last], 10, 64); err == nil && v > kb.maxLast {
					kb.maxLast = v
				}
			}
		}
	}
}

// churnStep is the built-in churn before data call number call for t: ChurnRows times, delete a
// row, insert one and change one, on alternating sides of the middle of the key order.
func (s *Server) churnStep(t *Table, call int) {
	if s.keysDirty {
		s.refreshKeys()
	}
	if s.keys[t] == nil {
		s.keys[t] = &keyBook{used: map[string]bool{}}
	}
	if s.churns[t] == nil {
		st := &churnState{snap: map[string][]string{}, dup: map[string]bool{}, touched: map[string]bool{}}
		for _, row := range t.Rows {
			k := t.keyOf(row)
			if _, seen := st.snap[k]; seen || st.dup[k] {
				delete(st.snap, k)
				st.dup[k] = true
				continue
			}
			st.snap[k] = slices.Clone(row)
		}
		s.churns[t] = st
	}
	for j := 0; j < s.opts.ChurnRows; j++ {
		half := (call + j) % 2
		s.churnDelete(t, half)
		s.churnInsert(t, 1-half)
		s.churnChange(t, half)
	}
}

// keyOrder is t's rows in key order (the cached view the churn keeps up to date), or in table
// order for a table without key.
func (s *Server) keyOrder(t *Table) []int {
	var sorts []afas.SortField
	for _, k := range t.Key {
		if t.Col(k) >= 0 {
			sorts = append(sorts, afas.SortField{Field: k})
		}
	}
	if len(sorts) == 0 {
		order := make([]int, len(t.Rows))
		for i := range order {
			order[i] = i
		}
		return order
	}
	return s.sorted(t, sorts).order
}

// halfRange is the first (half 0) or second half of the positions 0 to n; all of them when that
// half is empty.
func halfRange(n, half int) (lo, hi int) {
	lo, hi = 0, n/2
	if half == 1 {
		lo, hi = n/2, n
	}
	if lo >= hi {
		lo, hi = 0, n
	}
	return lo, hi
}

// pickPos chooses a position in a half of n, or -1 when n is 0.
func (s *Server) pickPos(n, half int) int {
	if n == 0 {
		return -1
	}
	lo, hi := halfRange(n, half)
	return lo + s.churnRng.IntN(hi-lo)
}

func (s *Server) touch(t *Table, rows ...int) {
	st := s.churns[t]
	if st == nil {
		return
	}
	for _, ri := range rows {
		st.touched[t.keyOf(t.Rows[ri])] = true
	}
}

func (s *Server) tableOf(std string) *Table {
	for _, t := range s.data.Tables {
		if t.std == std {
			return t
		}
	}
	return nil
}

// churnDelete deletes a row. An employee goes with their employments and absences; a department
// is only deleted when no employment and no other department refers to it.
func (s *Server) churnDelete(t *Table, half int) {
	order := s.keyOrder(t)
	pos := s.pickPos(len(order), half)
	if pos < 0 {
		return
	}
	ri := order[pos]
	switch t.std {
	case "Koppel_Organisatie":
		ri = s.unreferencedUnit(t, order, pos, half)
		if ri < 0 {
			return
		}
	case "Koppel_Medewerkers":
		if mc := t.Col(c.FMedewerker); mc >= 0 {
			m := t.Rows[ri][mc]
			for _, std := range []string{"Koppel_Dienstverbanden", "Koppel_Verzuim"} {
				if d := s.tableOf(std); d != nil {
					del := s.rowsWith(d, c.FMedewerker, m)
					s.touch(d, del...)
					s.deleteRows(d, del)
				}
			}
		}
	}
	s.touch(t, ri)
	s.deleteRows(t, []int{ri})
}

// unreferencedUnit finds, from pos on within the half, a department no employment or department
// refers to, or -1.
func (s *Server) unreferencedUnit(t *Table, order []int, pos, half int) int {
	uc := t.Col(c.FOrgEenheid)
	if uc < 0 {
		return order[pos]
	}
	dv := s.tableOf("Koppel_Dienstverbanden")
	lo, hi := halfRange(len(order), half)
	for k := 0; k < hi-lo; k++ {
		ri := order[lo+(pos-lo+k)%(hi-lo)]
		u := t.Rows[ri][uc]
		if len(s.rowsWith(t, c.FBovenliggende, u)) == 0 && (dv == nil || len(s.rowsWith(dv, c.FAfdeling, u)) == 0) {
			return ri
		}
	}
	return -1
}

// rowsWith returns the rows whose field holds exactly v, found by binary search in the table's
// cached order on that field (none when the table has no such field).
func (s *Server) rowsWith(t *Table, field, v string) []int {
	ci := t.Col(field)
	if ci < 0 || v == "" {
		return nil
	}
	sv := s.sorted(t, []afas.SortField{{Field: field}})
	k := t.Fields[ci].Kind
	order := sv.order
	from := sort.Search(len(order), func(p int) bool { return s.compare(k, t.Rows[order[p]][ci], v) >= 0 })
	var out []int
	for p := from; p < len(order) && s.compare(k, t.Rows[order[p]][ci], v) == 0; p++ {
		if t.Rows[order[p]][ci] == v {
			out = append(out, order[p])
		}
	}
	return out
}

// churnInsert inserts a copy of a row with a new key that sorts right after it: an integer last
// key field gets a value above any ever used (so the row sorts last among its siblings, e.g. a
// new employment of the same employee); a text key gets a digit appended ("100123" → "1001231").
// A copy refers to what the original refers to: an employment to an existing employee and
// department, an absence entry to an existing absence.
func (s *Server) churnInsert(t *Table, half int) {
	if len(t.Key) == 0 {
		return
	}
	lc := t.Col(t.Key[len(t.Key)-1])
	if lc < 0 {
		return
	}
	order := s.keyOrder(t)
	pos := s.pickPos(len(order), half)
	if pos < 0 {
		return
	}
	kb := s.keys[t]
	row := slices.Clone(t.Rows[order[pos]])
	switch t.Fields[lc].Kind {
	case afas.Int:
		v := kb.maxLast + 1
		if len(t.Key) == 1 {
			// A gap right after the original keeps a single integer key among the others.
			if o, err := strconv.ParseInt(row[lc], 10, 64); err == nil && !kb.used[strconv.FormatInt(o+1, 10)] {
				v = o + 1
			}
		}
		kb.maxLast = max(kb.maxLast, v)
		row[lc] = strconv.FormatInt(v, 10)
	case afas.String:
		base := row[lc]
	search:
		for {
			for d := '1'; d <= '9'; d++ {
				row[lc] = base + string(d)
				if !kb.used[t.keyOf(row)] {
					break search
				}
			}
			base += "0"
		}
	default:
		return
	}
	if kb.used[t.keyOf(row)] {
		return
	}
	if gc := t.Col(c.FGewijzigd); gc >= 0 {
		row[gc] = day(s.data.Ref)
	}
	kb.used[t.keyOf(row)] = true
	s.insertRow(t, row)
}

// churnChange changes a field that is not part of the key.
func (s *Server) churnChange(t *Table, half int) {
	order := s.keyOrder(t)
	pos := s.pickPos(len(order), half)
	if pos < 0 {
		return
	}
	ri := order[pos]
	s.churnN++
	n := s.churnN
	row := slices.Clone(t.Rows[ri])
	set := func(field, v string) bool {
		ci := t.Col(field)
		if ci < 0 || slices.Contains(t.Key, field) {
			return false
		}
		row[ci] = v
		return true
	}
	changed := false
	switch t.std {
	case "Koppel_Medewerkers":
		changed = set(c.FTelefoon, fmt.Sprintf("030-97%05d", n%100000))
	case "Koppel_Dienstverbanden":
		job := jobs[n%len(jobs)]
		if ci := t.Col(c.FFunctieCode); ci >= 0 && row[ci] == job.code {
			job = jobs[(n+1)%len(jobs)]
		}
		changed = set(c.FFunctieCode, job.code)
		changed = set(c.FFunctie, job.title) || changed
	case "Koppel_Organisatie":
		changed = set(c.FOmschrijving, fmt.Sprintf("%s %s %d", unitWords[n%len(unitWords)], unitPlaces[n%len(unitPlaces)], n))
	case "Koppel_Verzuim":
		changed = set(c.FVerwachtHerstel, day(s.data.Ref.AddDate(0, 0, 7+n%50)))
	}
	if !changed {
		// Any other connector: the first text field outside the key.
		for ci, f := range t.Fields {
			if f.Kind == afas.String && !slices.Contains(t.Key, f.Name) {
				row[ci] = fmt.Sprintf("Gewijzigd %d", n)
				changed = true
				break
			}
		}
	}
	if !changed {
		return
	}
	set(c.FGewijzigd, day(s.data.Ref))
	s.touch(t, ri)
	s.replaceRow(t, ri, row)
}
