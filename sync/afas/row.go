package afas

import (
	"iter"
	"math/bits"
	"slices"
	"time"

	"github.com/koppel-nl/koppel/sync/values"
)

// Row is one decoded GetConnector row: the whitelisted fields that had a value or an empty
// element, and the fields whose value could not be parsed (a data error in AFAS, reported per
// record by the caller, never a reason to stop reading).
//
// A Row is compact, because a run decodes hundreds of thousands of them: its values sit in a
// slice by the field's column (resolved once per answer, not per row), numbers and dates parsed
// in place, and all of its string values are substrings of one string per row. A record that
// keeps one of them keeps that row's text alive, never a whole page.
type Row struct {
	Errs []FieldError
	// Cleaned names the fields whose control characters (CR, LF, TAB, …) were replaced by a
	// space, so that every delivered CSV line is one record; the rules log a Melding for them.
	Cleaned []string

	lay   *layout
	cells []cell
	text  string
}

// cell is one field of a Row. Strings are text[off:off+n] of their Row; the other kinds keep
// their value in num (Int, Dec, Bool as 0/1, Date as Unix seconds of its UTC midnight).
type cell struct {
	state  uint8
	off, n uint32
	num    int64
}

const (
	cellAbsent uint8 = iota // the row had no element for the field
	cellNull                // an empty element, or a value that did not parse
	cellSet
)

// Get returns a field's value; a field AFAS omitted reads as null.
func (r Row) Get(field string, k Kind) Value {
	if v, ok := r.Lookup(field); ok {
		return v
	}
	return Value{Kind: k, Null: true}
}

// Str is Get(field, String).Str: a string field's text, "" when null or omitted.
func (r Row) Str(field string) string {
	if c, ok := r.set(field, String); ok {
		return r.text[c.off : c.off+c.n]
	}
	return ""
}

// Time is Get(field, Date).Time: a date field's day (UTC midnight), zero when null or omitted.
func (r Row) Time(field string) time.Time {
	if c, ok := r.set(field, Date); ok {
		return time.Unix(c.num, 0).UTC()
	}
	return time.Time{}
}

// Int is Get(field, Int).Int: an integer field's value, 0 when null or omitted.
func (r Row) Int(field string) int64 {
	if c, ok := r.set(field, Int); ok {
		return c.num
	}
	return 0
}

// set returns the cell of a field of kind k that holds a value.
func (r Row) set(field string, k Kind) (*cell, bool) {
	if r.lay == nil {
		return nil, false
	}
	i := r.lay.index(field)
	if i < 0 || r.cells[i].state != cellSet || r.lay.kinds[i] != k {
		return nil, false
	}
	return &r.cells[i], true
}

// Lookup returns a field's value and whether the row had an element for it.
func (r Row) Lookup(field string) (Value, bool) {
	if r.lay == nil {
		return Value{}, false
	}
	i := r.lay.index(field)
	if i < 0 || r.cells[i].state == cellAbsent {
		return Value{}, false
	}
	return r.value(i), true
}

// All yields the fields the row had an element for, with their values, ordered by name.
func (r Row) All() iter.Seq2[string, Value] {
	return func(yield func(string, Value) bool) {
		if r.lay == nil {
			return
		}
		for i, c := range r.cells {
			if c.state != cellAbsent && !yield(r.lay.names[i], r.value(i)) {
				return
			}
		}
	}
}

// Len is the number of fields the row had an element for.
func (r Row) Len() int {
	n := 0
	for _, c := range r.cells {
		if c.state != cellAbsent {
			n++
		}
	}
	return n
}

// Clone returns a copy of the row that stays valid after the decoder reuses the original.
func (r Row) Clone() Row {
	return Row{
		Errs:    slices.Clone(r.Errs),
		Cleaned: slices.Clone(r.Cleaned),
		lay:     r.lay,
		cells:   slices.Clone(r.cells),
		text:    r.text,
	}
}

func (r Row) value(i int) Value {
	c := &r.cells[i]
	k := r.lay.kinds[i]
	if c.state == cellNull {
		return Value{Kind: k, Null: true}
	}
	switch k {
	case String:
		return Value{Kind: k, Str: r.text[c.off : c.off+c.n]}
	case Int:
		return Value{Kind: k, Int: c.num}
	case Decimal:
		return Value{Kind: k, Dec: Dec(c.num)}
	case Bool:
		return Value{Kind: k, Bool: c.num != 0}
	case Date:
		return Value{Kind: k, Time: time.Unix(c.num, 0).UTC()}
	}
	return Value{Kind: k}
}

// layout is the columns of the rows of one answer: the whitelisted fields by name, with a small
// open-addressing table from name to column, cheaper than a map for a dozen names looked up
// a dozen times per row.
type layout struct {
	names []string
	kinds []Kind
	tab   []int32 // column+1; 0 is empty
	shift uint
}

func newLayout(fields Fields) *layout {
	l := &layout{names: make([]string, 0, len(fields))}
	for f := range fields {
		l.names = append(l.names, f)
	}
	slices.Sort(l.names)
	l.kinds = make([]Kind, len(l.names))
	for i, f := range l.names {
		l.kinds[i] = fields[f]
	}
	size := 8
	for size < 2*len(l.names) {
		size *= 2
	}
	l.tab = make([]int32, size)
	l.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for i, f := range l.names {
		h := l.hash(f)
		for l.tab[h] != 0 {
			h = (h + 1) & (len(l.tab) - 1)
		}
		l.tab[h] = int32(i + 1)
	}
	return l
}

