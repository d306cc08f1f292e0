package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
)

// ColumnsPreview is what the files of a profile look like with its configured columns: per file
// the header a run writes and one example row from the last delivery. `koppel columns` and the
// wizard's delivery step show it; it reads the store only.
type ColumnsPreview struct {
	Profile string `json:"profile"`
	Mode    string `json:"mode"`
	// MutationColumn is the first column of the mutaties files, "" when there is none.
	MutationColumn string `json:"mutation_column"`
	// Delivery is the run id of the last delivery the examples come from ("" before the first).
	Delivery string        `json:"delivery,omitempty"`
	Files    []FilePreview `json:"files"`
}

// FilePreview is one file: its header exactly as delivered and an example row in those columns
// (BSN masked), or none when the last delivery left no record of it.
type FilePreview struct {
	File    string   `json:"file"`
	Header  []string `json:"header"`
	Example []string `json:"example,omitempty"`
}

// StateReader is what the preview reads of the store (store.Store).
type StateReader interface {
	LastDelivery(name string) (*store.Run, error)
	EachState(name, entity string, fn func(key string, vals []string) error) error
	RunChanges(id string) ([]store.Change, error)
}

// DeliveredEntities are the entities a run of the profile's enabled couplings delivers, in file
// order (the pipeline's files; a test holds the two together).
func DeliveredEntities(p *profile.Profile) []string {
	var out []string
	if p.Couplings.Werknemer.Enabled {
		out = append(out, mapping.Departments, mapping.Employments)
		if p.Couplings.Werknemer.Managers {
			out = append(out, mapping.Users)
		}
	}
	if p.Couplings.Verzuim.Enabled {
		out = append(out, mapping.Absences)
	}
	return out
}

// ColumnProblems are the profile's problems with delivery.columns and delivery.mutation_column,
// as profile.Validate reports them (nil when there are none).
func ColumnProblems(p *profile.Profile) profile.Errors {
	var out profile.Errors
	if errs, ok := p.Validate().(profile.Errors); ok {
		for _, e := range errs {
			if strings.HasPrefix(e.Key, "delivery.columns") || e.Key == "delivery.mutation_column" {
				out = append(out, e)
			}
		}
	}
	return out
}

// PreviewColumns builds the preview of a profile (saved or being edited) from what the store
// holds of its last delivery. Invalid columns are a profile.Errors naming the keys.
func PreviewColumns(st StateReader, p *profile.Profile) (*ColumnsPreview, error) {
	if errs := ColumnProblems(p); len(errs) > 0 {
		return nil, errs
	}
	pv := &ColumnsPreview{Profile: p.Name, Mode: p.Delivery.Mode, MutationColumn: p.Delivery.MutationHeader()}
	var last *store.Run
	if st != nil && p.Name != "" {
		var err error
		if last, err = st.LastDelivery(p.Name); err != nil {
			return nil, err
		}
	}
	var changes []store.Change
	if last != nil {
		pv.Delivery = last.ID
		var err error
		if changes, err = st.RunChanges(last.ID); err != nil {
			return nil, err
		}
	}
	for _, ent := range DeliveredEntities(p) {
		layout, problems := p.Delivery.Layout(ent)
		if len(problems) > 0 { // ColumnProblems found none: cannot happen
			return nil, fmt.Errorf("delivery.columns of %s: %v", mapping.FileOf(ent), problems)
		}
		std := mapping.Columns(ent)
		mutation := mutationFile(p, ent) && pv.MutationColumn != ""
		f := FilePreview{File: mapping.FileOf(ent), Header: slices.Clone(layout.Header())}
		if mutation {
			f.Header = append([]string{pv.MutationColumn}, f.Header...)
		}
		if last != nil {
			vals, kind, err := example(st, p.Name, ent, mutation, changes)
			if err != nil {
				return nil, err
			}
			if vals != nil {
				vals = slices.Grow(vals, len(std)) // a record from before a column was added
				for len(vals) < len(std) {
					vals = append(vals, "")
				}
				if bsn := slices.Index(std, "BSN"); bsn >= 0 {
					vals[bsn] = mapping.MaskBSN(vals[bsn])
				}
				row := layout.Row(vals, nil)
				if mutation {
					row = append([]string{kind}, row...)
				}
				f.Example = row
			}
		}
		pv.Files = append(pv.Files, f)
	}
	return pv, nil
}

// example picks a file's example row in koppel's columns. A mutaties file shows a row the last
// delivery sent, with its kind; when it sent none of that file (or a compleet file), the first
// record of the delivered state, as a change of it would be sent.
func example(st StateReader, name, ent string, mutation bool, changes []store.Change) ([]string, string, error) {
	if mutation {
		for _, c := range changes {
			if c.Entity != ent {
				continue
			}
			if c.Kind == Verwijderd {
				return slices.Clone(c.Before), c.Kind, nil
			}
			return slices.Clone(c.After), c.Kind, nil
		}
	}
	var vals []string
	err := st.EachState(name, ent, func(_ string, v []string) error {
		vals = slices.Clone(v)
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, "", err
	}
	return vals, Gewijzigd, nil
}

// errStop ends a walk of the state at its first record.
var errStop = errors.New("stop")
