package afassim

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/cputime"
)

// randomValue picks a filter value near the column's values: one of them, empty, or a value just
// beside one.
func randomValue(r *rand.Rand, t *Table, ci int) string {
	v := t.Rows[r.IntN(len(t.Rows))][ci]
	switch r.IntN(8) {
	case 0:
		return ""
	case 1:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return strconv.FormatInt(n+int64(r.IntN(3))-1, 10)
		}
		return v + "0"
	case 2:
		if len(v) > 1 {
			return v[:len(v)-1]
		}
	case 3:
		if d, err := time.Parse("2006-01-02T15:04:05", v); err == nil {
			return d.AddDate(0, 0, r.IntN(3)-1).Format("2006-01-02T15:04:05")
		}
	}
	return v
}

var keyOps = []afas.Op{afas.OpEqual, afas.OpGreaterOrEqual, afas.OpLessOrEqual, afas.OpGreater, afas.OpLess}

func randomCond(r *rand.Rand, t *Table, field string, ops []afas.Op) afas.Cond {
	op := ops[r.IntN(len(ops))]
	v := randomValue(r, t, t.Col(field))
	switch op {
	case afas.OpContains, afas.OpNotContains:
		if len(v) > 2 {
			v = "%" + v[1:len(v)-1] + "%"
		}
	case afas.OpStartsWith, afas.OpNotStartsWith:
		v = v[:min(len(v), 3)]
	case afas.OpEndsWith, afas.OpNotEndsWith:
		v = v[max(0, len(v)-2):]
	}
	return afas.Cond{Field: field, Op: op, Value: v}
}

func allOps() []afas.Op {
	var ops []afas.Op
	for op := afas.Op(1); op <= 15; op++ {
		ops = append(ops, op)
	}
	return ops
}

// dnfAfter is the engine's next-page filter after (a, b) in [.., hi), crossed with date-from d.
func dnfAfter(a, b, hi, d string) []afas.Filter {
	ge := afas.Cond{Field: "Einddatum_contract", Op: afas.OpGreaterOrEqual, Value: d}
	empty := afas.Cond{Field: "Einddatum_contract", Op: afas.OpEmpty}
	after := []afas.Cond{{Field: "Medewerker", Op: afas.OpGreater, Value: a}, {Field: "Medewerker", Op: afas.OpLess, Value: hi}}
	same := []afas.Cond{{Field: "Medewerker", Op: afas.OpEqual, Value: a}, {Field: "Dienstverband", Op: afas.OpGreater, Value: b}}
	return []afas.Filter{
		append(slices.Clone(after), ge), append(slices.Clone(after), empty),
		append(slices.Clone(same), ge), append(slices.Clone(same), empty),
	}
}

