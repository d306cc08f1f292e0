package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
)

// streamRun is a run that delivers (early files on) into a fresh outbox, in mode mutaties
// (files of the staged rows), or compleet with mode compleet.
func streamRun(t *testing.T, mode ...string) *run {
	t.Helper()
	p := &profile.Profile{Name: "acme", Delivery: profile.Delivery{Outbox: t.TempDir(), Mode: profile.ModeMutaties}}
	if len(mode) > 0 {
		p.Delivery.Mode = mode[0]
	}
	p.Defaults()
	r := &run{p: p, rec: &store.Run{ID: "20261201-090000-abcd", Entities: map[string]*store.EntityCounts{
		mapping.Departments: {}, mapping.Employments: {}, mapping.Employees: {}}}}
	r.early = &earlyFiles{r: r, written: map[string]bool{}}
	return r
}

// dept is a department row staged new; its first value is its key, so the file shows the order.
func dept(key string) store.Staged { return staged(mapping.Departments, key) }

func staged(ent, key string) store.Staged {
	vals := make([]string, len(mapping.Columns(ent)))
	vals[0] = key
	return store.Staged{Key: key, Kind: Nieuw, Vals: vals}
}

func batch(keys ...string) []store.Staged { return batchOf(mapping.Departments, keys...) }

func batchOf(ent string, keys ...string) []store.Staged {
	var out []store.Staged
	for _, k := range keys {
		out = append(out, staged(ent, k))
	}
	return out
}

// firstFields is the first field of every data row of a delivered file.
func firstFields(t *testing.T, path string) []string { return fieldsAt(t, path, 0) }

// secondFields is the second field of every data row (the first value after a mutation column).
func secondFields(t *testing.T, path string) []string { return fieldsAt(t, path, 1) }

func fieldsAt(t *testing.T, path string, n int) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")[1:] {
		out = append(out, strings.Split(line, ";")[n])
	}
	return out
}

