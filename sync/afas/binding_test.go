package afas

import (
	"reflect"
	"testing"
)

// A Binding reads every field as Row's accessors read it by name — set, empty, unparseable,
// absent, of another kind, not whitelisted — also when rows of two answers (two layouts, the
// fields in other columns) alternate.
func TestBindingReadsAsRow(t *testing.T) {
	other := Fields{"A": String, "S": Int, "T": Date, "I": String, "X": Bool}
	texts := []string{"", "12", "-3", "1.50", "true", "2024-02-29", "2024-02-30", "tekst", " 7 "}
	names := []string{"S", "I", "D", "B", "T", "A", "X", "Q"} // Q is in neither layout
	var rows []Row
	for n, text := range texts {
		for _, fields := range []Fields{rowFields, other} {
			rb := newRowBuilder(fields)
			rb.reset()
			j := 0
			for _, f := range rb.lay.names {
				// Vary which fields the row has an element for.
				if j++; (j+n)%3 != 0 {
					_ = rb.set(rb.lay.index(f), []byte(text))
				}
			}
			r := rb.finish()
			r.cells = append([]cell(nil), r.cells...) // the builder reuses its cells
			rows = append(rows, r)
		}
	}
	rows = append(rows, Row{}) // a row of no answer
	b := NewBinding(names...)
	for n, r := range rows {
		c := b.Of(r)
		for i, f := range names {
			if got, want := c.Str(i), r.Str(f); got != want {
				t.Errorf("row %d %s: Str %q, Row says %q", n, f, got, want)
			}
			if got, want := c.Int(i), r.Int(f); got != want {
				t.Errorf("row %d %s: Int %d, Row says %d", n, f, got, want)
			}
			if got, want := c.Time(i), r.Time(f); !got.Equal(want) {
				t.Errorf("row %d %s: Time %v, Row says %v", n, f, got, want)
			}
			for _, k := range []Kind{String, Int, Decimal, Bool, Date} {
				if got, want := c.Get(i, k), r.Get(f, k); !reflect.DeepEqual(got, want) {
					t.Errorf("row %d %s: Get(%s) %#v, Row says %#v", n, f, k, got, want)
				}
			}
		}
	}
}