func TestKeyFiltersGiveTheGeneralAnswers(t *testing.T) {
	s := New(Options{Seed: 5, Employees: 400})
	r := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		conn  string
		sorts []afas.SortField
	}{
		{"Koppel_Medewerkers", sortOn("Medewerker")},
		{"Koppel_Dienstverbanden", sortOn("Medewerker", "Dienstverband")},
		{"Koppel_Verzuim", sortOn("Verzuim_id", "Verloop_id")},
		{"Koppel_Organisatie", sortOn("Organisatorische_eenheid")},
		// A first sort field with empty values, dates, decimals and a descending second field.
		{"Koppel_Dienstverbanden", sortOn("Einddatum_contract", "Medewerker", "Dienstverband")},
		{"Koppel_Dienstverbanden", []afas.SortField{{Field: "Uren_per_week"}, {Field: "Medewerker", Desc: true}}},
		{"Koppel_Medewerkers", sortOn("Telefoonnr_werk", "Medewerker")},
		{"Koppel_Dienstverbanden", sortOn("Medewerkernummer_leidinggevende")}, // not unique
	}
	for i := 0; i < 4000; i++ {
		tc := cases[r.IntN(len(cases))]
		tb := s.data.Tables[tc.conn]
		first := tc.sorts[0].Field
		var fs []afas.Filter
		for n := 1 + r.IntN(4); n > 0; n-- {
			var f afas.Filter
			for k := 1 + r.IntN(2); k > 0; k-- {
				f = append(f, randomCond(r, tb, first, keyOps))
			}
			for k := r.IntN(3); k > 0; k-- {
				f = append(f, randomCond(r, tb, tb.Fields[r.IntN(len(tb.Fields))].Name, allOps()))
			}
			r.Shuffle(len(f), func(a, b int) { f[a], f[b] = f[b], f[a] })
			fs = append(fs, f)
		}
		skip, take := 0, 1+r.IntN(60)
		if r.IntN(3) == 0 {
			skip = r.IntN(40)
		}
		fast := s.fastCalls
		got := queryRows(t, s, tc.conn, fs, tc.sorts, skip, take)
		if s.fastCalls != fast+1 {
			t.Fatalf("%s %v: not answered by key", tc.conn, fs)
		}
		if want := refSelect(tb, fs, tc.sorts, skip, take); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("%s sorted %v, filters %v, skip %d take %d:\n got %d rows %v\nwant %d rows %v", tc.conn, tc.sorts, fs, skip, take, len(got), got, len(want), want)
		}
	}

	// The engine's disjunctive form: date-from crossed with the key conditions.
	dv := s.data.Tables["Koppel_Dienstverbanden"]
	sorts := sortOn("Medewerker", "Dienstverband")
	order := refSelect(dv, nil, sorts, 0, len(dv.Rows))
	for i := 0; i < 500; i++ {
		at, hiAt := r.IntN(len(order)), r.IntN(len(order))
		a, b := order[at][dv.Col("Medewerker")], order[at][dv.Col("Dienstverband")]
		hi := order[hiAt][dv.Col("Medewerker")]
		d := randomValue(r, dv, dv.Col("Begindatum_contract"))
		fs := dnfAfter(a, b, hi, d)
		if r.IntN(4) == 0 { // the first page of a range
			fs = []afas.Filter{
				{{Field: "Medewerker", Op: afas.OpGreaterOrEqual, Value: a}, {Field: "Medewerker", Op: afas.OpLess, Value: hi}, fs[0][2]},
				{{Field: "Medewerker", Op: afas.OpGreaterOrEqual, Value: a}, {Field: "Medewerker", Op: afas.OpLess, Value: hi}, fs[1][2]},
			}
		}
		skip, take := r.IntN(3), 1+r.IntN(80)
		fast := s.fastCalls
		got := queryRows(t, s, "Koppel_Dienstverbanden", fs, sorts, skip, take)
		if s.fastCalls != fast+1 {
			t.Fatal("the engine's form was not answered by key")
		}
		if want := refSelect(dv, fs, sorts, skip, take); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("filters %v skip %d take %d: got %d rows, want %d", fs, skip, take, len(got), len(want))
		}
	}

	// Other filters take the general path, with the same semantics.
	for i := 0; i < 1000; i++ {
		tc := cases[r.IntN(len(cases))]
		tb := s.data.Tables[tc.conn]
		var fs []afas.Filter
		for n := 1 + r.IntN(3); n > 0; n-- {
			var f afas.Filter
			for k := 1 + r.IntN(2); k > 0; k-- {
				f = append(f, randomCond(r, tb, tb.Fields[r.IntN(len(tb.Fields))].Name, allOps()))
			}
			fs = append(fs, f)
		}
		if r.IntN(2) == 0 { // one Filter element without a key condition is enough
			fs = append(fs, afas.Filter{randomCond(r, tb, tc.sorts[0].Field, keyOps)}, afas.Filter{{Field: tc.sorts[0].Field, Op: afas.OpNotEqual, Value: "x"}})
		}
		skip, take := r.IntN(5), 1+r.IntN(60)
		got := queryRows(t, s, tc.conn, fs, tc.sorts, skip, take)
		if want := refSelect(tb, fs, tc.sorts, skip, take); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("general path %s %v: got %d rows, want %d", tc.conn, fs, len(got), len(want))
		}
	}
	{
		desc := []afas.SortField{{Field: "Medewerker", Desc: true}}
		fast := s.fastCalls
		fs := []afas.Filter{{{Field: "Medewerker", Op: afas.OpLess, Value: "100200"}}}
		got := queryRows(t, s, "Koppel_Medewerkers", fs, desc, 0, 10)
		if want := refSelect(s.data.Tables["Koppel_Medewerkers"], fs, desc, 0, 10); s.fastCalls != fast || !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("descending first sort field: general path expected")
		}
	}
}

