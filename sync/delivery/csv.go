package delivery

import (
	"hash"
	"io"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Line writes a file's rows field by field, exactly as encoding/csv's Writer with Comma ';' and
// UseCRLF writes them (csv_test.go holds the two together), without a []string per row: a run
// writes its files from the stored bytes.
type Line struct {
	buf    []byte
	file   io.Writer
	sum    hash.Hash
	fields int // in the current row
	rows   int
	err    error
}

const (
	comma     = ';'
	lineFlush = 64 << 10
)

func newLine(file io.Writer, sum hash.Hash) *Line {
	return &Line{buf: make([]byte, 0, lineFlush+4<<10), file: file, sum: sum}
}

// Field adds a field to the row.
func (l *Line) Field(b []byte) { Field(l, b) }

// FieldString adds a field to the row.
func (l *Line) FieldString(s string) { Field(l, s) }

// Field adds a field to l's row, for a writer generic in its values' type.
//
// The field is appended in room made first, so that l.buf is only resliced from 0 (which the
// compiler writes as its length alone): storing the slice anew for every field would cost a
// write barrier each while the collector marks, a tenth of a large run's file writing.
func Field[T string | []byte](l *Line, v T) {
	n := len(l.buf)
	// Quoted, a field takes at most twice its length (quotes doubled, a line feed as CRLF),
	// its two quotes and the separator.
	if need := 2*len(v) + 3; cap(l.buf)-n < need {
		l.buf = slices.Grow(l.buf, need)
	}
	b := l.buf[n:n:cap(l.buf)]
	if l.fields++; l.fields > 1 {
		b = append(b, comma)
	}
	b = appendField(b, v)
	l.buf = l.buf[:n+len(b)]
}

// End ends the row. Its error is the first the file gave.
func (l *Line) End() error {
	n := len(l.buf)
	if cap(l.buf)-n < 2 {
		l.buf = slices.Grow(l.buf, 2)
	}
	l.buf = l.buf[:n+2]
	l.buf[n], l.buf[n+1] = '\r', '\n'
	l.fields = 0
	l.rows++
	if len(l.buf) >= lineFlush {
		l.flush()
	}
	return l.err
}

// flush writes what is buffered to the file and the checksum.
func (l *Line) flush() {
	if l.err == nil && len(l.buf) > 0 {
		if l.sum != nil {
			l.sum.Write(l.buf)
		}
		_, l.err = l.file.Write(l.buf)
	}
	l.buf = l.buf[:0]
}

// appendField appends one field as encoding/csv writes it: quoted when it holds the separator,
// a quote, a line break, starts with a space, or is `\.`; inside quotes a quote doubled, a line
// feed written CRLF and a carriage return dropped.
func appendField[T string | []byte](b []byte, field T) []byte {
	if !needsQuotes(field) {
		return append(b, field...)
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(field); i++ {
		switch field[i] {
		case '"':
			b = append(append(b, field[start:i]...), '"', '"')
		case '\r':
			b = append(b, field[start:i]...)
		case '\n':
			b = append(append(b, field[start:i]...), '\r', '\n')
		default:
			continue
		}
		start = i + 1
	}
	return append(append(b, field[start:]...), '"')
}

// quoted are the bytes that make a field quoted wherever they are.
var quoted = [256]bool{'\n': true, '\r': true, '"': true, comma: true}

func needsQuotes[T string | []byte](field T) bool {
	if len(field) == 0 {
		return false
	}
	if len(field) == 2 && field[0] == '\\' && field[1] == '.' {
		return true
	}
	for i := 0; i < len(field); i++ {
		if quoted[field[i]] {
			return true
		}
	}
	if c := field[0]; c < utf8.RuneSelf {
		return c == ' ' || '\t' <= c && c <= '\r' // unicode.IsSpace below utf8.RuneSelf
	}
	var first [utf8.UTFMax]byte
	n := copy(first[:], field[:min(len(field), utf8.UTFMax)])
	r, _ := utf8.DecodeRune(first[:n])
	return unicode.IsSpace(r)
}