// Batches that follow each other in key order make the file as they come, each batch in key
// order; the file is complete when closed, and counts what it delivered.
func TestStreamWritesBatchesInKeyOrder(t *testing.T) {
	r := streamRun(t)
	d := &diff{r: r, ent: mapping.Departments, stateKnown: true, noState: true}
	s := d.newStream()
	for _, b := range [][]store.Staged{batch("A2", "A1", "A3"), batch("B1"), batch("C2", "C1")} {
		if err := s.add(b); err != nil {
			t.Fatal(err)
		}
	}
	if !s.written() {
		t.Fatal("the stream gave up on batches in key order")
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	got := firstFields(t, filepath.Join(r.out.Temp, mapping.FileOf(mapping.Departments)))
	if strings.Join(got, ",") != "Nieuw,Nieuw,Nieuw,Nieuw,Nieuw,Nieuw" {
		t.Errorf("mutation column %v", got)
	}
	got = secondFields(t, filepath.Join(r.out.Temp, mapping.FileOf(mapping.Departments)))
	if strings.Join(got, ",") != "A1,A2,A3,B1,C1,C2" {
		t.Errorf("rows %v", got)
	}
	if c := r.rec.Entities[mapping.Departments].Delivered; c != 6 {
		t.Errorf("delivered %d, want 6", c)
	}
}

// A batch that does not follow what is written, a key twice, or a row that is not new gives the
// stream up, and its partial file is removed (the file is written from the store instead).
func TestStreamGivesUp(t *testing.T) {
	for name, second := range map[string][]store.Staged{
		"before the last key": batch("B2", "A9"),
		"the last key again":  batch("B1"),
		"a key twice":         batch("C1", "C1"),
		"a changed record":    {{Key: "D1", Kind: Gewijzigd, Vals: dept("D1").Vals}},
	} {
		t.Run(name, func(t *testing.T) {
			r := streamRun(t)
			d := &diff{r: r, ent: mapping.Departments, stateKnown: true, noState: true}
			s := d.newStream()
			if err := s.add(batch("A1", "B1")); err != nil || !s.written() {
				t.Fatalf("first batch: %v", err)
			}
			if err := s.add(second); err != nil {
				t.Fatal(err)
			}
			if s.written() {
				t.Fatal("the stream kept a file out of order")
			}
			if _, err := os.Stat(filepath.Join(r.out.Temp, mapping.FileOf(mapping.Departments))); !os.IsNotExist(err) {
				t.Errorf("the partial file is still there: %v", err)
			}
			if err := s.add(batch("Z1")); err != nil || s.written() {
				t.Errorf("a stream given up took a batch: %v", err)
			}
		})
	}
}

// A file of mutations is streamed only for an entity without state (from its staged rows), a
// complete file in any run (from its records) but for the manager accounts; never the documents
// or a dry run's.
func TestStreamOnlyForAFirstDelivery(t *testing.T) {
	r := streamRun(t)
	if s := (&diff{r: r, ent: mapping.Departments, stateKnown: true, noState: true}).newStream(); s == nil || s.fromRecords {
		t.Errorf("a first delivery of mutations: %+v", s)
	}
	// The absences are a complete file in mode mutaties too.
	if s := (&diff{r: r, ent: mapping.Absences, stateKnown: true}).newStream(); s == nil || !s.fromRecords {
		t.Errorf("the absences with state: %+v", s)
	}
	rc := streamRun(t, profile.ModeCompleet)
	if s := (&diff{r: rc, ent: mapping.Departments, stateKnown: true}).newStream(); s == nil || !s.fromRecords {
		t.Errorf("a complete file with state: %+v", s)
	}
	// A first delivery streams from the staged rows, whatever its file.
	if s := (&diff{r: rc, ent: mapping.Absences, stateKnown: true, noState: true}).newStream(); s == nil || s.fromRecords {
		t.Errorf("a first complete delivery: %+v", s)
	}
	if s := (&diff{r: rc, ent: mapping.Users, stateKnown: true}).newStream(); s != nil {
		t.Errorf("the manager accounts' complete file is streamed: %+v", s)
	}
	for name, d := range map[string]*diff{
		"state stored":  {r: r, ent: mapping.Departments, stateKnown: true},
		"state unknown": {r: r, ent: mapping.Departments},
		"documents":     {r: r, ent: mapping.Documents, stateKnown: true, noState: true},
		"dry run":       {r: &run{p: r.p, rec: r.rec}, ent: mapping.Departments, stateKnown: true, noState: true},
	} {
		if d.newStream() != nil {
			t.Errorf("%s: streamed", name)
		}
	}
}

// Employments come in key order per employer (AFAS sorts them on the employee): each employer's
// rows go into a part of their own, and the file joins the parts in key order.
func TestStreamJoinsEmployersInKeyOrder(t *testing.T) {
	r := streamRun(t)
	d := &diff{r: r, ent: mapping.Employments, stateKnown: true, noState: true}
	s := d.newStream()
	sep := mapping.KeySep
	for _, b := range [][]store.Staged{
		batchOf(mapping.Employments, "ZBV"+sep+"1", "TZV"+sep+"2", "ZBV"+sep+"3"),
		batchOf(mapping.Employments, "TZV"+sep+"4", "ZBV"+sep+"5"),
	} {
		if err := s.add(b); err != nil {
			t.Fatal(err)
		}
	}
	if !s.written() {
		t.Fatal("the stream gave up on rows in key order per employer")
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(strings.Join(secondFields(t, filepath.Join(r.out.Temp, mapping.FileOf(mapping.Employments))), ","), sep, "/")
	if got != "TZV/2,TZV/4,ZBV/1,ZBV/3,ZBV/5" {
		t.Errorf("rows %v", got)
	}
	if left, _ := os.ReadDir(r.out.Temp); len(left) != 1 {
		t.Errorf("the folder holds %d entries, want the file only", len(left))
	}
	// Out of order within an employer, too many employers, or a key without its employer part:
	// given up, nothing left behind.
	many := make([]string, maxStreamParts+1)
	for i := range many {
		many[i] = string(rune('A'+i)) + sep + "1"
	}
	for name, b := range map[string][]store.Staged{
		"out of order":   batchOf(mapping.Employments, "ZBV"+sep+"9", "ZBV"+sep+"1"),
		"many employers": batchOf(mapping.Employments, many...),
		"no employer":    batchOf(mapping.Employments, "ZBV"+sep+"1", "ZBV"),
	} {
		r := streamRun(t)
		s := (&diff{r: r, ent: mapping.Employments, stateKnown: true, noState: true}).newStream()
		if err := s.add(batchOf(mapping.Employments, "ZBV"+sep+"5")); err != nil {
			t.Fatal(err)
		}
		if err := s.add(b); err != nil {
			t.Fatal(err)
		}
		if s.written() {
			t.Errorf("%s: the stream kept its parts", name)
		}
		if left, _ := os.ReadDir(r.out.Temp); len(left) != 0 {
			t.Errorf("%s: %d entries left", name, len(left))
		}
	}
}