func TestViewsAreCachedPerSortAndDroppedOnChange(t *testing.T) {
	s := New(Options{Seed: 3, Employees: 300})
	emp := s.data.Tables["Koppel_Medewerkers"]
	sorts := sortOn("Medewerker")
	last := ""
	for pages := 0; pages < 50; pages++ {
		fs := []afas.Filter{{{Field: "Medewerker", Op: afas.OpGreater, Value: last}, {Field: "Medewerker", Op: afas.OpLess, Value: "999999"}}}
		rows := queryRows(t, s, "Koppel_Medewerkers", fs, sorts, 0, 7)
		if len(rows) == 0 {
			break
		}
		last = rows[len(rows)-1][emp.Col("Medewerker")]
	}
	if tc := s.cache[emp]; tc == nil || len(tc.sorted) != 1 || len(tc.filtered) != 0 {
		t.Fatalf("key-paged calls must share one cached view: %+v", tc)
	}

	// Set changes the answers of the fast path, the general path and the sort order.
	key := emp.Rows[10][emp.Col("Medewerker")]
	byKey := []afas.Filter{{{Field: "Medewerker", Op: afas.OpEqual, Value: key}}}
	byMail := []afas.Filter{{{Field: "Email_werk", Op: afas.OpEqual, Value: "nieuw@zbv.example"}}}
	byMailSort := sortOn("Email_werk", "Medewerker")
	_ = queryRows(t, s, "Koppel_Medewerkers", byKey, sorts, 0, 1)
	if rows := queryRows(t, s, "Koppel_Medewerkers", byMail, sorts, 0, 5); len(rows) != 0 {
		t.Fatal("unexpected row")
	}
	_ = queryRows(t, s, "Koppel_Medewerkers", nil, byMailSort, 0, 5)
	if n := s.Set("Koppel_Medewerkers", "Medewerker", key, "Email_werk", "nieuw@zbv.example"); n != 1 {
		t.Fatalf("Set changed %d rows", n)
	}
	if rows := queryRows(t, s, "Koppel_Medewerkers", byKey, sorts, 0, 1); len(rows) != 1 || rows[0][emp.Col("Email_werk")] != "nieuw@zbv.example" {
		t.Errorf("fast path after Set: %v", rows)
	}
	if rows := queryRows(t, s, "Koppel_Medewerkers", byMail, sorts, 0, 5); len(rows) != 1 {
		t.Errorf("general path after Set: %d rows", len(rows))
	}
	all := queryRows(t, s, "Koppel_Medewerkers", nil, byMailSort, 0, 1000)
	if want := refSelect(emp, nil, byMailSort, 0, 1000); !slices.EqualFunc(all, want, slices.Equal) {
		t.Errorf("sorted view after Set is stale")
	}
}

func TestChurnKeepsViewsUpToDate(t *testing.T) {
	s := New(Options{Seed: 4, Employees: 300, ChurnRows: 3})
	sortsOf := map[string][][]afas.SortField{
		"Koppel_Medewerkers":     {sortOn("Medewerker"), sortOn("Telefoonnr_werk", "Medewerker"), {{Field: "Gewijzigd_op", Desc: true}}},
		"Koppel_Dienstverbanden": {sortOn("Medewerker", "Dienstverband"), sortOn("Functie_code")},
		"Koppel_Verzuim":         {sortOn("Verzuim_id", "Verloop_id"), sortOn("Verwachte_hersteldatum")},
		"Koppel_Organisatie":     {sortOn("Organisatorische_eenheid"), sortOn("Omschrijving")},
	}
	for round := 0; round < 6; round++ {
		for conn, all := range sortsOf {
			for _, sorts := range all {
				got := queryRows(t, s, conn, nil, sorts, 0, 1<<30)
				if want := refSelect(s.data.Tables[conn], nil, sorts, 0, 1<<30); !slices.EqualFunc(got, want, slices.Equal) {
					t.Fatalf("round %d %s %v: the kept view differs from a fresh sort", round, conn, sorts)
				}
			}
		}
	}
	// Every view kept, the churn's own lookup orders included.
	views := 0
	for tb, tc := range s.cache {
		for spec, sv := range tc.sorted {
			fresh := make([]int, len(tb.Rows))
			for i := range fresh {
				fresh[i] = i
			}
			slices.SortFunc(fresh, func(a, b int) int { return s.cmpRows(tb, sv, a, b) })
			if !slices.Equal(sv.order, fresh) {
				t.Errorf("%s %q: the kept view differs from a fresh sort", tb.ID, spec)
			}
			views++
		}
	}
	if views < 12 {
		t.Errorf("only %d views kept", views)
	}
}

