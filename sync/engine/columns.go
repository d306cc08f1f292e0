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
	// ExampleSent tells that the example is a row the last delivery sent; in a mutaties file that
	// sent none it is the first record delivered before, as a change of it would be sent.
	ExampleSent bool `json:"example_sent,omitempty"`
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

// Examples are the example rows of a profile's last delivery, in koppel's columns, read from the
// store once: a screen that edits the columns previews every edit from them (Preview).
type Examples struct {
	// Delivery is the run id of the last delivery ("" before the first).
	Delivery string
	first    map[string][]string // per entity: the first record of the delivered state
	sent     map[string]sent     // per entity: the first row the last delivery had as a change
}

type sent struct {
	vals []string
	kind string
}

// LoadExamples reads the example rows of a profile's last delivery. A profile without a
// delivery (or not saved yet) has none.
func LoadExamples(st StateReader, name string) (*Examples, error) {
	x := &Examples{first: map[string][]string{}, sent: map[string]sent{}}
	if st == nil || name == "" {
		return x, nil
	}
	last, err := st.LastDelivery(name)
	if err != nil || last == nil {
		return x, err
	}
	x.Delivery = last.ID
	changes, err := st.RunChanges(last.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		// The first change of each entity; a removal only while there is nothing else.
		if s, ok := x.sent[c.Entity]; ok && (s.kind != Verwijderd || c.Kind == Verwijderd) {
			continue
		}
		vals := c.After
		if c.Kind == Verwijderd {
			vals = c.Before
		}
		x.sent[c.Entity] = sent{slices.Clone(vals), c.Kind}
	}
	for _, ent := range []string{mapping.Departments, mapping.Employments, mapping.Users, mapping.Absences} {
		err := st.EachState(name, ent, func(_ string, v []string) error {
			x.first[ent] = slices.Clone(v)
			return errStop
		})
		if err != nil && !errors.Is(err, errStop) {
			return nil, err
		}
	}
	return x, nil
}

// PreviewColumns builds the preview of a saved profile from what the store holds of its last
// delivery. Invalid columns are a profile.Errors naming the keys.
func PreviewColumns(st StateReader, p *profile.Profile) (*ColumnsPreview, error) {
	if errs := ColumnProblems(p); len(errs) > 0 {
		return nil, errs
	}
	x, err := LoadExamples(st, p.Name)
	if err != nil {
		return nil, err
	}
	return x.Preview(p)
}

// Preview lays the examples out in a profile's columns (saved or being edited): every file it
// delivers with its header and example row. Invalid columns are a profile.Errors.
func (x *Examples) Preview(p *profile.Profile) (*ColumnsPreview, error) {
	if errs := ColumnProblems(p); len(errs) > 0 {
		return nil, errs
	}
	if x == nil {
		x = &Examples{}
	}
	pv := &ColumnsPreview{Profile: p.Name, Mode: p.Delivery.Mode, MutationColumn: p.Delivery.MutationHeader(), Delivery: x.Delivery}
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
		// A complete file sent every record: its first. A mutaties file shows a row the last
		// delivery sent, with its kind (a removal is not sent without a mutation column); when
		// it sent none, the first record delivered, as a change of it would be sent.
		vals, kind := x.first[ent], Gewijzigd
		f.ExampleSent = !mutationFile(p, ent)
		if s, ok := x.sent[ent]; ok && mutationFile(p, ent) && (mutation || s.kind != Verwijderd) {
			vals, kind, f.ExampleSent = s.vals, s.kind, true
		}
		if vals != nil {
			vals = slices.Clone(vals)
			for len(vals) < len(std) { // a record from before a column was added
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
		pv.Files = append(pv.Files, f)
	}
	return pv, nil
}

// errStop ends a walk of the state at its first record.
var errStop = errors.New("stop")

// ColumnNames are an entity's columns as the profile's file names them, in koppel's order (the
// order of the stored state and of a change's values). A column the file leaves out keeps
// koppel's name and is marked in omitted; with invalid columns, koppel's names.
func ColumnNames(p *profile.Profile, ent string) (names []string, omitted []bool) {
	std := mapping.Columns(ent)
	names, omitted = slices.Clone(std), make([]bool, len(std))
	if p == nil {
		return names, omitted
	}
	layout, problems := p.Delivery.Layout(ent)
	if len(problems) > 0 {
		return names, omitted
	}
	for i := range std {
		if j := layout.Index(i); j >= 0 {
			names[i] = layout.Header()[j]
		} else {
			omitted[i] = true
		}
	}
	return names, omitted
}

// ColumnChange is one column of a changed record, named as the profile's file names it.
type ColumnChange struct {
	Column string `json:"column"`
	Before string `json:"before"`
	After  string `json:"after"`
	// NotDelivered marks a column the file leaves out: it is compared, not delivered.
	NotDelivered bool `json:"not_delivered,omitempty"`
}

// MaskedChange is a change as it may be shown: every BSN in its values masked.
func MaskedChange(c store.Change) store.Change {
	std := mapping.Columns(c.Entity)
	mask := func(vals []string) []string {
		if vals == nil {
			return nil
		}
		out := slices.Clone(vals)
		for i := range out {
			if i < len(std) {
				out[i] = maskIf(std[i], out[i])
			}
		}
		return out
	}
	c.Before, c.After = mask(c.Before), mask(c.After)
	return c
}

// ChangedColumns are the columns a Gewijzigd change touched, in the profile's names, the BSN
// masked (nil for other kinds: all of a new or removed record's columns are its values).
func ChangedColumns(p *profile.Profile, c store.Change) []ColumnChange {
	if c.Kind != Gewijzigd {
		return nil
	}
	names, omitted := ColumnNames(p, c.Entity)
	std := mapping.Columns(c.Entity)
	var out []ColumnChange
	for i, name := range names {
		var before, after string
		if i < len(c.Before) {
			before = c.Before[i]
		}
		if i < len(c.After) {
			after = c.After[i]
		}
		if before != after {
			out = append(out, ColumnChange{Column: name, Before: maskIf(std[i], before), After: maskIf(std[i], after), NotDelivered: omitted[i]})
		}
	}
	return out
}
