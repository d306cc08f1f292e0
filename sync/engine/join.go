package engine

import (
	"context"
	"fmt"

	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// joinWaiting is how many employment rows may wait in memory for their employee (a pipeline's
// joinWait). Both connectors are read in the order of the employee number, so a row's employee
// has mostly been read by the time the row comes in, and few rows wait; should more wait (a
// connector split into ranges, a stretch of employments whose employees are missing), the rest
// waits on disk until the last employee, as every employment row did before they streamed.
const joinWaiting = 32 << 10

// join indexes the employees and hands every employment row to fn as soon as it can be mapped:
// the department tree is there, and its employee is in the index or the last employee is read
// (mapping.Mapper.Ready). The rows go to fn in the order they came, so a row that waits holds
// up those after it: what the rules decide and log (duplicates first of all) keeps the order of
// the rows.
func (pl *pipeline) join(ctx context.Context, treeReady chan struct{}, fn func(any) error) error {
	emps, dvs, tree := pl.pages[connectors.Medewerkers], pl.pages[connectors.Dienstverbanden], treeReady
	var waiting []any // the rows in memory, from head on
	head := 0
	var disk *backlog // the rows after those in memory, once too many waited
	defer func() {
		if disk != nil {
			disk.close()
		}
	}()
	release := func() error {
		if tree != nil || disk != nil {
			return nil
		}
		for ; head < len(waiting); head++ {
			v := waiting[head]
			if emps != nil && !pl.m.Ready(employeeOf(v)) {
				break
			}
			waiting[head] = nil
			if err := fn(v); err != nil {
				return err
			}
		}
		if head == len(waiting) || head > len(waiting)/2 {
			waiting, head = waiting[:copy(waiting, waiting[head:])], 0
		}
		return nil
	}
	for {
		if tree != nil {
			select {
			case <-tree:
				tree = nil
			default:
			}
		}
		if emps == nil && tree == nil && disk != nil {
			// The last employee is read: what waits on disk goes first, then the rest.
			err := disk.each(fn)
			disk.close()
			disk = nil
			if err != nil {
				return err
			}
		}
		if err := release(); err != nil {
			return err
		}
		if emps == nil && dvs == nil && tree == nil {
			return nil
		}
		select {
		case <-tree:
		case page, ok := <-emps:
			if !ok {
				emps = nil
				break
			}
			for _, v := range page {
				pl.m.Employee(recordOf[mapping.Employee](v))
			}
		case page, ok := <-dvs:
			if !ok {
				dvs = nil
				break
			}
			if disk == nil && len(waiting)-head+len(page) > pl.joinWait {
				disk = &backlog{}
				if err := disk.hold(waiting[head:]); err != nil {
					return err
				}
				waiting, head = nil, 0
			}
			if disk != nil {
				if err := disk.hold(page); err != nil {
					return err
				}
				break
			}
			waiting = append(waiting, page...)
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// hold adds a page to the backlog.
func (bl *backlog) hold(page []any) error {
	if _, err := bl.add(page); err != nil {
		return fmt.Errorf("hold %s while waiting: %w", connectors.Dienstverbanden, err)
	}
	return nil
}

// employeeOf is the employee number of an employment row.
func employeeOf(v any) string {
	switch r := v.(type) {
	case mapping.Employment:
		return r.Medewerker
	case *mapping.Employment:
		return r.Medewerker
	}
	return ""
}