func (l *layout) hash(s string) int {
	x := uint64(len(s))
	if len(s) > 0 {
		x |= uint64(s[0])<<8 | uint64(s[len(s)-1])<<16 | uint64(s[len(s)/2])<<24 | uint64(s[len(s)/3])<<32
	}
	return int((x * 0x9E3779B97F4A7C15) >> l.shift)
}

// index returns the column of a field, -1 when it is not whitelisted.
func (l *layout) index(name string) int {
	mask := len(l.tab) - 1
	for h := l.hash(name); ; h = (h + 1) & mask {
		e := l.tab[h]
		if e == 0 {
			return -1
		}
		if l.names[e-1] == name {
			return int(e - 1)
		}
	}
}

// rowBuilder fills the reused Row of a decode.
type rowBuilder struct {
	lay   *layout
	cells []cell
	buf   []byte // the string values of the row being read
	errs  []FieldError
	clean []string
}

func newRowBuilder(fields Fields) *rowBuilder {
	l := newLayout(fields)
	return &rowBuilder{lay: l, cells: make([]cell, len(l.names))}
}

func (b *rowBuilder) reset() {
	clear(b.cells)
	b.buf = b.buf[:0]
	b.errs = b.errs[:0]
	b.clean = b.clean[:0]
}

// finish returns the row read; its strings are one new string.
func (b *rowBuilder) finish() Row {
	return Row{Errs: b.errs, Cleaned: b.clean, lay: b.lay, cells: b.cells, text: string(b.buf)}
}

// addText adds a string value to the row's text. The room is made first so that b.buf is only
// resliced from 0, which the compiler writes as its length alone: a slice stored anew for every
// value would cost a write barrier each while the collector marks.
func addText[T string | []byte](b *rowBuilder, v T) (off, n uint32) {
	at := len(b.buf)
	if cap(b.buf)-at < len(v) {
		b.buf = slices.Grow(b.buf, len(v))
	}
	b.buf = b.buf[:at+len(v)]
	copy(b.buf[at:], v)
	return uint32(at), uint32(len(v))
}

func (b *rowBuilder) null(col int) { b.cells[col] = cell{state: cellNull} }

// setValue stores a parsed value.
func (b *rowBuilder) setValue(col int, v Value) {
	c := cell{state: cellSet}
	switch {
	case v.Null:
		c.state = cellNull
	case v.Kind == String:
		c.off, c.n = addText(b, v.Str)
	case v.Kind == Int:
		c.num = v.Int
	case v.Kind == Decimal:
		c.num = int64(v.Dec)
	case v.Kind == Bool && v.Bool:
		c.num = 1
	case v.Kind == Date:
		c.num = v.Time.Unix()
	}
	b.cells[col] = c
}

// set parses a field's text as values.ParseValue does, without allocating for the forms AFAS
// writes: strings go into the row's text, numbers, booleans and dates are read in place. Other
// forms (spaces around a number, "True", a date with a zone, an error) take ParseValue itself.
func (b *rowBuilder) set(col int, text []byte) error {
	k := b.lay.kinds[col]
	if len(text) == 0 {
		b.null(col)
		return nil
	}
	c := cell{state: cellSet}
	ok := true
	switch k {
	case String:
		c.off, c.n = addText(b, text)
	case Int:
		c.num, ok = fastInt(text)
	case Decimal:
		c.num, ok = fastDec(text)
	case Bool:
		switch string(text) {
		case "true", "1":
			c.num = 1
		case "false", "0":
		default:
			ok = false
		}
	case Date:
		c.num, ok = fastDateUnix(text)
	default:
		ok = false
	}
	if ok {
		b.cells[col] = c
		return nil
	}
	v, err := values.ParseValue(k, string(text))
	if err != nil {
		b.null(col)
		return err
	}
	b.setValue(col, v)
	return nil
}

// fastInt reads [+-]digits, at most 18 of them (no overflow), as strconv.ParseInt does.
func fastInt(b []byte) (int64, bool) {
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// fastDec reads [+-]digits[.digits] with at most 12 integer and 6 fractional digits, at least one
// of each side's digits present when there is a dot, as values.ParseDec does.
func fastDec(b []byte) (int64, bool) {
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	var ip, fp int64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		ip = ip*10 + int64(b[i]-'0')
		i++
	}
	if i > 12 || i == 0 && (len(b) == 0 || b[0] != '.') {
		return 0, false
	}
	if i < len(b) {
		if b[i] != '.' {
			return 0, false
		}
		frac := b[i+1:]
		if len(frac) == 0 || len(frac) > 6 {
			return 0, false
		}
		for j := 0; j < 6; j++ {
			d := int64(0)
			if j < len(frac) {
				c := frac[j]
				if c < '0' || c > '9' {
					return 0, false
				}
				d = int64(c - '0')
			}
			fp = fp*10 + d
		}
	}
	n := ip*1_000_000 + fp
	if neg {
		n = -n
	}
	return n, true
}

// fastDateUnix reads YYYY-MM-DDThh:mm:ss, the form AFAS writes, as values.ParseDate does: its
// calendar date, as the Unix seconds of that day's UTC midnight.
func fastDateUnix(b []byte) (int64, bool) {
	if len(b) != 19 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	num := func(p []byte) (int, bool) {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(b[0:4])
	m, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	hh, ok4 := num(b[11:13])
	mm, ok5 := num(b[14:16])
	ss, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || m < 1 || m > 12 || d < 1 || hh > 23 || mm > 59 || ss > 59 {
		return 0, false
	}
	last := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		last = 29
	}
	if d > last {
		return 0, false
	}
	return daysFromCivil(y, m, d) * 86400, true
}

// daysFromCivil is the number of days from 1970-01-01 to a date of the proleptic Gregorian
// calendar (H. Hinnant's algorithm), so that a date needs no time.Date.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097+doe) - 719468
}
