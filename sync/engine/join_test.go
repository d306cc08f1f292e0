package engine

import (
	"context"
	"slices"
	"testing"

	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// joinRig runs pipeline.join over unbuffered inputs: a send returns once join has taken the
// page, and join releases what it can before it takes the next one. So after two empty pages
// of employees (the first may be taken before the tree is seen) every row a page before them
// made ready has reached got.
type joinRig struct {
	t         *testing.T
	emps, dvs chan []any
	tree      chan struct{}
	got       []string
	done      chan error
}

func newJoinRig(t *testing.T, cfg mapping.Config, wait int) *joinRig {
	t.Helper()
	r := &joinRig{t: t, emps: make(chan []any), dvs: make(chan []any), tree: make(chan struct{}), done: make(chan error, 1)}
	pl := &pipeline{m: mapping.NewMapper(cfg, nil), joinWait: wait,
		pages: map[string]chan []any{connectors.Medewerkers: r.emps, connectors.Dienstverbanden: r.dvs}}
	go func() {
		r.done <- pl.join(context.Background(), r.tree, func(v any) error {
			r.got = append(r.got, employeeOf(v))
			return nil
		})
	}()
	return r
}

func (r *joinRig) employees(nrs ...string) {
	page := []any{}
	for _, nr := range nrs {
		page = append(page, mapping.Employee{Medewerker: nr})
	}
	r.emps <- page
}

// employments sends a page of employment rows, by employee number (a pointer for every second
// one, as a backlog's replay hands them).
func (r *joinRig) employments(nrs ...string) {
	page := []any{}
	for i, nr := range nrs {
		if i%2 == 1 {
			page = append(page, &mapping.Employment{Medewerker: nr})
		} else {
			page = append(page, mapping.Employment{Medewerker: nr})
		}
	}
	r.dvs <- page
}

// expect checks what was handed on so far.
func (r *joinRig) expect(want ...string) {
	r.t.Helper()
	r.emps <- []any{}
	r.emps <- []any{}
	if !slices.Equal(r.got, want) {
		r.t.Fatalf("handed on %q, want %q", r.got, want)
	}
}

func (r *joinRig) finish(want ...string) {
	r.t.Helper()
	close(r.emps)
	close(r.dvs)
	if err := <-r.done; err != nil {
		r.t.Fatal(err)
	}
	if !slices.Equal(r.got, want) {
		r.t.Fatalf("handed on %q, want %q", r.got, want)
	}
}

func TestJoinStreamsEmploymentsWhoseEmployeeIsRead(t *testing.T) {
	r := newJoinRig(t, mapping.Config{Werknemer: true}, joinWaiting)
	close(r.tree)
	r.employees("1", "2")
	r.employments("1", "2", "3", "1")
	// 3's employee is not read yet: it waits, and the row after it waits behind it.
	r.expect("1", "2")
	r.employees("3")
	r.expect("1", "2", "3", "1")
	r.employments("4")
	r.expect("1", "2", "3", "1")
	// The last employee read: a row without one goes on (the rules reject it).
	r.finish("1", "2", "3", "1", "4")
}

func TestJoinWaitsForTheDepartmentTree(t *testing.T) {
	r := newJoinRig(t, mapping.Config{Werknemer: true}, joinWaiting)
	r.employees("1")
	r.employments("1")
	r.expect()
	close(r.tree)
	r.expect("1")
	r.finish("1")
}

func TestJoinWaitsOnDiskOnceTooManyWait(t *testing.T) {
	r := newJoinRig(t, mapping.Config{Werknemer: true}, 3)
	close(r.tree)
	r.employees("1")
	r.employments("9", "1")
	r.expect()
	// Four would wait: from now on every row waits on disk, until the last employee.
	r.employments("1", "2")
	r.employees("2", "9")
	r.expect()
	r.employments("5")
	close(r.emps)
	r.dvs <- []any{mapping.Employment{Medewerker: "6"}} // taken once the rows on disk are handed on
	close(r.dvs)
	if err := <-r.done; err != nil {
		t.Fatal(err)
	}
	if want := []string{"9", "1", "1", "2", "5", "6"}; !slices.Equal(r.got, want) {
		t.Fatalf("handed on %q, want %q", r.got, want)
	}
}

func TestJoinWaitsForTheLastEmployeeInFlexMode(t *testing.T) {
	// A flex person's number depends on all its employee records.
	r := newJoinRig(t, mapping.Config{Werknemer: true, Flex: true}, joinWaiting)
	close(r.tree)
	r.employees("1")
	r.employments("1")
	r.expect()
	r.finish("1")
}