func TestLatencyIsParallelAndCounted(t *testing.T) {
	const latency, n = 300 * time.Millisecond, 8
	s := New(Options{Seed: 1, Employees: 100, Latency: latency})
	c := startClient(t, s)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Go(func() {
			if _, err := c.post("Koppel_Medewerkers", nil, sortOn("Medewerker"), 0, 5); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d := time.Since(start); d < latency || d > 2*latency {
		t.Errorf("%d parallel calls took %v with latency %v", n, d, latency)
	}
	if m := s.MaxInFlight(); m != n {
		t.Errorf("MaxInFlight %d, want %d", m, n)
	}
	deadline := time.Now().Add(time.Second)
	for s.InFlight() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s.InFlight() != 0 {
		t.Errorf("InFlight %d after all calls", s.InFlight())
	}
	s.ResetMaxInFlight()
	if s.MaxInFlight() != 0 {
		t.Errorf("MaxInFlight after reset: %d", s.MaxInFlight())
	}
	// Faults wait as long as answers.
	start = time.Now()
	if _, err := c.post("Koppel_Bestaat_niet", nil, nil, 0, 1); err == nil || time.Since(start) < latency {
		t.Errorf("a fault came after %v (%v)", time.Since(start), err)
	}
	if s.MaxInFlight() != 1 {
		t.Errorf("MaxInFlight after one call: %d", s.MaxInFlight())
	}
}

func TestRowCost(t *testing.T) {
	const cost = 2 * time.Millisecond
	s := New(Options{Seed: 1, Employees: 300, RowCost: cost})
	c := startClient(t, s)
	start := time.Now()
	if _, err := c.post("Koppel_Medewerkers", nil, sortOn("Medewerker"), 0, 0); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("an empty page took %v", d)
	}
	// Parallel pages pay their row cost side by side: four take about as long as one.
	start = time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Go(func() {
			raw, err := c.post("Koppel_Medewerkers", nil, sortOn("Medewerker"), i*50, 100)
			if err != nil || strings.Count(string(raw), "&lt;/Koppel_Medewerkers&gt;") != 100 {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d := time.Since(start); d < 100*cost || d > 200*cost {
		t.Errorf("4 parallel pages of 100 rows at %v a row took %v", cost, d)
	}
}

func TestUpdateWhileAnswering(t *testing.T) {
	// Run with -race: pages are written outside the lock while Update changes rows in place.
	s := New(Options{Seed: 1, Employees: 200, Latency: time.Millisecond})
	c := startClient(t, s)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := c.page("Koppel_Medewerkers", nil, sortOn("Medewerker"), 0, 200); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := 0; i < 50; i++ {
		s.Set("Koppel_Medewerkers", "Medewerker", strconv.Itoa(100001+i), "Roepnaam", "Naam"+strconv.Itoa(i))
		time.Sleep(time.Millisecond)
	}
	close(done)
	wg.Wait()
}

// TestChurnHook reads by key while a hook inserts, changes and deletes rows before and after the
// cursor: rows before it are not seen again, rows after it are seen as they are then.
func TestChurnHook(t *testing.T) {
	const size = 20
	var (
		insBefore, insAfter = "1000051", "1001001"
		delBefore, delAfter = "100006", "100101"
		chBefore, chAfter   = "100007", "100102"
		calls               []int
	)
	set := func(d *Dataset, key, field, v string) {
		emp := d.Tables["Koppel_Medewerkers"]
		for _, row := range emp.Rows {
			if row[emp.Col("Medewerker")] == key {
				row[emp.Col(field)] = v
			}
		}
	}
	hook := func(conn string, call int, d *Dataset) {
		calls = append(calls, call)
		if conn != "Koppel_Medewerkers" || call != 3 { // after two pages: the cursor is at 100040
			return
		}
		emp := d.Tables["Koppel_Medewerkers"]
		for _, k := range []string{insBefore, insAfter} {
			row := slices.Clone(emp.Rows[0])
			row[emp.Col("Medewerker")] = k
			emp.Rows = append(emp.Rows, row)
		}
		emp.Rows = slices.DeleteFunc(emp.Rows, func(row []string) bool {
			k := row[emp.Col("Medewerker")]
			return k == delBefore || k == delAfter
		})
		set(d, chBefore, "Roepnaam", "Gewijzigd")
		set(d, chAfter, "Roepnaam", "Gewijzigd")
	}
	s := New(Options{Seed: 7, Employees: 250, Churn: hook})
	c := startClient(t, s)
	rows, err := c.readByKey("Koppel_Medewerkers", []string{"Medewerker"}, "", "", size, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[string]string{}
	for _, row := range rows {
		k := row["Medewerker"]
		if seen[k] != nil {
			t.Errorf("%s read twice", k)
		}
		seen[k] = row
	}
	if len(seen) != 250+1-1 {
		t.Errorf("read %d employees, want 250 - 1 deleted after the cursor + 1 inserted after it", len(seen))
	}
	if seen[insBefore] != nil || seen[insAfter] == nil {
		t.Errorf("inserted before the cursor read: %v, after it: %v", seen[insBefore] != nil, seen[insAfter] != nil)
	}
	if seen[delBefore] == nil || seen[delAfter] != nil {
		t.Errorf("deleted before the cursor read: %v, after it: %v", seen[delBefore] != nil, seen[delAfter] != nil)
	}
	if seen[chBefore]["Roepnaam"] == "Gewijzigd" || seen[chAfter]["Roepnaam"] != "Gewijzigd" {
		t.Errorf("changed before the cursor: %q, after it: %q", seen[chBefore]["Roepnaam"], seen[chAfter]["Roepnaam"])
	}
	if !slices.Equal(calls[:3], []int{1, 2, 3}) || s.Calls("Koppel_Medewerkers") != len(calls) {
		t.Errorf("calls %v, Calls %d", calls, s.Calls("Koppel_Medewerkers"))
	}

	// Under skip paging a row deleted before the cursor shifts the later pages: a row is missed.
	s = New(Options{Seed: 7, Employees: 250, Churn: func(conn string, call int, d *Dataset) {
		if call == 3 {
			emp := d.Tables["Koppel_Medewerkers"]
			emp.Rows = slices.DeleteFunc(emp.Rows, func(row []string) bool { return row[emp.Col("Medewerker")] == delBefore })
		}
	}})
	c = startClient(t, s)
	got := map[string]int{}
	for skip := 0; ; skip += size {
		rows, err := c.page("Koppel_Medewerkers", nil, sortOn("Medewerker"), skip, size)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			got[row["Medewerker"]]++
		}
		if len(rows) < size {
			break
		}
	}
	if got["100041"] != 0 {
		t.Errorf("skip paging should have missed 100041 after a row before it was deleted: read %d times", got["100041"])
	}
}

// TestBuiltInChurn reads every connector by key in three ranges side by side while the built-in
// churn deletes, inserts and changes rows before every call: every stable row is read exactly
// once, with its values, and no key twice.
func TestBuiltInChurn(t *testing.T) {
	s := New(Options{Seed: 11, Employees: 600, ChurnRows: 2})
	c := startClient(t, s)
	start := func(conn string) []string { // range bounds: the first key field at 1/3 and 2/3
		tb := s.data.Tables[conn]
		order := refSelect(tb, nil, sortOn(tb.Key...), 0, len(tb.Rows))
		ci := tb.Col(tb.Key[0])
		return []string{"", order[len(order)/3][ci], order[2*len(order)/3][ci], ""}
	}
	missingDept := func() map[string]bool {
		org, dv := s.data.Tables["Koppel_Organisatie"], s.data.Tables["Koppel_Dienstverbanden"]
		units := map[string]bool{}
		for _, row := range org.Rows {
			units[row[org.Col("Organisatorische_eenheid")]] = true
		}
		out := map[string]bool{}
		for _, row := range dv.Rows {
			if u := row[dv.Col("Organisatorische_eenheid_code")]; !units[u] {
				out[u] = true
			}
		}
		return out
	}
	missing := missingDept()
	keysBefore := map[string]map[string]bool{}
	for conn, tb := range s.data.Tables {
		keysBefore[conn] = map[string]bool{}
		for _, row := range tb.Rows {
			keysBefore[conn][tb.keyOf(row)] = true
		}
	}
	if s.Stable("Koppel_Medewerkers") != nil {
		t.Error("Stable before the first call")
	}

	d := "2026-01-01T00:00:00"
	dateFrom := []afas.Filter{
		{{Field: "Einddatum_contract", Op: afas.OpGreaterOrEqual, Value: d}},
		{{Field: "Einddatum_contract", Op: afas.OpEmpty}},
	}
	for _, conn := range []string{"Koppel_Organisatie", "Koppel_Medewerkers", "Koppel_Dienstverbanden", "Koppel_Verzuim"} {
		key := s.data.Tables[conn].Key
		var extra []afas.Filter
		if conn == "Koppel_Dienstverbanden" {
			extra = dateFrom
		}
		bounds := start(conn)
		parts := make([][]map[string]string, 3)
		var wg sync.WaitGroup
		for i := range parts {
			wg.Go(func() {
				rows, err := c.readByKey(conn, key, bounds[i], bounds[i+1], 25, extra)
				if err != nil {
					t.Error(conn, err)
				}
				parts[i] = rows
			})
		}
		wg.Wait()
		fields := s.Fields(conn)
		stable := s.Stable(conn)
		if len(stable) == 0 || len(stable) >= len(keysBefore[conn]) {
			t.Fatalf("%s: %d stable rows of %d", conn, len(stable), len(keysBefore[conn]))
		}
		read := map[string]map[string]string{}
		for _, rows := range parts {
			for _, row := range rows {
				k := keyOfMap(key, row)
				if read[k] != nil && !strings.HasPrefix(k, "100018|") { // 100018|1 is in AFAS twice
					t.Errorf("%s: %s read twice", conn, k)
				}
				read[k] = row
			}
		}
		endCol := slices.Index(fields, "Einddatum_contract")
		for k, vals := range stable {
			if conn == "Koppel_Dienstverbanden" && vals[endCol] != "" && vals[endCol] < d {
				continue // outside the date filter
			}
			row := read[k]
			if row == nil {
				t.Errorf("%s: stable row %s not read", conn, k)
				continue
			}
			for i, f := range fields {
				if row[f] != vals[i] {
					t.Errorf("%s %s: %s read as %q, stable value %q", conn, k, f, row[f], vals[i])
				}
			}
		}
		// Inserted keys are new and sort among the others.
		tb := s.data.Tables[conn]
		now := map[string]int{}
		inserted, inside := 0, 0
		order := refSelect(tb, nil, sortOn(key...), 0, len(tb.Rows))
		for i, row := range order {
			k := tb.keyOf(row)
			now[k]++
			if !keysBefore[conn][k] {
				inserted++
				if i > 0 && i < len(order)-1 {
					inside++
				}
			}
		}
		for k, n := range now {
			if n > 1 && !strings.HasPrefix(k, "100018|") {
				t.Errorf("%s: key %s %d times", conn, k, n)
			}
		}
		if inserted == 0 || inside == 0 {
			t.Errorf("%s: %d keys inserted, %d of them among the others", conn, inserted, inside)
		}
		if s.Calls(conn) < 6 {
			t.Errorf("%s: %d calls", conn, s.Calls(conn))
		}
	}

	// The data stays consistent: employments and absences of existing employees, departments
	// missing only where AFAS's data already had that error.
	emp := s.data.Tables["Koppel_Medewerkers"]
	staff := map[string]bool{}
	for _, row := range emp.Rows {
		staff[row[emp.Col("Medewerker")]] = true
	}
	for _, conn := range []string{"Koppel_Dienstverbanden", "Koppel_Verzuim"} {
		tb := s.data.Tables[conn]
		for _, row := range tb.Rows {
			if !staff[row[tb.Col("Medewerker")]] {
				t.Errorf("%s refers to a missing employee: %v", conn, row)
			}
		}
	}
	for u := range missingDept() {
		if !missing[u] {
			t.Errorf("employments refer to deleted department %s", u)
		}
	}
	// Stable tracks other changes too.
	stable := s.Stable("Koppel_Medewerkers")
	var some string
	for k := range stable {
		some = k
		break
	}
	s.Set("Koppel_Medewerkers", "Medewerker", some, "Roepnaam", "Anders")
	if _, ok := s.Stable("Koppel_Medewerkers")[some]; ok || len(s.Stable("Koppel_Medewerkers")) != len(stable)-1 {
		t.Errorf("a row changed with Set is still stable")
	}
}

// TestChurnDefeatsSkipPaging shows what the churn is for: skip paging misses or repeats rows.
func TestChurnDefeatsSkipPaging(t *testing.T) {
	s := New(Options{Seed: 12, Employees: 500, ChurnRows: 1})
	c := startClient(t, s)
	got := map[string]int{}
	for skip := 0; ; skip += 25 {
		rows, err := c.page("Koppel_Medewerkers", nil, sortOn("Medewerker"), skip, 25)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			got[row["Medewerker"]]++
		}
		if len(rows) < 25 {
			break
		}
	}
	wrong := 0
	for k := range s.Stable("Koppel_Medewerkers") {
		if got[k] != 1 {
			wrong++
		}
	}
	if wrong == 0 {
		t.Error("skip paging read every stable row exactly once despite the churn")
	}
}

// BenchmarkKeyPage measures the simulator's own work for one key-paged page of 5,000 employees
// out of 100,000 (parsing, churn off, index range scan, row selection), without XML writing.
func BenchmarkKeyPage(b *testing.B) {
	benchKeyPage(b, false)
}

// BenchmarkKeyPageXML is the same with the result document written.
func BenchmarkKeyPageXML(b *testing.B) {
	benchKeyPage(b, true)
}

func benchKeyPage(b *testing.B, withXML bool) {
	s := New(Options{Seed: 1, Employees: 100_000})
	emp := s.data.Tables["Koppel_Medewerkers"]
	opts := afas.Options{Sort: sortOn("Medewerker")}.XML()
	last := ""
	var cpu time.Duration
	for b.Loop() {
		if cpu == 0 {
			cpu = cputime.Process()
		}
		fs := []afas.Filter{{{Field: "Medewerker", Op: afas.OpGreater, Value: last}, {Field: "Medewerker", Op: afas.OpLess, Value: "999999"}}}
		p, status, msg := s.query(request{ConnectorID: "Koppel_Medewerkers", FiltersXML: afas.FiltersXML(fs), Take: "5000", Options: opts})
		if status != 0 {
			b.Fatal(msg)
		}
		if withXML {
			var buf bytes.Buffer
			p.write(&buf, true) // as it goes on the wire
		}
		last = ""
		if len(p.rows) > 0 {
			last = p.rows[len(p.rows)-1][emp.Col("Medewerker")]
		}
		s.release(p)
	}
	if cpu > 0 {
		b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N), "cpu-ns/op")
	}
}

// TestEscapedInOnePass checks that the page written for the SOAP result is exactly the result
// document escaped once more, whatever the values hold.
func TestEscapedInOnePass(t *testing.T) {
	s := New(Options{Seed: 2, Employees: 60, Extra: []string{"Koppel_Medewerkers.Notitie"}})
	hostile := []string{`a<b>&c`, `"quoted" 'single'`, "tab\there\nnew\rline", "Financiën", "ctl\x01x", "bad\xffutf8", "&amp;", "]]>", ""}
	s.Update(func(d *Dataset) {
		emp := d.Tables["Koppel_Medewerkers"]
		for i, row := range emp.Rows {
			row[emp.Col("Notitie")] = hostile[i%len(hostile)]
		}
	})
	for _, opts := range []afas.Options{{}, {Metadata: true}, {EmptyAsElements: true, Metadata: true}} {
		opts.Sort = sortOn("Medewerker")
		p, status, msg := s.query(request{ConnectorID: "Koppel_Medewerkers", Take: "60", Options: opts.XML()})
		if status != 0 {
			t.Fatal(msg)
		}
		var want, got bytes.Buffer
		_ = xml.EscapeText(&want, p.document())
		p.write(&got, true)
		s.release(p)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("options %+v: one-pass escaping differs", opts)
		}
	}
}
