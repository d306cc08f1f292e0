package afas

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// This file holds the decoder's fast path for AFAS's usual rows. AFAS sends the result document
// escaped inside the result element: a row is "&lt;Conn&gt;&lt;Field&gt;value&lt;/Field&gt;…
// &lt;/Conn&gt;". rawRow reads such a row straight from the body's buffer, in one pass,
// without first unescaping it into the document buffer (decodeOuter) and tokenizing it again.
// It takes only a strict subset of what the general path accepts: names seen before in this
// answer, values of printable characters and the five escaped entities, nothing that needs
// cleaning or is an error. Anything else, it leaves with nothing consumed, for the general path
// to read the row as before; so the rows it reads come out exactly as the general path's.

// Fast path limits.
const (
	// rawBufferBytes is what the body buffer grows to once rawRow runs: a row must fit in it.
	rawBufferBytes = 32 << 10
	// A row too long for the buffer, or an answer whose rows keep not fitting the fast path,
	// is read by the general path.
	maxRawBufferBytes = 256 << 10
	rawGiveUpAfter    = 64
	// Short answers (a schema check, a preview, the last page) are read by the general path
	// alone: trickling costs it a little, and only pays over many rows.
	trickleAfterRows = 4
)

// rawState is the fast path's state for one result document.
type rawState struct {
	on        bool
	conn      []byte // "&lt;" + connector
	connEnd   []byte // "&lt;/" + connector + "&gt;"
	rows      int    // rows read by rawRow
	fallbacks int    // rows it left to the general path
}

// startRaw enables the fast path when the connector's name can be matched byte for byte.
func (s *scanner) startRaw(d *doc) {
	d.raw = rawState{}
	if s.noRaw || !plainName([]byte(d.connector)) {
		return
	}
	d.raw.on = true
}

