package afas

import "time"

// Binding reads a fixed list of fields from rows by their position in that list. It resolves
// the names to the columns of an answer once, at the first row of that answer, where Row's
// accessors look a name up for every row and field: a conversion of hundreds of thousands of
// rows reads a dozen fields of each. A Binding serves one goroutine; each conversion that runs
// on a goroutine of its own makes its own (NewBinding is cheap).
type Binding struct {
	names []string
	lay   *layout
	cols  []int // per name: its column in lay, -1 when not whitelisted
	row   Row
}

// NewBinding returns a Binding of names; Str(i) and the others read names[i].
func NewBinding(names ...string) *Binding {
	return &Binding{names: names, cols: make([]int, len(names))}
}

// Of points b at r, resolving the names again when r is of another answer than the last row.
func (b *Binding) Of(r Row) *Binding {
	if r.lay != b.lay || b.lay == nil {
		b.lay = r.lay
		for i, n := range b.names {
			b.cols[i] = -1
			if r.lay != nil {
				b.cols[i] = r.lay.index(n)
			}
		}
	}
	b.row = r
	return b
}

// set returns the cell of field i if it holds a value of kind k.
func (b *Binding) set(i int, k Kind) (*cell, bool) {
	c := b.cols[i]
	if c < 0 || b.row.cells[c].state != cellSet || b.lay.kinds[c] != k {
		return nil, false
	}
	return &b.row.cells[c], true
}

// Str is Row.Str of field i.
func (b *Binding) Str(i int) string {
	if c, ok := b.set(i, String); ok {
		return b.row.text[c.off : c.off+c.n]
	}
	return ""
}

// Int is Row.Int of field i.
func (b *Binding) Int(i int) int64 {
	if c, ok := b.set(i, Int); ok {
		return c.num
	}
	return 0
}

// Time is Row.Time of field i.
func (b *Binding) Time(i int) time.Time {
	if c, ok := b.set(i, Date); ok {
		return time.Unix(c.num, 0).UTC()
	}
	return time.Time{}
}

// Get is Row.Get of field i.
func (b *Binding) Get(i int, k Kind) Value {
	if c := b.cols[i]; c >= 0 && b.row.cells[c].state != cellAbsent {
		return b.row.value(c)
	}
	return Value{Kind: k, Null: true}
}
