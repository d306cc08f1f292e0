package afassim

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/values"
)

// page is one answer's rows, taken under the lock. Row contents are never changed in place while
// a page is out (see Server.beginExclusive), so a page is written out without the lock.
type page struct {
	id       string
	fields   []afas.SchemaField
	rows     [][]string
	metadata bool
	empty    bool // Outputoptions 3: fields without a value as empty elements
}

// document returns the result document: AfasGetConnector with an optional schema and the rows.
func (p *page) document() []byte {
	var b bytes.Buffer
	p.write(&b, false)
	return b.Bytes()
}

// write writes the result document, or with twice its text as it goes into the SOAP result
// element (escaped once more): the same bytes as xml.EscapeText(document()), in one pass.
func (p *page) write(b *bytes.Buffer, twice bool) {
	esc := func(s string) string {
		if !twice {
			return s
		}
		var e strings.Builder
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	rowOpen, rowClose := esc("<"+p.id+">"), esc("</"+p.id+">")
	open, closing, empty := make([]string, len(p.fields)), make([]string, len(p.fields)), make([]string, len(p.fields))
	for i, f := range p.fields {
		open[i], closing[i], empty[i] = esc("<"+f.Name+">"), esc("</"+f.Name+">"), esc("<"+f.Name+" />")
	}
	b.Grow(64 + len(p.rows)*len(p.fields)*32)
	b.WriteString(esc("<AfasGetConnector>"))
	if p.metadata {
		var sb bytes.Buffer
		writeSchema(&sb, p.id, p.fields)
		b.WriteString(esc(sb.String()))
	}
	for _, row := range p.rows {
		b.WriteString(rowOpen)
		for ci := range p.fields {
			v := ""
			if ci < len(row) {
				v = row[ci]
			}
			if v == "" {
				if p.empty {
					b.WriteString(empty[ci])
				}
				continue
			}
			b.WriteString(open[ci])
			writeText(b, v, twice)
			b.WriteString(closing[ci])
		}
		b.WriteString(rowClose)
	}
	b.WriteString(esc("</AfasGetConnector>"))
}

// writeText writes a value as XML text, escaped once or twice; plain text (most values) as is.
func writeText(b *bytes.Buffer, v string, twice bool) {
	plain := true
	for i := 0; i < len(v) && plain; i++ {
		c := v[i]
		plain = c >= 0x20 && c < 0x80 && c != '<' && c != '>' && c != '&' && c != '"' && c != '\''
	}
	if plain {
		b.WriteString(v)
		return
	}
	if !twice {
		_ = xml.EscapeText(b, []byte(v))
		return
	}
	var once bytes.Buffer
	_ = xml.EscapeText(&once, []byte(v))
	_ = xml.EscapeText(b, once.Bytes())
}

// query selects the rows of one call under the lock. A page it returns must be given back with
// release once written; its rows are not to be used after that.
func (s *Server) query(req request) (*page, int, string) {
	// Parse outside the lock; errors are reported in AFAS's order below.
	id := strings.TrimSpace(req.ConnectorID)
	skip, take := 0, 0
	if v := strings.TrimSpace(req.Skip); v != "" {
		skip, _ = strconv.Atoi(v)
	}
	if v := strings.TrimSpace(req.Take); v != "" {
		take, _ = strconv.Atoi(v)
	}
	filters, ferr := afas.ParseFiltersXML(req.FiltersXML)
	opts, oerr := afas.ParseOptionsXML(req.Options)

	s.mu.Lock()
	defer s.mu.Unlock()
	for s.excl {
		s.cond.Wait()
	}
	t := s.data.Tables[id]
	if t == nil || s.omit[id] {
		return nil, http.StatusInternalServerError, fmt.Sprintf("Connector %s does not exist", id)
	}
	if s.unauth[id] {
		return nil, http.StatusInternalServerError, "GetConnector not supported for this app or the user is not authorized"
	}
	if take < 0 || skip < 0 {
		return nil, http.StatusInternalServerError, "Skip and take must not be negative"
	}
	if ferr != nil {
		return nil, http.StatusInternalServerError, "Invalid filter: " + ferr.Error()
	}
	if oerr != nil {
		return nil, http.StatusInternalServerError, "Invalid options: " + oerr.Error()
	}
	if msg := missingField(t, filters, opts.Sort); msg != "" {
		return nil, http.StatusInternalServerError, msg
	}
	s.calls[id]++
	call := s.calls[id]
	if s.opts.ChurnRows > 0 {
		s.churnStep(t, call)
	}
	if s.opts.Churn != nil {
		s.beginExclusive()
		s.opts.Churn(id, call, s.data)
		s.changedAll()
		s.endExclusive()
		// The hook may have changed anything, the connector itself included.
		if t = s.data.Tables[id]; t == nil {
			return nil, http.StatusInternalServerError, fmt.Sprintf("Connector %s does not exist", id)
		}
		if msg := missingField(t, filters, opts.Sort); msg != "" {
			return nil, http.StatusInternalServerError, msg
		}
	}
	sel := s.selectRows(t, req.FiltersXML, filters, opts.Sort, skip, take)
	p := &page{id: t.ID, fields: t.Fields, metadata: opts.Metadata, empty: opts.EmptyAsElements}
	if k := len(s.free) - 1; k >= 0 && cap(s.free[k]) >= len(sel) {
		p.rows, s.free = s.free[k][:len(sel)], s.free[:k]
	} else {
		p.rows = make([][]string, len(sel))
	}
	for i, ri := range sel {
		p.rows[i] = t.Rows[ri]
	}
	s.writers++
	return p, 0, ""
}

// release gives a page back: its rows may be changed in place again once no page is out. The
// page's row list is kept for a next page (a big page is garbage the collector must work for).
func (s *Server) release(p *page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writers--
	if s.writers == 0 {
		s.cond.Broadcast()
	}
	if len(s.free) < 16 && cap(p.rows) > 0 {
		clear(p.rows)
		s.free = append(s.free, p.rows[:0])
	}
	p.rows = nil
}

// beginExclusive waits, with s.mu held, until no page is being written, and keeps new pages out
// until endExclusive: code that changes rows in place (Update, the Churn hook) runs in between.
func (s *Server) beginExclusive() {
	for s.excl {
		s.cond.Wait()
	}
	s.excl = true
	for s.writers > 0 {
		s.cond.Wait()
	}
}

func (s *Server) endExclusive() {
	s.excl = false
	s.cond.Broadcast()
}

func missingField(t *Table, filters []afas.Filter, sorts []afas.SortField) string {
	for _, f := range filters {
		for _, c := range f {
			if t.Col(c.Field) < 0 {
				return fmt.Sprintf("Connector field '%s' not found", c.Field)
			}
		}
	}
	for _, sf := range sorts {
		if t.Col(sf.Field) < 0 {
			return fmt.Sprintf("Connector field '%s' not found", sf.Field)
		}
	}
	return ""
}

// tableCache holds a table's derived orders until its data changes.
type tableCache struct {
	// sorted are the whole table's row orders, by sort specification; the built-in churn keeps
	// them up to date, other changes drop them.
	sorted map[string]*sortedView
	// filtered are general-path results (sorted and filtered), by sort and filtersXml; they are
	// dropped on any change, and all of them when there are too many.
	filtered map[string][]int
}

const maxFiltered = 16

// sortedView is the order of all rows of a table under one sort. Rows that sort equal keep their
// order in the table (a stable sort), so the order is total: (sort values, row index).
type sortedView struct {
	cols  []int
	kinds []afas.Kind
	desc  []bool
	order []int
}

func sortSpec(sorts []afas.SortField) string {
	var b strings.Builder
	for _, sf := range sorts {
		b.WriteString(sf.Field)
		if sf.Desc {
			b.WriteString("\x01d")
		}
		b.WriteByte(0)
	}
	return b.String()
}

func (s *Server) tableCache(t *Table) *tableCache {
	tc := s.cache[t]
	if tc == nil {
		tc = &tableCache{sorted: map[string]*sortedView{}}
		s.cache[t] = tc
	}
	return tc
}

// sorted returns the cached order of all rows of t under a non-empty sort.
func (s *Server) sorted(t *Table, sorts []afas.SortField) *sortedView {
	tc := s.tableCache(t)
	spec := sortSpec(sorts)
	if sv, ok := tc.sorted[spec]; ok {
		return sv
	}
	sv := &sortedView{order: make([]int, len(t.Rows))}
	for _, sf := range sorts {
		ci := t.Col(sf.Field)
		sv.cols = append(sv.cols, ci)
		sv.kinds = append(sv.kinds, t.Fields[ci].Kind)
		sv.desc = append(sv.desc, sf.Desc)
	}
	for i := range sv.order {
		sv.order[i] = i
	}
	slices.SortFunc(sv.order, func(a, b int) int { return s.cmpRows(t, sv, a, b) })
	tc.sorted[spec] = sv
	return sv
}

// cmpRows orders two rows of t by the view's sort, then by their place in the table.
func (s *Server) cmpRows(t *Table, sv *sortedView, a, b int) int {
	ra, rb := t.Rows[a], t.Rows[b]
	for i, ci := range sv.cols {
		if c := s.compare(sv.kinds[i], ra[ci], rb[ci]); c != 0 {
			if sv.desc[i] {
				return -c
			}
			return c
		}
	}
	return cmp.Compare(a, b)
}

// selectRows returns the rows (indices into t.Rows) of one page, valid until the lock is released.
func (s *Server) selectRows(t *Table, filtersXML string, filters []afas.Filter, sorts []afas.SortField, skip, take int) []int {
	fs := s.compile(t, filters)
	if len(sorts) == 0 {
		// Without a sort real AFAS gives no stable order: shuffle on every call.
		var order []int
		for i, row := range t.Rows {
			if s.matches(fs, row) {
				order = append(order, i)
			}
		}
		s.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		return pageOf(order, skip, take)
	}
	sv := s.sorted(t, sorts)
	if len(fs) == 0 {
		return pageOf(sv.order, skip, take)
	}
	if spans, ok := s.keySpans(t, sv, fs); ok {
		s.fastCalls++
		return s.scanSpans(t, sv, spans, skip, take)
	}
	tc := s.tableCache(t)
	key := sortSpec(sorts) + "\x00" + filtersXML
	order, ok := tc.filtered[key]
	if !ok {
		order = []int{}
		for _, ri := range sv.order {
			if s.matches(fs, t.Rows[ri]) {
				order = append(order, ri)
			}
		}
		if tc.filtered == nil || len(tc.filtered) >= maxFiltered {
			tc.filtered = map[string][]int{}
		}
		tc.filtered[key] = order
	}
	return pageOf(order, skip, take)
}

// pageOf returns rows skip to skip+take of order; the caller uses them before releasing the lock.
func pageOf(order []int, skip, take int) []int {
	if skip >= len(order) || take == 0 {
		return nil
	}
	return order[skip:min(len(order), skip+take)]
}

// span is a range of positions in a sorted view where one Filter element's conditions on the
// first sort field hold; rest are its other conditions, still to be checked row by row.
type span struct {
	lo, hi int
	rest   cfilter
}

// keySpans finds, for every Filter element, the positions in the view where that element's
// comparisons of the first sort field hold, by binary search: an index range scan. It applies
// when the first sort field is ascending and every Filter element compares it with =, >, >=, <
// or <=. Those operators never match an empty value, and empty values sort first, so they are
// left out. The bounds are exact (values compare monotonically along the view), so within a span
// only the element's other conditions need checking.
func (s *Server) keySpans(t *Table, sv *sortedView, fs []cfilter) ([]span, bool) {
	if sv.desc[0] {
		return nil, false
	}
	col := sv.cols[0]
	for _, f := range fs {
		keyed := false
		for i := range f {
			if f[i].col == col && f[i].op >= afas.OpEqual && f[i].op <= afas.OpLess {
				keyed = true
			}
		}
		if !keyed {
			return nil, false
		}
	}
	order := sv.order
	n := len(order)
	val := func(p int) string { return t.Rows[order[p]][col] }
	first := sort.Search(n, func(p int) bool { return val(p) != "" })
	// bound is the first position from first on whose value compares with c's value at least at
	// (strict=false) or above (strict=true).
	bound := func(c *ccond, strict bool) int {
		return first + sort.Search(n-first, func(p int) bool {
			r := s.cmpTo(c, val(first+p))
			return r > 0 || !strict && r == 0
		})
	}
	spans := make([]span, len(fs))
	for fi, f := range fs {
		lo, hi := first, n
		var rest cfilter
		for i := range f {
			c := &f[i]
			if c.col != col || c.op < afas.OpEqual || c.op > afas.OpLess {
				rest = append(rest, *c)
				continue
			}
			switch c.op {
			case afas.OpEqual:
				lo, hi = max(lo, bound(c, false)), min(hi, bound(c, true))
			case afas.OpGreaterOrEqual:
				lo = max(lo, bound(c, false))
			case afas.OpGreater:
				lo = max(lo, bound(c, true))
			case afas.OpLess:
				hi = min(hi, bound(c, false))
			case afas.OpLessOrEqual:
				hi = min(hi, bound(c, true))
			}
		}
		spans[fi] = span{lo: lo, hi: max(lo, hi), rest: rest}
	}
	return spans, true
}

// scanSpans walks the union of the spans in view order, checks the remaining conditions of the
// spans a position is in and applies skip and take.
func (s *Server) scanSpans(t *Table, sv *sortedView, spans []span, skip, take int) []int {
	if take == 0 {
		return nil
	}
	merged := slices.Clone(spans)
	slices.SortFunc(merged, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	var union []span
	for _, sp := range merged {
		if sp.lo >= sp.hi {
			continue
		}
		if k := len(union) - 1; k >= 0 && sp.lo <= union[k].hi {
			union[k].hi = max(union[k].hi, sp.hi)
			continue
		}
		union = append(union, span{lo: sp.lo, hi: sp.hi})
	}
	size := 0
	for _, u := range union {
		size += u.hi - u.lo
	}
	// The result is used before the lock is released: one scratch list serves every call.
	out := s.scratch[:0]
	if want := min(take, max(0, size-skip)); cap(out) < want {
		out = make([]int, 0, want)
	}
	defer func() { s.scratch = out[:0] }()
	seen := 0
	for _, u := range union {
		for p := u.lo; p < u.hi; p++ {
			ok := false
			for fi := range spans {
				sp := &spans[fi]
				if sp.lo <= p && p < sp.hi && (len(sp.rest) == 0 || s.all(sp.rest, t.Rows[sv.order[p]])) {
					ok = true
					break
				}
			}
			if !ok {
				continue
			}
			if seen < skip {
				seen++
				continue
			}
			out = append(out, sv.order[p])
			if len(out) == take {
				return out
			}
		}
	}
	return out
}

// ccond is a filter condition compiled for one table: its column and its value parsed once.
type ccond struct {
	col  int
	kind afas.Kind
	op   afas.Op
	raw  string
	low  string // lower case, without the % wrapping, for the text operators
	xi   int64
	xd   values.Dec
	xt   time.Time
}

type cfilter []ccond

func (s *Server) compile(t *Table, filters []afas.Filter) []cfilter {
	out := make([]cfilter, 0, len(filters))
	for _, f := range filters {
		cf := make(cfilter, 0, len(f))
		for _, c := range f {
			ci := t.Col(c.Field)
			cc := ccond{col: ci, kind: t.Fields[ci].Kind, op: c.Op, raw: c.Value, low: strings.ToLower(strings.Trim(c.Value, "%"))}
			switch cc.kind {
			case afas.Int:
				cc.xi, _ = strconv.ParseInt(c.Value, 10, 64)
			case afas.Decimal:
				cc.xd, _ = values.ParseDec(c.Value)
			case afas.Date:
				cc.xt = s.date(c.Value)
			}
			cf = append(cf, cc)
		}
		out = append(out, cf)
	}
	return out
}

// matches tells whether a row satisfies any of the filters (no filters: every row).
func (s *Server) matches(fs []cfilter, row []string) bool {
	if len(fs) == 0 {
		return true
	}
	for _, f := range fs {
		if s.all(f, row) {
			return true
		}
	}
	return false
}

func (s *Server) all(f cfilter, row []string) bool {
	for i := range f {
		if !s.holds(&f[i], row[f[i].col]) {
			return false
		}
	}
	return true
}

// holds evaluates one condition; it gives the same answers as cond.
func (s *Server) holds(c *ccond, v string) bool {
	switch c.op {
	case afas.OpEmpty:
		return v == ""
	case afas.OpNotEmpty:
		return v != ""
	case afas.OpContains:
		return strings.Contains(strings.ToLower(v), c.low)
	case afas.OpNotContains:
		return !strings.Contains(strings.ToLower(v), c.low)
	case afas.OpStartsWith:
		return strings.HasPrefix(strings.ToLower(v), c.low)
	case afas.OpNotStartsWith:
		return !strings.HasPrefix(strings.ToLower(v), c.low)
	case afas.OpEndsWith:
		return strings.HasSuffix(strings.ToLower(v), c.low)
	case afas.OpNotEndsWith:
		return !strings.HasSuffix(strings.ToLower(v), c.low)
	}
	if v == "" {
		return c.op == afas.OpNotEqual
	}
	r := s.cmpTo(c, v)
	switch c.op {
	case afas.OpEqual:
		return r == 0
	case afas.OpNotEqual:
		return r != 0
	case afas.OpGreaterOrEqual:
		return r >= 0
	case afas.OpLessOrEqual:
		return r <= 0
	case afas.OpGreater:
		return r > 0
	case afas.OpLess:
		return r < 0
	}
	return false
}

// cmpTo is compare(c.kind, v, c.raw) with the condition's value parsed once.
func (s *Server) cmpTo(c *ccond, v string) int {
	if v == "" || c.raw == "" {
		return cmp.Compare(len(v), len(c.raw))
	}
	switch c.kind {
	case afas.Int:
		x, _ := strconv.ParseInt(v, 10, 64)
		return cmp.Compare(x, c.xi)
	case afas.Decimal:
		x, _ := values.ParseDec(v)
		return cmp.Compare(x, c.xd)
	case afas.Date:
		return s.date(v).Compare(c.xt)
	}
	return strings.Compare(v, c.raw)
}

// compare is the package's compare with parsed dates remembered (call it with s.mu held).
func (s *Server) compare(k afas.Kind, a, b string) int {
	if k == afas.Date && a != "" && b != "" {
		return s.date(a).Compare(s.date(b))
	}
	return compare(k, a, b)
}

// date parses a wire date once: parsing is most of the cost of comparing dates.
func (s *Server) date(v string) time.Time {
	if d, ok := s.dates[v]; ok {
		return d
	}
	d, _ := values.ParseDate(v)
	if len(s.dates) >= 1<<16 {
		clear(s.dates)
	}
	s.dates[v] = d
	return d
}

// Incremental upkeep of the sorted views, for the built-in churn. These never change a row slice
// in place: pages that are out keep the rows they were given.

func (s *Server) insertRow(t *Table, row []string) {
	t.Rows = append(t.Rows, row)
	ri := len(t.Rows) - 1
	tc := s.cache[t]
	if tc == nil {
		return
	}
	tc.filtered = nil
	for _, sv := range tc.sorted {
		pos := sort.Search(len(sv.order), func(p int) bool { return s.cmpRows(t, sv, ri, sv.order[p]) < 0 })
		sv.order = slices.Insert(sv.order, pos, ri)
	}
}

func (s *Server) deleteRows(t *Table, del []int) {
	if len(del) == 0 {
		return
	}
	gone := make([]bool, len(t.Rows))
	for _, ri := range del {
		gone[ri] = true
	}
	next := make([]int, len(t.Rows))
	k := 0
	for i, row := range t.Rows {
		if gone[i] {
			next[i] = -1
			continue
		}
		next[i] = k
		t.Rows[k] = row
		k++
	}
	clear(t.Rows[k:])
	t.Rows = t.Rows[:k]
	tc := s.cache[t]
	if tc == nil {
		return
	}
	tc.filtered = nil
	for _, sv := range tc.sorted {
		out := sv.order[:0]
		for _, ri := range sv.order {
			if n := next[ri]; n >= 0 {
				out = append(out, n)
			}
		}
		sv.order = out
	}
}

func (s *Server) replaceRow(t *Table, ri int, row []string) {
	tc := s.cache[t]
	if tc == nil {
		t.Rows[ri] = row
		return
	}
	tc.filtered = nil
	var moved []*sortedView
	for _, sv := range tc.sorted {
		same := true
		for _, ci := range sv.cols {
			same = same && t.Rows[ri][ci] == row[ci]
		}
		if same {
			continue
		}
		pos := sort.Search(len(sv.order), func(p int) bool { return s.cmpRows(t, sv, sv.order[p], ri) >= 0 })
		if pos >= len(sv.order) || sv.order[pos] != ri {
			pos = slices.Index(sv.order, ri)
		}
		sv.order = slices.Delete(sv.order, pos, pos+1)
		moved = append(moved, sv)
	}
	t.Rows[ri] = row
	for _, sv := range moved {
		pos := sort.Search(len(sv.order), func(p int) bool { return s.cmpRows(t, sv, ri, sv.order[p]) < 0 })
		sv.order = slices.Insert(sv.order, pos, ri)
	}
}

// changedAll drops every derived order after changes the simulator cannot follow.
func (s *Server) changedAll() {
	for _, t := range s.data.Tables {
		t.reindex()
	}
	clear(s.cache)
	s.keysDirty = true
}