// plainName reports whether n is a name the general tokenizer accepts as it is and whose local
// part is n itself: ASCII name bytes, not starting with a digit, '.' or '-', no colon.
func plainName(n []byte) bool {
	if len(n) == 0 || len(n) > maxNameBytes {
		return false
	}
	if c := n[0]; '0' <= c && c <= '9' || c == '.' || c == '-' {
		return false
	}
	for _, c := range n {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

type rawStatus int

const (
	rawOK    rawStatus = iota // a row was read
	rawMore                   // the buffer ends inside the row
	rawNo                     // not a row start (the end of the rows, whitespace before markup, …)
	rawOther                  // a row the general path must read
)

// rawRow reads one row by the fast path and hands it to fn. ok is false when it read nothing.
func (s *scanner) rawRow(d *doc) (ok bool, err error) {
	if d.page.Rows < trickleAfterRows {
		return false, nil
	}
	if !s.trickle {
		// A long answer: from here on the general path leaves the document buffer empty at
		// the end of each tag, so that the next row can be read from the body.
		s.trickle = true
		d.raw.conn = []byte("&lt;" + d.connector)
		d.raw.connEnd = []byte("&lt;/" + d.connector + "&gt;")
	}
	if s.ir != s.iw || s.ierr != nil || s.textEnd || s.inCDATA {
		return false, nil
	}
	for {
		n, st := s.scanRawRow(d)
		switch st {
		case rawOK:
			_, _ = s.br.Discard(n)
			s.lastCR = false
			d.raw.rows++
			d.page.Rows++
			return true, d.fn(d.rb.finish())
		case rawMore:
			if s.growRaw(d) {
				continue
			}
		case rawOther:
			d.raw.fallbacks++
			if d.raw.fallbacks > rawGiveUpAfter && d.raw.fallbacks > d.raw.rows {
				// Not AFAS's usual form: stop trying, and stop trickling.
				d.raw.on, s.trickle = false, false
			}
		}
		return false, nil
	}
}

// growRaw makes more of the body available after the unread bytes; false when nothing could be
// added (a full buffer at its cap, the end of the body, an error, which the general path meets).
// The buffer grows when a row does not fit, and to rawBufferBytes once the answer proves long,
// so that few rows are cut by its end; short answers keep their small buffer.
func (s *scanner) growRaw(d *doc) bool {
	b := &s.br
	if b.err != nil {
		return false
	}
	full := b.r == 0 && b.w == len(b.buf)
	if full || len(b.buf) < rawBufferBytes && d.raw.rows >= 16 {
		size := max(2*len(b.buf), readBufferBytes)
		if !full {
			size = rawBufferBytes
		}
		if size > maxRawBufferBytes {
			return false
		}
		nb := make([]byte, size)
		b.w = copy(nb, b.buf[b.r:b.w])
		b.buf, b.r = nb, 0
	}
	return b.fill()
}

// scanRawRow reads a row at the start of the unread body bytes, filling the row builder; n is
// the bytes the row takes.
func (s *scanner) scanRawRow(d *doc) (n int, st rawStatus) {
	p := s.br.buf[s.br.r:s.br.w]
	i := skipRawSpace(p, 0)
	conn := d.raw.conn
	if len(p)-i < len(conn)+5 {
		return 0, rawMore
	}
	if !bytes.Equal(p[i:i+len(conn)], conn) {
		return 0, rawNo
	}
	i += len(conn)
	if string(p[i:i+4]) != "&gt;" {
		return 0, rawOther
	}
	i += 4
	rb := d.rb
	rb.reset()
	d.pos = 0
	for {
		i = skipRawSpace(p, i)
		if len(p)-i < len(d.raw.connEnd) {
			return 0, rawMore
		}
		if string(p[i:i+4]) != "&lt;" {
			return 0, rawOther
		}
		if p[i+4] == '/' {
			if !bytes.Equal(p[i:i+len(d.raw.connEnd)], d.raw.connEnd) {
				return 0, rawOther
			}
			return i + len(d.raw.connEnd), rawOK
		}
		// The field's start tag: "&lt;" name "&gt;" or "&lt;" name "/&gt;". Usually it is the
		// field the rows before predict, which needs no scan for the name's end.
		var sl *slot
		j := i + 4
		if d.pos < len(d.order) {
			if w := d.order[d.pos].wire; len(p)-j >= len(w)+4 && bytes.Equal(p[j:j+len(w)], w) && string(p[j+len(w):j+len(w)+4]) == "&gt;" {
				sl = &d.order[d.pos]
				d.pos++
				j += len(w)
			}
		}
		if sl == nil {
			for j < len(p) && (isNameByte(p[j]) && p[j] < utf8.RuneSelf) {
				j++
			}
			if len(p)-j < 5 {
				return 0, rawMore
			}
			if sl = d.find(p[i+4 : j]); sl == nil {
				return 0, rawOther
			}
		}
		if !sl.plain {
			return 0, rawOther
		}
		// .NET writes an empty element as "<Field />".
		if j = skipRawSpace(p, j); len(p)-j < 5 {
			return 0, rawMore
		}
		self := false
		switch {
		case string(p[j:j+4]) == "&gt;":
			j += 4
		case string(p[j:j+5]) == "/&gt;":
			j += 5
			self = true
		default:
			return 0, rawOther
		}
		var text []byte
		if !self {
			var k int
			if text, k, st = s.rawValue(p, j, sl.wire, sl.ok); st != rawOK {
				return 0, st
			}
			j = k
		}
		if !sl.ok {
			if !sl.noted {
				d.drop(sl.wire)
				sl.noted = true
			}
		} else if err := rb.set(sl.info.col, text); err != nil {
			rb.errs = append(rb.errs, FieldError{Field: sl.info.name, Err: err})
		}
		i = j
	}
}

// rawValue reads a field's value at p[i:] through its end tag "&lt;/" wire "&gt;": the text,
// and where the end tag ends. The text is p's bytes when it holds no entity, else s.val; it is
// not collected unless keep (a field outside the whitelist is only checked and skipped).
func (s *scanner) rawValue(p []byte, i int, wire []byte, keep bool) (text []byte, end int, st rawStatus) {
	start := i
	copied := !keep // nothing to collect: as if the text were in s.val already
	for {
		// A run of plain printable characters, eight bytes at a time while there are no others.
		for len(p)-i >= 8 {
			if m := rawSpecial(binary.LittleEndian.Uint64(p[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(p) {
			c := p[i]
			if c == '&' || c < 0x20 || c == '<' {
				break
			}
			if c >= utf8.RuneSelf {
				r, n := utf8.DecodeRune(p[i:])
				if r == utf8.RuneError && n <= 1 {
					if !utf8.FullRune(p[i:]) {
						return nil, 0, rawMore
					}
					return nil, 0, rawOther
				}
				if r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xFFFE || r == 0xFFFF {
					return nil, 0, rawOther // cleaned or refused by the general path
				}
				i += n
				continue
			}
			i++
		}
		if i >= len(p) {
			return nil, 0, rawMore
		}
		if p[i] != '&' {
			return nil, 0, rawOther // line breaks, tabs, control characters, markup
		}
		if copied && keep {
			s.val = append(s.val, p[start:i]...)
		}
		// The end tag, or an entity of the value.
		rest := p[i:]
		if len(rest) < 11 {
			return nil, 0, rawMore
		}
		if rest[1] == 'l' && rest[2] == 't' && rest[3] == ';' {
			e := 5 + len(wire) + 4
			if len(rest) < e {
				return nil, 0, rawMore
			}
			if rest[4] != '/' || !bytes.Equal(rest[5:5+len(wire)], wire) || string(rest[5+len(wire):e]) != "&gt;" {
				return nil, 0, rawOther // a nested element, or an end tag of another element
			}
			switch {
			case !keep:
				return nil, i + e, rawOK
			case !copied:
				return p[start:i], i + e, rawOK
			}
			return s.val, i + e, rawOK
		}
		c, n := rawEntity(rest)
		if n == 0 {
			return nil, 0, rawOther // a character reference, or an error
		}
		if !copied {
			copied = true
			s.val = append(s.val[:0], p[start:i]...)
		}
		if keep {
			s.val = append(s.val, c)
		}
		i += n
		start = i
	}
}

// rawEntity decodes an escaped character of a value at the start of p (len(p) >= 11): the
// document's own entities and references to printable ASCII escaped once more ("&amp;amp;" is
// '&', "&amp;#39;" is '\”), or a character that needs no escaping in the document ("&gt;",
// "&quot;", "&#39;", …).
func rawEntity(p []byte) (byte, int) {
	if string(p[:5]) == "&amp;" {
		q := p[4:] // its ';' stands for the document's '&'
		if c, n := fastEntity(q); n > 0 {
			return c, 4 + n
		}
		if c, n := asciiRef(q); n > 0 {
			return c, 4 + n
		}
		return 0, 0
	}
	c, n := fastEntity(p)
	if n == 0 {
		c, n = asciiRef(p)
	}
	if n > 0 && c != '<' && c != '&' {
		return c, n
	}
	return 0, 0
}

// asciiRef decodes a character reference "&#NN;" or "&#xHH;" (at most four digits) to a
// printable ASCII character at the start of p, whose first byte stands for the '&'.
func asciiRef(p []byte) (byte, int) {
	if len(p) < 4 || p[1] != '#' {
		return 0, 0
	}
	i, base := 2, 10
	if p[i] == 'x' {
		i, base = 3, 16
	}
	v, digits := 0, 0
	for ; i < len(p) && digits < 4; i, digits = i+1, digits+1 {
		c := p[i]
		d := 99
		switch {
		case '0' <= c && c <= '9':
			d = int(c - '0')
		case 'a' <= c && c <= 'f':
			d = int(c-'a') + 10
		case 'A' <= c && c <= 'F':
			d = int(c-'A') + 10
		}
		if d >= base {
			break
		}
		v = v*base + d
	}
	if digits == 0 || i >= len(p) || p[i] != ';' || v < 0x20 || v > 0x7E {
		return 0, 0
	}
	return byte(v), i + 1
}

// rawSpecial returns a word with the high bit set in the byte of x (little endian) that is the
// first one rawValue must look at: '&', '<', a control character or a byte of a multi-byte
// character. Bytes above the first one found may be marked wrongly (the borrow of the tests), so
// only the lowest mark counts.
func rawSpecial(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - lo) &^ v & hi }
	return x&hi | (x-lo*0x20)&^x&hi | zero(x^(lo*'&')) | zero(x^(lo*'<'))
}

func skipRawSpace(p []byte, i int) int {
	for i < len(p) && isSpace(p[i]) {
		i++
	}
	return i
}
