package afas

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/koppel-nl/koppel/sync/values"
)

// This file holds the streaming decoder of GetData(WithOptions) responses: one pass over the
// HTTP body, without building the result document as a string and without a second XML parse.
//
// Two layers are decoded at once. The envelope layer (soap:Envelope, soap:Body, <Op>Response,
// <Op>Result) is read with a small tokenizer over a buffered reader. The text of the result element
// is the escaped result document: decodeOuter unescapes it on the fly (entities, character
// references, CDATA, CR LF normalisation) into a fixed buffer, over which a tokenizer for AFAS's
// document shape runs (root AfasGetConnector, optional xs:schema, rows named after the
// connector, one element per field). Only whitelisted field values are copied out of that
// buffer; everything else is skipped as it streams past. AFAS's usual rows take a shortcut:
// rawRow (rawrow.go) reads them straight from the escaped body, in one pass.

// Limits of the streaming decoder. They bound what one element can make the decoder hold; the
// body as a whole is bounded by the caller's limiting reader.
const (
	// MaxValueBytes caps a single field value. A longer value is a FieldError for that field
	// (ErrValueTooLong); the rest of it is skipped without being held.
	MaxValueBytes = 1 << 20
	// maxNameBytes caps element and attribute names; AFAS's are well below 100 bytes.
	maxNameBytes = 1024
	// maxAttrBytes caps the attribute values the decoder keeps (schema names and types,
	// namespace declarations of the envelope).
	maxAttrBytes = 4096
	// maxDepth caps element nesting; AFAS's deepest (the schema) is below 10.
	maxDepth = 256
	// maxDropped caps the distinct names Page.Dropped lists.
	maxDropped = 1024
	// maxFaultText is the length fault messages are cut to.
	maxFaultText = 1024
	// innerBufferBytes is the buffer of the unescaped document.
	innerBufferBytes = 4 << 10
	// The body is read through a small buffer first, so that short answers (faults, empty
	// pages) cost little, and through a larger one once it proves longer.
	firstReadBytes  = 1 << 10
	readBufferBytes = 4 << 10
)

const (
	soapEnvNS = "http://schemas.xmlsoap.org/soap/envelope/"
	afasNS    = "urn:Afas.Profit.Services"
)

var (
	// ErrIllegalChar is wrapped by the FieldError of a value holding a character XML 1.0 does
	// not allow (e.g. &#0;, a lone surrogate, invalid UTF-8). Only that field of that record is
	// lost; the page is read on.
	ErrIllegalChar = errors.New("character not allowed in XML")
	// ErrValueTooLong is wrapped by the FieldError of a value longer than MaxValueBytes.
	ErrValueTooLong = fmt.Errorf("value longer than %d bytes", MaxValueBytes)
)

// FaultBody is a SOAP fault AFAS sent inside an HTTP 200 response. Message is the faultstring,
// joined with the ProfitApplicationException Message when that one differs (as parseFault does),
// control characters replaced by spaces, cut to 1 KiB.
type FaultBody struct {
	Code    string
	Message string
}

func (f *FaultBody) Error() string { return "SOAP fault: " + f.Message }

// charError is the error of a value holding a character XML does not allow.
type charError struct {
	r rune // the code point; -1 when the bytes were not UTF-8 or the envelope already held it
}

func (e *charError) Error() string {
	if e.r < 0 {
		return "contains bytes that are not valid UTF-8 or a character XML does not allow"
	}
	return fmt.Sprintf("contains %U, a character XML does not allow", e.r)
}

func (e *charError) Is(target error) bool { return target == ErrIllegalChar }

// DecodeResponse reads one GetData(WithOptions) response envelope from r, in one pass, and calls
// fn for every row of the result document. op is "GetDataWithOptions" or "GetData": the body must
// hold op+"Response" (namespace urn:Afas.Profit.Services) with one op+"Result" element. names
// maps the connector's field names to koppel's (renamed fields); fields, the Row and Page.Dropped
// use koppel's names. A wire field named like a koppel field that names renames away is not that
// field: it is dropped.
//
// Row semantics are those of DecodeResult: only whitelisted fields are decoded; the Row is reused
// between calls; an omitted field and an empty element read as null; a value that does not parse,
// holds a character XML does not allow (ErrIllegalChar) or is longer than MaxValueBytes
// (ErrValueTooLong) is a FieldError with a null value, and reading goes on. Line breaks and tabs
// (CR, LF, TAB, U+0085, U+2028, U+2029) in a value are replaced by a space; a string field for
// which that happened is named once in Row.Cleaned.
//
// fn is called while the body is read, so rows may have been delivered before an error: a
// response that ends early or turns out malformed fails only after its first rows went to fn.
//
// Errors:
//   - an answer that is not a SOAP 1.1 envelope with a Body holding the operation's response
//     and result element, a result that is not empty yet holds no AfasGetConnector root, a row
//     element not named after the connector, any syntax error, and a body that ends early all
//     wrap ErrMalformed (the latter also io.ErrUnexpectedEOF);
//   - a SOAP fault in the Body is a *FaultBody;
//   - an error of r is returned wrapped, so errors.Is and errors.As see it;
//   - an error of fn is returned as it is.
func DecodeResponse(r io.Reader, op, connector string, fields Fields, names map[string]string, fn func(Row) error) (Page, error) {
	s := newScanner(r)
	page, err := s.response(op, connector, fields, names, fn)
	if _, fault := err.(*FaultBody); err == nil || fault {
		s.drain()
	}
	return page, err
}

// maxDrain bounds what DecodeResponse reads after the envelope.
const maxDrain = 4 << 10

// drain reads what follows a complete envelope (normally a line break) up to the end of the body,
// so that the HTTP transport sees the end and can reuse the connection. It stops at anything but
// whitespace, after maxDrain bytes, and at any error, none of which matters to the answer.
func (s *scanner) drain() {
	b := &s.br
	for n, reads := 0, 0; n < maxDrain && reads < 100; {
		if b.r == b.w {
			// Read into the buffer as it is: no need to grow it for a line break.
			if b.err != nil {
				return
			}
			m, err := b.rd.Read(b.buf)
			reads++
			if m < 0 || m > len(b.buf) {
				return
			}
			b.r, b.w, b.err = 0, m, err
		}
		for _, c := range b.buf[b.r:b.w] {
			if !isSpace(c) {
				return
			}
		}
		n += b.w - b.r
		b.r = b.w
	}
}

// scanner is the state of one decode: the body reader, the envelope tokenizer and the buffer of
// the unescaped result document with its tokenizer.
type scanner struct {
	br rbuf

	// Envelope tokenizer.
	oname  string // qualified name of the last envelope tag
	olocal string
	ons    string // its namespace
	oself  bool
	oattrs []oattr
	ostk   []string
	obind  []nsBinding
	oscr   []byte
	oval   []byte

	// Decoding of the result element's text into ib.
	textEnd bool  // the text ended: br is at the "</" of the result's end tag
	ierr    error // an error of decodeOuter held back until the text before it is used
	// skipNested makes decodeOuter skip elements inside the text (fault texts) instead of
	// failing (the result element).
	skipNested bool
	// lenient (ReadFault) skips directives such as <!DOCTYPE> as encoding/xml does.
	lenient bool
	inCDATA bool
	lastCR  bool
	// noRaw turns the fast path for rows off (tests compare it with the general path).
	noRaw bool
	// trickle makes decodeOuter stop after each "&gt;", so that the document tokenizer uses up
	// the unescaped text at the end of a tag and rawRow can take the next row from the body.
	trickle bool

	// The unescaped result document, ib[ir:iw] not read yet.
	ib     []byte
	ir, iw int

	// Result document tokenizer.
	qn        []byte // qualified name of the last tag
	an        []byte // attribute name scratch
	stk       []byte // open elements' names, concatenated
	stkOff    []int
	val       []byte // the field value being read
	wantAttrs bool   // collect name and type attributes (inside the schema)
	aName     string
	aType     string
	haveName  bool
	haveType  bool

	arena []byte // backing bytes for slot names
	d     doc
}

type oattr struct{ name, value string }

type nsBinding struct {
	prefix, uri string
	depth       int
}

// scanBytes are the backing arrays of a scanner's byte buffers, allocated in one piece that
// holds no pointers (the garbage collector need not scan it).
type scanBytes struct {
	read  [firstReadBytes]byte
	qn    [128]byte
	an    [64]byte
	stk   [256]byte
	off   [16]int
	val   [256]byte
	oscr  [64]byte
	oval  [128]byte
	arena [512]byte
}

// scanSlices are the backing arrays of a scanner's other slices, allocated with it.
type scanSlices struct {
	ostk  [8]string
	oattr [8]oattr
	obind [8]nsBinding
}

func newScanner(r io.Reader) *scanner {
	type both struct {
		s scanner
		b scanSlices
	}
	x := new(both)
	s, b := &x.s, new(scanBytes)
	s.br = rbuf{rd: r, buf: b.read[:]}
	s.qn, s.an, s.stk, s.stkOff, s.val = b.qn[:0], b.an[:0], b.stk[:0], b.off[:0], b.val[:0]
	s.oscr, s.oval, s.arena = b.oscr[:0], b.oval[:0], b.arena[:0]
	s.ostk, s.oattrs, s.obind = x.b.ostk[:0], x.b.oattr[:0], x.b.obind[:0]
	return s
}

// rbuf is a minimal buffered reader (the part of bufio.Reader the scanner uses) over a buffer
// allocated with the scanner. An error of the underlying reader is returned as it is, after the
// bytes read before it.
type rbuf struct {
	rd   io.Reader
	buf  []byte
	r, w int
	err  error
}

// fill reads more into the buffer; it returns false when nothing could be added.
func (b *rbuf) fill() bool {
	if b.err != nil {
		return false
	}
	if len(b.buf) < readBufferBytes && b.w > 0 {
		nb := make([]byte, readBufferBytes)
		b.w = copy(nb, b.buf[b.r:b.w])
		b.buf, b.r = nb, 0
	}
	if b.r > 0 {
		copy(b.buf, b.buf[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	for i := 0; i < 100 && b.w < len(b.buf); i++ {
		n, err := b.rd.Read(b.buf[b.w:])
		if n < 0 || n > len(b.buf)-b.w {
			err, n = errors.New("afas: reader returned an invalid count"), 0
		}
		b.w += n
		if err != nil {
			b.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	if b.w < len(b.buf) {
		b.err = io.ErrNoProgress
	}
	return false
}

func (b *rbuf) Buffered() int { return b.w - b.r }

// Peek returns the next n bytes; fewer with the reader's error at its end.
func (b *rbuf) Peek(n int) ([]byte, error) {
	for b.w-b.r < n && b.fill() {
	}
	if b.w-b.r < n {
		err := b.err
		if err == nil {
			err = io.ErrNoProgress
		}
		return b.buf[b.r:b.w], err
	}
	return b.buf[b.r : b.r+n], nil
}

func (b *rbuf) Discard(n int) (int, error) {
	b.r += n
	return n, nil
}

func (b *rbuf) ReadByte() (byte, error) {
	if b.r == b.w && !b.fill() {
		return 0, b.err
	}
	c := b.buf[b.r]
	b.r++
	return c, nil
}

// UnreadByte unreads the byte ReadByte just returned.
func (b *rbuf) UnreadByte() error {
	b.r--
	return nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// ioErr wraps an error of the body reader. The end of the body is a malformed (truncated)
// response; any other error keeps its identity for errors.Is/As.
func ioErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: the response ends early: %w", ErrMalformed, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("reading the AFAS response: %w", err)
}

// ---------------------------------------------------------------------------------------------
// Envelope layer

type otok int

const (
	oStart otok = iota
	oEnd
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-' || c >= utf8.RuneSelf
}

// checkName validates a qualified name as encoding/xml splits it: not starting with a digit,
// '.' or '-', at most one colon, valid UTF-8.
func checkName(n []byte) error {
	if len(n) == 0 {
		return malformed("expected a name")
	}
	if c := n[0]; '0' <= c && c <= '9' || c == '.' || c == '-' {
		return malformed("invalid name %q", n)
	}
	colons, high := 0, false
	for _, c := range n {
		if c == ':' {
			colons++
		}
		high = high || c >= utf8.RuneSelf
	}
	if colons > 1 {
		return malformed("invalid name %q", n)
	}
	if high && !utf8.Valid(n) {
		return malformed("name is not valid UTF-8")
	}
	return nil
}

// localName is the part of a qualified name after its prefix (encoding/xml's Name.Local).
func localName(n []byte) []byte {
	if i := bytes.IndexByte(n, ':'); i > 0 && i < len(n)-1 {
		return n[i+1:]
	}
	return n
}

// intern returns b as a string, without allocating for the names and namespaces every AFAS
// response repeats.
func intern(b []byte) string {
	switch string(b) {
	case "soap:Envelope":
		return "soap:Envelope"
	case "soap:Header":
		return "soap:Header"
	case "soap:Body":
		return "soap:Body"
	case "soap:Fault":
		return "soap:Fault"
	case "xmlns":
		return "xmlns"
	case "xmlns:soap":
		return "xmlns:soap"
	case "xmlns:xsi":
		return "xmlns:xsi"
	case "xmlns:xsd":
		return "xmlns:xsd"
	case "GetDataWithOptionsResponse":
		return "GetDataWithOptionsResponse"
	case "GetDataWithOptionsResult":
		return "GetDataWithOptionsResult"
	case "GetDataResponse":
		return "GetDataResponse"
	case "GetDataResult":
		return "GetDataResult"
	case soapEnvNS:
		return soapEnvNS
	case afasNS:
		return afasNS
	case "http://www.w3.org/2001/XMLSchema-instance":
		return "http://www.w3.org/2001/XMLSchema-instance"
	case "http://www.w3.org/2001/XMLSchema":
		return "http://www.w3.org/2001/XMLSchema"
	case "xs:string":
		return "xs:string"
	case "xs:int":
		return "xs:int"
	case "xs:decimal":
		return "xs:decimal"
	case "xs:boolean":
		return "xs:boolean"
	case "xs:dateTime":
		return "xs:dateTime"
	case "xs:long":
		return "xs:long"
	case "xs:double":
		return "xs:double"
	}
	return string(b)
}

func localString(n string) string {
	if i := strings.IndexByte(n, ':'); i > 0 && i < len(n)-1 {
		return n[i+1:]
	}
	return n
}

func prefixOf(n string) string {
	if i := strings.IndexByte(n, ':'); i > 0 && i < len(n)-1 {
		return n[:i]
	}
	return ""
}

func (s *scanner) obyte() (byte, error) {
	c, err := s.br.ReadByte()
	if err != nil {
		return 0, ioErr(err)
	}
	return c, nil
}

func (s *scanner) opeek(n int) ([]byte, error) {
	p, err := s.br.Peek(n)
	if len(p) < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return p, ioErr(err)
	}
	return p, nil
}

// oreadName reads a name from the body into s.oscr.
func (s *scanner) oreadName() error {
	s.oscr = s.oscr[:0]
	for {
		win, err := s.window()
		if err != nil {
			return err
		}
		i := 0
		for i < len(win) {
			c := win[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == ':' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-' || c >= utf8.RuneSelf) {
				break
			}
			i++
		}
		s.oscr = append(s.oscr, win[:i]...)
		_, _ = s.br.Discard(i)
		if len(s.oscr) > maxNameBytes {
			return malformed("name longer than %d bytes", maxNameBytes)
		}
		if i < len(win) {
			return checkName(s.oscr)
		}
	}
}

func (s *scanner) oskipSpace() error {
	for {
		win, err := s.window()
		if err != nil {
			return err
		}
		i := 0
		for i < len(win) && isSpace(win[i]) {
			i++
		}
		_, _ = s.br.Discard(i)
		if i < len(win) {
			return nil
		}
	}
}

// oskipUntil skips the body up to and including end (at most 8 bytes).
func (s *scanner) oskipUntil(end string) error {
	var last [8]byte
	tail := last[:0]
	for {
		c, err := s.obyte()
		if err != nil {
			return err
		}
		if len(tail) == len(end) {
			copy(tail, tail[1:])
			tail = tail[:len(tail)-1]
		}
		tail = append(tail, c)
		if string(tail) == end {
			return nil
		}
	}
}

// skipComment skips a comment after its "<!--", reading from next (the envelope's bytes or the
// document's); "--" inside is an error, as in encoding/xml.
func skipComment(next func() (byte, error)) error {
	var b0, b1 byte
	for {
		c, err := next()
		if err != nil {
			return err
		}
		if b0 == '-' && b1 == '-' {
			if c != '>' {
				return malformed(`"--" inside a comment`)
			}
			return nil
		}
		b0, b1 = b1, c
	}
}

// oskipDirective skips a directive such as <!DOCTYPE ...> after its "<", as encoding/xml does:
// up to the '>' outside quotes that closes it, nested <...> counted.
func (s *scanner) oskipDirective() error {
	var quote byte
	depth := 0
	for {
		c, err := s.obyte()
		if err != nil {
			return err
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '<':
			depth++
		case c == '>':
			if depth == 0 {
				return nil
			}
			depth--
		}
	}
}

// oskipPI skips a processing instruction after its "<?" and checks the encoding an XML
// declaration names: only UTF-8 is read.
func (s *scanner) oskipPI() error {
	if err := s.oreadName(); err != nil {
		return err
	}
	isDecl := string(s.oscr) == "xml"
	body := s.oval[:0]
	for {
		win, err := s.window()
		if err != nil {
			return err
		}
		if i := bytes.Index(win, []byte("?>")); i >= 0 {
			if isDecl && len(body)+i <= maxAttrBytes {
				body = append(body, win[:i]...)
			}
			_, _ = s.br.Discard(i + 2)
			break
		}
		// Keep a last '?' for the next window.
		n := len(win)
		if win[n-1] == '?' {
			n--
			if n == 0 {
				p, err := s.opeek(2)
				if err != nil {
					return err
				}
				if p[1] == '>' {
					_, _ = s.br.Discard(2)
					break
				}
				n = 1
			}
		}
		if isDecl && len(body)+n <= maxAttrBytes {
			body = append(body, win[:n]...)
		}
		_, _ = s.br.Discard(n)
	}
	s.oval = body[:0]
	if isDecl {
		if enc := declEncoding(body); enc != "" && !strings.EqualFold(enc, "utf-8") {
			return malformed("encoding %q declared; only UTF-8 is read", enc)
		}
	}
	return nil
}

// declEncoding returns the encoding pseudo-attribute of an XML declaration's content.
func declEncoding(s []byte) string {
	i := bytes.Index(s, []byte("encoding"))
	if i < 0 {
		return ""
	}
	s = bytes.TrimLeft(s[i+len("encoding"):], " \t\r\n")
	if len(s) == 0 || s[0] != '=' {
		return ""
	}
	s = bytes.TrimLeft(s[1:], " \t\r\n")
	if len(s) == 0 || s[0] != '"' && s[0] != '\'' {
		return ""
	}
	q := s[0]
	s = s[1:]
	if j := bytes.IndexByte(s, q); j >= 0 {
		if strings.EqualFold(string(s[:j]), "utf-8") {
			return "utf-8"
		}
		return string(s[:j])
	}
	return ""
}

// oattrValue reads a quoted attribute value of the envelope (the quote already read).
func (s *scanner) oattrValue(quote byte) (string, error) {
	b := s.oval[:0]
	for {
		if win, err := s.window(); err == nil {
			i := 0
			for i < len(win) && win[i] != quote && win[i] != '<' && win[i] != '&' && win[i] != '\r' && win[i] != '\n' && i < maxAttrBytes {
				i++
			}
			b = append(b, win[:i]...)
			_, _ = s.br.Discard(i)
		}
		c, err := s.obyte()
		if err != nil {
			return "", err
		}
		switch c {
		case quote:
			s.oval = b[:0]
			return intern(b), nil
		case '<':
			return "", malformed("unescaped < inside an attribute value")
		case '&':
			r, legal, err := s.oref()
			if err != nil {
				return "", err
			}
			if !legal {
				return "", malformed("attribute value holds a character XML does not allow")
			}
			b = utf8.AppendRune(b, r)
		default:
			b = append(b, c)
		}
		if len(b) > maxAttrBytes {
			return "", malformed("attribute value longer than %d bytes", maxAttrBytes)
		}
	}
}

// onext reads the next tag of the envelope. Whitespace, comments and processing instructions
// are skipped; other text is an error unless skipText. The tag's names are in s.oname, s.olocal,
// s.ons; a start tag's attributes in s.oattrs. An end tag must match the open element.
func (s *scanner) onext(skipText bool) (otok, error) {
	for {
		c, err := s.obyte()
		if err != nil {
			return 0, err
		}
		if c != '<' {
			if isSpace(c) || skipText {
				continue
			}
			if len(s.ostk) == 0 && c == 0xEF {
				// A UTF-8 byte order mark before the root element.
				if p, err := s.br.Peek(2); err == nil && p[0] == 0xBB && p[1] == 0xBF {
					_, _ = s.br.Discard(2)
					continue
				}
			}
			return 0, malformed("text in the SOAP envelope")
		}
		p, err := s.opeek(1)
		if err != nil {
			return 0, err
		}
		switch p[0] {
		case '?':
			_, _ = s.br.ReadByte()
			if err := s.oskipPI(); err != nil {
				return 0, err
			}
			continue
		case '!':
			p, err := s.br.Peek(8)
			switch {
			case bytes.HasPrefix(p, []byte("!--")):
				_, _ = s.br.Discard(3)
				if err := skipComment(s.obyte); err != nil {
					return 0, err
				}
				continue
			case bytes.HasPrefix(p, []byte("![CDATA[")) && skipText:
				_, _ = s.br.Discard(8)
				if err := s.oskipUntil("]]>"); err != nil {
					return 0, err
				}
				continue
			case len(p) < 8 && err != nil:
				return 0, ioErr(err)
			case s.lenient:
				if err := s.oskipDirective(); err != nil {
					return 0, err
				}
				continue
			}
			return 0, malformed("unexpected <%q in the SOAP envelope", p)
		case '/':
			_, _ = s.br.ReadByte()
			if err := s.oreadName(); err != nil {
				return 0, err
			}
			if err := s.oskipSpace(); err != nil {
				return 0, err
			}
			if c, err := s.obyte(); err != nil {
				return 0, err
			} else if c != '>' {
				return 0, malformed("invalid characters in end tag </%s", s.oscr)
			}
			if len(s.ostk) == 0 || s.ostk[len(s.ostk)-1] != string(s.oscr) {
				// (the comparison does not allocate)
				return 0, malformed("unexpected end tag </%s>", s.oscr)
			}
			s.oname = s.ostk[len(s.ostk)-1]
			s.olocal = localString(s.oname)
			s.ons = s.resolve(prefixOf(s.oname))
			s.opop()
			return oEnd, nil
		}
		return oStart, s.ostart()
	}
}

// ostart reads a start tag after its "<".
func (s *scanner) ostart() error {
	if err := s.oreadName(); err != nil {
		return err
	}
	s.oname = intern(s.oscr)
	s.oself = false
	s.oattrs = s.oattrs[:0]
	for {
		if err := s.oskipSpace(); err != nil {
			return err
		}
		c, err := s.obyte()
		if err != nil {
			return err
		}
		if c == '/' {
			if c, err = s.obyte(); err != nil {
				return err
			}
			if c != '>' {
				return malformed("expected /> in <%s", s.oname)
			}
			s.oself = true
			break
		}
		if c == '>' {
			break
		}
		_ = s.br.UnreadByte()
		if err := s.oreadName(); err != nil {
			return err
		}
		name := intern(s.oscr)
		if err := s.oskipSpace(); err != nil {
			return err
		}
		if c, err = s.obyte(); err != nil {
			return err
		}
		if c != '=' {
			return malformed("attribute %s without = in <%s", name, s.oname)
		}
		if err := s.oskipSpace(); err != nil {
			return err
		}
		if c, err = s.obyte(); err != nil {
			return err
		}
		if c != '"' && c != '\'' {
			return malformed("unquoted attribute value in <%s", s.oname)
		}
		v, err := s.oattrValue(c)
		if err != nil {
			return err
		}
		s.oattrs = append(s.oattrs, oattr{name, v})
	}
	if len(s.ostk) >= maxDepth {
		return malformed("elements nested deeper than %d", maxDepth)
	}
	s.ostk = append(s.ostk, s.oname)
	depth := len(s.ostk)
	for _, a := range s.oattrs {
		switch {
		case a.name == "xmlns":
			s.obind = append(s.obind, nsBinding{"", a.value, depth})
		case len(a.name) > len("xmlns:") && strings.HasPrefix(a.name, "xmlns:"):
			s.obind = append(s.obind, nsBinding{a.name[len("xmlns:"):], a.value, depth})
		}
	}
	s.olocal = localString(s.oname)
	s.ons = s.resolve(prefixOf(s.oname))
	if s.oself {
		s.opop()
	}
	return nil
}

func (s *scanner) opop() {
	s.ostk = s.ostk[:len(s.ostk)-1]
	for len(s.obind) > 0 && s.obind[len(s.obind)-1].depth > len(s.ostk) {
		s.obind = s.obind[:len(s.obind)-1]
	}
}

func (s *scanner) resolve(prefix string) string {
	for i := len(s.obind) - 1; i >= 0; i-- {
		if s.obind[i].prefix == prefix {
			return s.obind[i].uri
		}
	}
	return ""
}

// oskipElement skips the content of the element whose start tag was just read.
func (s *scanner) oskipElement() error {
	if s.oself {
		return nil
	}
	depth := len(s.ostk)
	for len(s.ostk) >= depth {
		if _, err := s.onext(true); err != nil {
			return err
		}
	}
	return nil
}

func describe(ns, name string) string {
	if ns == "" {
		return "<" + name + ">"
	}
	return "<" + name + "> in namespace " + ns
}

// response decodes the whole envelope.
func (s *scanner) response(op, connector string, fields Fields, names map[string]string, fn func(Row) error) (Page, error) {
	var page Page
	k, err := s.onext(false)
	if err != nil {
		return page, err
	}
	if k != oStart || s.olocal != "Envelope" || s.ons != soapEnvNS {
		return page, malformed("the response is %s, not a SOAP envelope", describe(s.ons, s.oname))
	}
	if s.oself {
		return page, malformed("empty SOAP envelope")
	}
	sawBody := false
	for {
		k, err := s.onext(false)
		if err != nil {
			return page, err
		}
		if k == oEnd {
			break
		}
		switch {
		case s.olocal == "Header" && s.ons == soapEnvNS && !sawBody:
			if err := s.oskipElement(); err != nil {
				return page, err
			}
		case s.olocal == "Body" && s.ons == soapEnvNS && !sawBody:
			sawBody = true
			if page, err = s.body(op, connector, fields, names, fn); err != nil {
				return page, err
			}
		default:
			return page, malformed("unexpected %s in the SOAP envelope", describe(s.ons, s.oname))
		}
	}
	if !sawBody {
		return page, malformed("no SOAP Body")
	}
	return page, nil
}

// body decodes the SOAP Body, whose start tag was just read.
func (s *scanner) body(op, connector string, fields Fields, names map[string]string, fn func(Row) error) (Page, error) {
	var page Page
	if s.oself {
		return page, malformed("empty SOAP Body")
	}
	k, err := s.onext(false)
	if err != nil {
		return page, err
	}
	if k == oEnd {
		return page, malformed("empty SOAP Body")
	}
	if s.olocal == "Fault" && s.ons == soapEnvNS {
		f, complete, err := s.fault()
		if err != nil {
			return page, err
		}
		if !complete {
			return page, malformed("SOAP fault ends early")
		}
		return page, &FaultBody{Code: f.code(), Message: f.message()}
	}
	if s.olocal != op+"Response" || s.ons != afasNS {
		return page, malformed("the SOAP Body holds %s, expected <%sResponse> in namespace %s", describe(s.ons, s.oname), op, afasNS)
	}
	if s.oself {
		return page, malformed("no %sResult element", op)
	}
	sawResult := false
	for {
		k, err := s.onext(false)
		if err != nil {
			return page, err
		}
		if k == oEnd {
			break
		}
		if s.olocal != op+"Result" {
			return page, malformed("unexpected %s in %sResponse", describe(s.ons, s.oname), op)
		}
		if sawResult {
			return page, malformed("a second %sResult element", op)
		}
		sawResult = true
		if !s.oself {
			if page, err = s.result(connector, fields, names, fn); err != nil {
				return page, err
			}
		}
	}
	if !sawResult {
		return page, malformed("no %sResult element", op)
	}
	if k, err := s.onext(false); err != nil {
		return page, err
	} else if k != oEnd {
		return page, malformed("more than one element in the SOAP Body")
	}
	return page, nil
}

// ---------------------------------------------------------------------------------------------
// Faults

type faultText struct {
	faultcode, faultstring, pae capText // pae: the ProfitApplicationException Message
}

func (f *faultText) code() string { return f.faultcode.text() }

// message joins faultstring and the ProfitApplicationException Message as parseFault does.
func (f *faultText) message() string {
	msg := f.faultstring.trimmed()
	d := f.pae.trimmed()
	if !f.pae.done && strings.HasPrefix(msg, d) {
		d = "" // cut off by the end of the body: the start of the same text
	}
	if d != "" && d != msg {
		if msg == "" {
			msg = d
		} else {
			msg += ": " + d
		}
	}
	return cutText(msg, f.faultstring.over || f.pae.over)
}

// capText collects the start of a text, at most a little over maxFaultText bytes.
type capText struct {
	b    []byte
	over bool
	done bool // the element's end tag was read
}

func (c *capText) write(p []byte) {
	if len(c.b) == 0 {
		p = bytes.TrimLeft(p, " \t\r\n")
	}
	if room := maxFaultText + 16 - len(c.b); len(p) > room {
		p = p[:room]
		c.over = true
	}
	c.b = append(c.b, p...)
}

// trimmed is the text cleaned and trimmed; a character cut off at the end (by the cap or by a
// body that ends early) is dropped rather than shown as U+FFFD.
func (c *capText) trimmed() string {
	b := c.b
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				b = b[:i]
			}
			break
		}
	}
	return strings.TrimSpace(cleanText(b))
}

func (c *capText) text() string { return cutText(c.trimmed(), c.over) }

// cleanText makes fault text safe to log: invalid UTF-8 becomes U+FFFD, control characters
// (C0, DEL, C1, U+2028, U+2029) become spaces.
func cleanText(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r == utf8.RuneError && n == 1:
			sb.WriteRune(utf8.RuneError)
		case r < 0x20 || r >= 0x7F && r <= 0x9F || r == 0x2028 || r == 0x2029:
			sb.WriteByte(' ')
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// cutText cuts s to maxFaultText bytes on a rune boundary and marks the cut with an ellipsis.
func cutText(s string, over bool) string {
	if len(s) <= maxFaultText && !over {
		return s
	}
	if len(s) > maxFaultText {
		i := maxFaultText
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = strings.TrimRight(s[:i], " ")
	}
	return s + "…"
}

// fault reads a Fault element whose start tag was just read: faultcode, faultstring and
// detail/ProfitApplicationException/Message, by local name. On an error the texts read so far are
// returned with it; complete reports whether the Fault's end tag was reached.
func (s *scanner) fault() (f *faultText, complete bool, err error) {
	f = &faultText{}
	if s.oself {
		return f, true, nil
	}
	depth := len(s.ostk)
	// path of local names below the Fault element
	var path []string
	for {
		k, err := s.onext(true)
		if err != nil {
			return f, false, err
		}
		if k == oEnd {
			if len(s.ostk) < depth {
				return f, true, nil
			}
			path = path[:len(path)-1]
			continue
		}
		var dst *capText
		switch {
		case len(path) == 0 && s.olocal == "faultcode":
			dst = &f.faultcode
		case len(path) == 0 && s.olocal == "faultstring":
			dst = &f.faultstring
		case len(path) == 2 && s.olocal == "Message" && path[0] == "detail" && path[1] == "ProfitApplicationException":
			dst = &f.pae
		case len(path) == 0 && s.olocal == "detail", len(path) == 1 && s.olocal == "ProfitApplicationException" && path[0] == "detail":
			if !s.oself {
				path = append(path, s.olocal)
			}
			continue
		default:
			if err := s.oskipElement(); err != nil {
				return f, false, err
			}
			continue
		}
		switch {
		case dst.done || len(dst.b) > 0:
			// A repeated element: the first one counts.
			if err := s.oskipElement(); err != nil {
				return f, false, err
			}
		case !s.oself:
			if err := s.otext(dst); err != nil {
				return f, false, err
			}
		}
	}
}

// otext reads the text of the element whose start tag was just read, through its end tag,
// into dst (capped). Nested elements are skipped, their text left out.
func (s *scanner) otext(dst *capText) error {
	s.textEnd, s.inCDATA, s.lastCR = false, false, false
	s.skipNested = true
	defer func() { s.skipNested = false }()
	for !s.textEnd {
		s.ir, s.iw = 0, 0
		err := s.decodeOuter()
		dst.write(s.ib[:s.iw])
		if err != nil {
			return err
		}
	}
	s.ir, s.iw = 0, 0
	k, err := s.onext(false)
	if err != nil {
		return err
	}
	if k != oEnd {
		return malformed("unexpected element in %s", s.oname)
	}
	dst.done = true
	return nil
}

// ---------------------------------------------------------------------------------------------
// Unescaping the result element's text

func legalChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// window returns the body bytes buffered, reading when there are none.
func (s *scanner) window() ([]byte, error) {
	if s.br.Buffered() == 0 {
		if _, err := s.br.Peek(1); err != nil {
			return nil, ioErr(err)
		}
	}
	p, _ := s.br.Peek(s.br.Buffered())
	return p, nil
}

// oref reads a character or entity reference of the envelope layer after its '&'. legal is false
// for a numeric reference to a code point XML does not allow.
func (s *scanner) oref() (r rune, legal bool, err error) {
	c, err := s.obyte()
	if err != nil {
		return 0, false, err
	}
	return charRef(c, s.obyte)
}

// charRef reads a reference whose first byte after the '&' is c, the rest from next (the
// envelope's bytes or the document's).
func charRef(c byte, next func() (byte, error)) (r rune, legal bool, err error) {
	if c == '#' {
		return numRef(next)
	}
	var name [8]byte
	n := 0
	for c != ';' {
		if !isNameByte(c) || n == len(name) {
			return 0, false, malformed("invalid entity reference &%s", name[:n])
		}
		name[n] = c
		n++
		if c, err = next(); err != nil {
			return 0, false, err
		}
	}
	if r, ok := namedEntity(name[:n]); ok {
		return r, true, nil
	}
	return 0, false, malformed("unknown entity &%s;", name[:n])
}

func namedEntity(n []byte) (rune, bool) {
	switch string(n) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	return 0, false
}

// numRef reads a numeric character reference after its "&#" from next.
func numRef(next func() (byte, error)) (r rune, legal bool, err error) {
	c, err := next()
	if err != nil {
		return 0, false, err
	}
	base := rune(10)
	if c == 'x' {
		base = 16
		if c, err = next(); err != nil {
			return 0, false, err
		}
	}
	digits := 0
	for {
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			d = -1
		}
		if d < 0 {
			break
		}
		if r <= utf8.MaxRune {
			r = r*base + d
		}
		digits++
		if c, err = next(); err != nil {
			return 0, false, err
		}
	}
	if c != ';' || digits == 0 {
		return 0, false, malformed("invalid character reference")
	}
	if r > utf8.MaxRune || !legalChar(r) {
		return r, false, nil
	}
	return r, true, nil
}

// illegalMarker stands in the unescaped document for a character reference of the envelope
// layer to a code point XML does not allow. It is not valid UTF-8, so the document tokenizer
// treats it as an illegal character: a FieldError inside a value, malformed elsewhere.
const illegalMarker = 0xFF

// decodeOuter unescapes text of the current envelope element into s.ib[s.iw:]: entity and
// character references, CDATA sections, comments and processing instructions, CR LF
// normalisation. It stops when the buffer is full, when the buffered body bytes are used up
// after some output, and at the "</" of the element's end tag (s.textEnd, left unread). Any
// other element inside is an error.
func (s *scanner) decodeOuter() error {
	if s.textEnd {
		return nil
	}
	if s.ib == nil {
		s.ib = make([]byte, innerBufferBytes)
	}
	dst := s.ib
	start := s.iw
	w := s.iw
	limit := len(dst) - 8 // room for one expanded reference
	lastCR := s.lastCR
	var err error
	tagEnd := false
	for w < limit && err == nil {
		if w > start && s.br.Buffered() == 0 {
			break
		}
		var win []byte
		if win, err = s.window(); err != nil {
			break
		}
		i := 0
		stop := byte(0) // the byte that needs the slow path
		if s.inCDATA {
		cdata:
			for i < len(win) && w < limit {
				c := win[i]
				switch c {
				case ']':
					lastCR = false
					if i+3 > len(win) {
						stop = c
						break cdata
					}
					if win[i+1] == ']' && win[i+2] == '>' {
						i += 3
						s.inCDATA = false
						break cdata
					}
					dst[w] = c
					w++
					i++
				case '\r', '\n':
					if c == '\n' && lastCR {
						lastCR = false
						i++
						continue
					}
					dst[w] = '\n'
					w++
					i++
					lastCR = c == '\r'
				default:
					dst[w] = c
					w++
					i++
					lastCR = false
				}
			}
			_, _ = s.br.Discard(i)
			if stop == ']' {
				var p []byte
				if p, err = s.opeek(3); err != nil {
					break
				}
				if string(p) == "]]>" {
					_, _ = s.br.Discard(3)
					s.inCDATA = false
				} else {
					_, _ = s.br.Discard(1)
					dst[w] = ']'
					w++
				}
			}
			continue
		}
	scan:
		for i < len(win) && w < limit {
			c := win[i]
			switch c {
			case '&':
				lastCR = false
				if len(win)-i >= 6 {
					if r, n := fastEntity(win[i:]); n > 0 {
						dst[w] = r
						w++
						i += n
						if r == '>' && s.trickle {
							tagEnd = true
							break scan
						}
						continue
					}
				}
				stop = c
				break scan
			case '<':
				lastCR = false
				stop = c
				break scan
			case '\r', '\n':
				if c == '\n' && lastCR {
					lastCR = false
					i++
					continue
				}
				dst[w] = '\n'
				w++
				i++
				lastCR = c == '\r'
			default:
				// Plain text, eight bytes at a time while no byte needs the slow path; dst
				// has room for eight past limit.
				for len(win)-i >= 8 && w < limit {
					x := binary.LittleEndian.Uint64(win[i:])
					binary.LittleEndian.PutUint64(dst[w:], x)
					if m := outerSpecial(x); m != 0 {
						n := bits.TrailingZeros64(m) >> 3
						i += n
						w += n
						break
					}
					i += 8
					w += 8
				}
				for i < len(win) && w < limit {
					c := win[i]
					if c == '&' || c == '<' || c == '\r' || c == '\n' {
						break
					}
					dst[w] = c
					w++
					i++
				}
				lastCR = false
			}
		}
		_, _ = s.br.Discard(i)
		if tagEnd {
			break
		}
		switch stop {
		case '&':
			_, _ = s.br.Discard(1)
			var r rune
			var legal bool
			if r, legal, err = s.oref(); err != nil {
				break
			}
			if legal {
				w += utf8.EncodeRune(dst[w:], r)
			} else {
				dst[w] = illegalMarker
				w++
			}
		case '<':
			var done bool
			if done, err = s.outerMarkup(); done {
				s.lastCR = false
				s.iw = w
				return err
			}
		}
	}
	s.lastCR = lastCR
	s.iw = w
	return err
}

// outerSpecial returns a word with the high bit set in the byte of x (little endian) that is the
// first '&', '<', CR or LF, zero if none is. Bytes above the first one found may be marked
// wrongly (the borrow of the zero-byte test), so only the lowest mark counts.
func outerSpecial(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - lo) &^ v & hi }
	return zero(x^(lo*'&')) | zero(x^(lo*'<')) | zero(x^(lo*'\r')) | zero(x^(lo*'\n'))
}

// outerMarkup handles markup at '<' inside an envelope element's text: a comment or processing
// instruction is skipped, CDATA entered; at an end tag done is true and the tag is left unread.
func (s *scanner) outerMarkup() (done bool, err error) {
	p, err := s.opeek(2)
	if err != nil {
		return true, err
	}
	switch p[1] {
	case '/':
		s.textEnd = true
		return true, nil
	case '?':
		_, _ = s.br.Discard(2)
		return false, s.oskipPI()
	case '!':
		p, err := s.br.Peek(9)
		switch {
		case bytes.HasPrefix(p, []byte("<!--")):
			_, _ = s.br.Discard(4)
			return false, skipComment(s.obyte)
		case bytes.HasPrefix(p, []byte("<![CDATA[")):
			_, _ = s.br.Discard(9)
			s.inCDATA = true
			return false, nil
		case len(p) < 9 && err != nil:
			return true, ioErr(err)
		}
		return true, malformed("unexpected <! in the text of %s", s.oname)
	}
	if s.skipNested {
		// Inside fault texts, as encoding/xml does for a string field: skip the element.
		_, _ = s.br.Discard(1)
		if err := s.ostart(); err != nil {
			return true, err
		}
		return false, s.oskipElement()
	}
	return true, malformed("element inside the text of %s", s.oname)
}

// fastEntity decodes one of the five predefined entities at the start of p (len(p) >= 6).
func fastEntity(p []byte) (byte, int) {
	switch p[1] {
	case 'l':
		if p[2] == 't' && p[3] == ';' {
			return '<', 4
		}
	case 'g':
		if p[2] == 't' && p[3] == ';' {
			return '>', 4
		}
	case 'a':
		if p[2] == 'm' && p[3] == 'p' && p[4] == ';' {
			return '&', 5
		}
		if p[2] == 'p' && p[3] == 'o' && p[4] == 's' && p[5] == ';' {
			return '\'', 6
		}
	case 'q':
		if p[2] == 'u' && p[3] == 'o' && p[4] == 't' && p[5] == ';' {
			return '"', 6
		}
	}
	return 0, 0
}

// ---------------------------------------------------------------------------------------------
// The result document

// ifill makes more of the unescaped document available in s.ib[s.ir:s.iw]; at the end of the
// result element's text it adds nothing. An error comes after the text decoded before it, so
// the outcome does not depend on how the body arrives in reads.
func (s *scanner) ifill() error {
	if s.ierr != nil {
		return s.ierr
	}
	if s.ir > 0 {
		n := copy(s.ib, s.ib[s.ir:s.iw])
		s.ir, s.iw = 0, n
	}
	for !s.textEnd {
		before := s.iw
		err := s.decodeOuter()
		if err != nil {
			if s.iw > before {
				s.ierr = err
				return nil
			}
			return err
		}
		if s.iw > before {
			return nil
		}
	}
	return nil
}

// ipeek returns at least n unread bytes of the document, fewer only at its end.
func (s *scanner) ipeek(n int) ([]byte, error) {
	for s.iw-s.ir < n && !s.textEnd {
		if err := s.ifill(); err != nil {
			return nil, err
		}
	}
	return s.ib[s.ir:s.iw], nil
}

// more reports whether unread document bytes remain, filling when needed.
func (s *scanner) more() (bool, error) {
	if s.ir < s.iw {
		return true, nil
	}
	if err := s.ifill(); err != nil {
		return false, err
	}
	return s.ir < s.iw, nil
}

func (s *scanner) early() error {
	if len(s.stkOff) > 0 {
		return malformed("result document ends inside <%s>", s.stk[s.stkOff[len(s.stkOff)-1]:])
	}
	return malformed("result document ends early")
}

func (s *scanner) ibyte() (byte, error) {
	if ok, err := s.more(); err != nil {
		return 0, err
	} else if !ok {
		return 0, s.early()
	}
	c := s.ib[s.ir]
	s.ir++
	return c, nil
}

// readName reads a name into *dst, checking it as checkName does.
func (s *scanner) readName(dst *[]byte) error {
	*dst = (*dst)[:0]
	colons, high := 0, byte(0)
	for {
		if ok, err := s.more(); err != nil {
			return err
		} else if !ok {
			return s.early()
		}
		b := s.ib[s.ir:s.iw]
		i := 0
		for i < len(b) {
			c := b[i]
			if c == ':' {
				colons++
			} else if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-' || c >= utf8.RuneSelf) {
				break
			}
			high |= c
			i++
		}
		*dst = append(*dst, b[:i]...)
		s.ir += i
		if len(*dst) > maxNameBytes {
			return malformed("name longer than %d bytes", maxNameBytes)
		}
		if i < len(b) {
			break
		}
	}
	n := *dst
	switch {
	case len(n) == 0:
		return malformed("expected a name")
	case '0' <= n[0] && n[0] <= '9' || n[0] == '.' || n[0] == '-' || colons > 1:
		return malformed("invalid name %q", n)
	case high >= utf8.RuneSelf && !utf8.Valid(n):
		return malformed("name is not valid UTF-8")
	}
	return nil
}

func (s *scanner) skipSpace() error {
	for {
		if ok, err := s.more(); err != nil {
			return err
		} else if !ok {
			return s.early()
		}
		b := s.ib[s.ir:s.iw]
		i := 0
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		s.ir += i
		if i < len(b) {
			return nil
		}
	}
}

// skipTo skips the document up to and including end.
func (s *scanner) skipTo(end string) error {
	for {
		p, err := s.ipeek(len(end))
		if err != nil {
			return err
		}
		if len(p) < len(end) {
			return s.early()
		}
		if i := bytes.Index(p, []byte(end)); i >= 0 {
			s.ir += i + len(end)
			return nil
		}
		s.ir += len(p) - len(end) + 1
	}
}

type mk int

const (
	mkStart mk = iota // a start tag, name in s.qn; pushed unless self-closing
	mkEnd             // an end tag matching the open element, popped
	mkSkip            // a comment or processing instruction, skipped
	mkCDATA           // "<![CDATA[" consumed
)

// markup reads the markup at s.ir, which is '<'.
func (s *scanner) markup() (k mk, self bool, err error) {
	p, err := s.ipeek(2)
	if err != nil {
		return 0, false, err
	}
	if len(p) < 2 {
		return 0, false, s.early()
	}
	switch p[1] {
	case '/':
		// Fast path: the end tag of the open element, "</name>".
		if n := len(s.stkOff); n > 0 {
			top := s.stk[s.stkOff[n-1]:]
			if len(p) >= len(top)+3 && p[len(top)+2] == '>' && bytes.Equal(p[2:len(top)+2], top) {
				s.ir += len(top) + 3
				s.stk = s.stk[:s.stkOff[n-1]]
				s.stkOff = s.stkOff[:n-1]
				return mkEnd, false, nil
			}
		}
		s.ir += 2
		if err := s.readName(&s.qn); err != nil {
			return 0, false, err
		}
		if err := s.skipSpace(); err != nil {
			return 0, false, err
		}
		if c, err := s.ibyte(); err != nil {
			return 0, false, err
		} else if c != '>' {
			return 0, false, malformed("invalid characters in end tag </%s", s.qn)
		}
		return mkEnd, false, s.pop()
	case '?':
		s.ir += 2
		if err := s.readName(&s.an); err != nil {
			return 0, false, err
		}
		return mkSkip, false, s.skipTo("?>")
	case '!':
		p, err := s.ipeek(9)
		if err != nil {
			return 0, false, err
		}
		switch {
		case bytes.HasPrefix(p, []byte("<!--")):
			s.ir += 4
			return mkSkip, false, skipComment(s.ibyte)
		case bytes.HasPrefix(p, []byte("<![CDATA[")):
			s.ir += 9
			return mkCDATA, false, nil
		case len(p) < 9:
			return 0, false, s.early()
		}
		return 0, false, malformed("DTDs and directives are not part of a result document")
	}
	s.ir++
	err = s.startTag(&self)
	return mkStart, self, err
}

// startTag reads a start tag after its '<'. Attributes are skipped, except the name and type
// attributes of an element tag while s.wantAttrs.
func (s *scanner) startTag(self *bool) error {
	if err := s.readName(&s.qn); err != nil {
		return err
	}
	collect := s.wantAttrs && string(localName(s.qn)) == "element"
	s.haveName, s.haveType = false, false
	s.aName, s.aType = "", ""
	for {
		if err := s.skipSpace(); err != nil {
			return err
		}
		c, err := s.ibyte()
		if err != nil {
			return err
		}
		if c == '/' {
			if c, err = s.ibyte(); err != nil {
				return err
			}
			if c != '>' {
				return malformed("expected /> in <%s", s.qn)
			}
			*self = true
			return nil
		}
		if c == '>' {
			return s.push()
		}
		s.ir-- // unread c
		if err := s.readName(&s.an); err != nil {
			return err
		}
		if err := s.skipSpace(); err != nil {
			return err
		}
		if c, err = s.ibyte(); err != nil {
			return err
		}
		if c != '=' {
			return malformed("attribute without = in <%s", s.qn)
		}
		if err := s.skipSpace(); err != nil {
			return err
		}
		quote, err := s.ibyte()
		if err != nil {
			return err
		}
		if quote != '"' && quote != '\'' {
			return malformed("unquoted attribute value in <%s", s.qn)
		}
		local := string(localName(s.an))
		switch {
		case collect && local == "name" && !s.haveName:
			s.haveName = true
			s.aName, err = s.attrValue(quote)
		case collect && local == "type" && !s.haveType:
			s.haveType = true
			s.aType, err = s.attrValue(quote)
		default:
			err = s.skipAttrValue(quote)
		}
		if err != nil {
			return err
		}
	}
}

func (s *scanner) skipAttrValue(quote byte) error {
	for {
		if ok, err := s.more(); err != nil {
			return err
		} else if !ok {
			return s.early()
		}
		b := s.ib[s.ir:s.iw]
		for i, c := range b {
			if c == quote {
				s.ir += i + 1
				return nil
			}
			if c == '<' {
				return malformed("unescaped < inside an attribute value")
			}
		}
		s.ir = s.iw
	}
}

// attrValue reads and unescapes a quoted attribute value (the quote already read).
func (s *scanner) attrValue(quote byte) (string, error) {
	s.val = s.val[:0]
	cr := false
	for {
		if s.ir < s.iw {
			b := s.ib[s.ir:s.iw]
			i := 0
			for i < len(b) && b[i] >= 0x20 && b[i] < utf8.RuneSelf && b[i] != quote && b[i] != '&' && b[i] != '<' {
				i++
			}
			if i > 0 {
				s.val = append(s.val, b[:i]...)
				s.ir += i
				cr = false
				if len(s.val) > maxAttrBytes {
					return "", malformed("attribute value longer than %d bytes", maxAttrBytes)
				}
			}
		}
		c, err := s.ibyte()
		if err != nil {
			return "", err
		}
		switch {
		case c == quote:
			if !utf8.Valid(s.val) {
				return "", malformed("attribute value is not valid UTF-8")
			}
			return intern(s.val), nil
		case c == '<':
			return "", malformed("unescaped < inside an attribute value")
		case c == '&':
			r, legal, err := s.iref()
			if err != nil {
				return "", err
			}
			if !legal {
				return "", malformed("attribute value holds a character XML does not allow")
			}
			s.val = utf8.AppendRune(s.val, r)
			cr = false
			continue
		case c == '\n' && cr:
		case c == '\r':
			s.val = append(s.val, '\n')
		case c < 0x20 && c != '\t' && c != '\n' || c == illegalMarker:
			return "", malformed("attribute value holds a character XML does not allow")
		default:
			s.val = append(s.val, c)
		}
		cr = c == '\r'
		if len(s.val) > maxAttrBytes {
			return "", malformed("attribute value longer than %d bytes", maxAttrBytes)
		}
	}
}

// iref reads a character or entity reference of the document after its '&'.
func (s *scanner) iref() (r rune, legal bool, err error) {
	if p, err := s.ipeek(5); err != nil {
		return 0, false, err
	} else if len(p) >= 5 {
		// fastEntity expects the '&' (already consumed) in front of the bytes after it.
		var q [6]byte
		q[0] = '&'
		copy(q[1:], p)
		if b, n := fastEntity(q[:]); n > 0 {
			s.ir += n - 1
			return rune(b), true, nil
		}
	}
	c, err := s.ibyte()
	if err != nil {
		return 0, false, err
	}
	return charRef(c, s.ibyte)
}

func (s *scanner) push() error {
	if len(s.stkOff) >= maxDepth {
		return malformed("elements nested deeper than %d", maxDepth)
	}
	s.stkOff = append(s.stkOff, len(s.stk))
	s.stk = append(s.stk, s.qn...)
	return nil
}

func (s *scanner) pop() error {
	if len(s.stkOff) == 0 {
		return malformed("unexpected end tag </%s>", s.qn)
	}
	off := s.stkOff[len(s.stkOff)-1]
	if !bytes.Equal(s.stk[off:], s.qn) {
		return malformed("element <%s> closed by </%s>", s.stk[off:], s.qn)
	}
	s.stk = s.stk[:off]
	s.stkOff = s.stkOff[:len(s.stkOff)-1]
	return nil
}

// nextMarkup skips whitespace, comments and processing instructions and reads the next tag.
// Other text (CDATA included) is an error, described by where.
func (s *scanner) nextMarkup(where string) (mk, bool, error) {
	for {
		if err := s.skipSpace(); err != nil {
			return 0, false, err
		}
		if s.ib[s.ir] != '<' {
			return 0, false, malformed("text %s", where)
		}
		k, self, err := s.markup()
		if err != nil || k == mkSkip {
			if err != nil {
				return 0, false, err
			}
			continue
		}
		if k == mkCDATA {
			return 0, false, malformed("text %s", where)
		}
		return k, self, nil
	}
}

// skipContent skips the content of the element on top of the stack, through its end tag.
func (s *scanner) skipContent() error {
	depth := len(s.stkOff)
	for {
		if ok, err := s.more(); err != nil {
			return err
		} else if !ok {
			return s.early()
		}
		b := s.ib[s.ir:s.iw]
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			s.ir = s.iw
			continue
		}
		s.ir += i
		k, _, err := s.markup()
		if err != nil {
			return err
		}
		switch k {
		case mkCDATA:
			if err := s.skipTo("]]>"); err != nil {
				return err
			}
		case mkEnd:
			if len(s.stkOff) < depth {
				return nil
			}
		}
	}
}

// fieldInfo is a whitelisted field as the wire names it.
type fieldInfo struct {
	name string // koppel's name
	kind Kind
	col  int // its column in the Row
}

// doc is the state of decoding one result document.
type doc struct {
	connector string
	fields    Fields
	names     map[string]string
	fn        func(Row) error
	rb        *rowBuilder
	page      Page
	dropped   map[string]struct{}
	// AFAS writes the fields of every row in the same order: order lists the wire names seen, in
	// that order, with what they map to; pos is where the next field of a row is expected. With
	// Outputoptions 2 a row may leave fields out, so a miss searches on from pos.
	order []slot
	pos   int
	spare slot // the slot of a field beyond maxDepth distinct names
	raw   rawState
}

// slot is a field as the rows name it.
type slot struct {
	wire []byte
	info fieldInfo
	ok   bool
	// plain: the wire name is a valid unprefixed ASCII name, which rawRow may match byte for
	// byte; noted: the field is not whitelisted and Page.Dropped has seen it.
	plain, noted bool
}

// result decodes the text of the result element, whose start tag was just read, through the
// element's end tag.
func (s *scanner) result(connector string, fields Fields, names map[string]string, fn func(Row) error) (Page, error) {
	d := &s.d
	*d = doc{
		connector: connector,
		fields:    fields,
		names:     names,
		fn:        fn,
		rb:        newRowBuilder(fields),
	}
	s.textEnd, s.inCDATA, s.lastCR = false, false, false
	s.ir, s.iw = 0, 0
	s.startRaw(d)
	err := s.document(d)
	s.trickle = false
	for f := range d.dropped {
		d.page.Dropped = append(d.page.Dropped, f)
	}
	sort.Strings(d.page.Dropped)
	if err != nil {
		return d.page, err
	}
	if k, err := s.onext(false); err != nil {
		return d.page, err
	} else if k != oEnd {
		return d.page, malformed("element inside the result")
	}
	return d.page, nil
}

// resolve maps a wire name to the whitelisted field it carries. A koppel field that names renames
// to another wire name is not read under its own name.
func (d *doc) resolve(wire []byte) (fieldInfo, bool) {
	if len(d.names) > 0 {
		if f, ok := d.names[string(wire)]; ok {
			k, ok := d.fields[f]
			if !ok {
				return fieldInfo{}, false
			}
			return fieldInfo{f, k, d.rb.lay.index(f)}, true
		}
		for w, f := range d.names {
			if f == string(wire) && w != f {
				return fieldInfo{}, false
			}
		}
	}
	k, ok := d.fields[string(wire)]
	if !ok {
		return fieldInfo{}, false
	}
	name := string(wire)
	return fieldInfo{name, k, d.rb.lay.index(name)}, true
}

// document decodes the result document up to the end of the result element's text.
func (s *scanner) document(d *doc) error {
	// Prolog: an empty (or blank) document means no rows.
	markup := false
	for {
		if err := s.skipSpaceOrEnd(); err != nil {
			return err
		}
		if s.ir == s.iw {
			if markup {
				return malformed("no AfasGetConnector element")
			}
			return nil
		}
		if s.ib[s.ir] != '<' {
			return malformed("text before the AfasGetConnector element")
		}
		k, self, err := s.markup()
		if err != nil {
			return err
		}
		if k == mkSkip {
			markup = true
			continue
		}
		if k != mkStart {
			return malformed("no AfasGetConnector element")
		}
		if name := localName(s.qn); string(name) != "AfasGetConnector" {
			return malformed("root element is %s, expected AfasGetConnector", name)
		}
		if !self {
			if err := s.rows(d); err != nil {
				return err
			}
		}
		break
	}
	// Epilog: only whitespace, comments and processing instructions.
	for {
		if err := s.skipSpaceOrEnd(); err != nil {
			return err
		}
		if s.ir == s.iw {
			return nil
		}
		if s.ib[s.ir] != '<' {
			return malformed("content after the AfasGetConnector element")
		}
		k, _, err := s.markup()
		if err != nil {
			return err
		}
		if k != mkSkip {
			return malformed("content after the AfasGetConnector element")
		}
	}
}

// skipSpaceOrEnd skips whitespace; at the end of the document it leaves s.ir == s.iw.
func (s *scanner) skipSpaceOrEnd() error {
	for {
		if ok, err := s.more(); err != nil || !ok {
			return err
		}
		b := s.ib[s.ir:s.iw]
		i := 0
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		s.ir += i
		if i < len(b) {
			return nil
		}
	}
}

// rows decodes the content of the AfasGetConnector element.
func (s *scanner) rows(d *doc) error {
	for {
		if d.raw.on {
			if ok, err := s.rawRow(d); ok || err != nil {
				if err != nil {
					return err
				}
				continue
			}
		}
		k, self, err := s.nextMarkup("between rows")
		if err != nil {
			return err
		}
		if k == mkEnd {
			return nil
		}
		name := localName(s.qn)
		if string(name) == "schema" {
			sf, err := s.schema(self, d.connector)
			if err != nil {
				return err
			}
			d.page.Schema = sf
			continue
		}
		if string(name) != d.connector {
			return malformed("row element %s, expected %s", name, d.connector)
		}
		if err := s.row(d, self); err != nil {
			return err
		}
	}
}

func (s *scanner) row(d *doc, self bool) error {
	d.rb.reset()
	d.pos = 0
	if !self {
		for {
			if s.fastStart(d) {
				if err := s.field(d, false); err != nil {
					return err
				}
				continue
			}
			k, fself, err := s.nextMarkup("inside a row, outside its fields")
			if err != nil {
				return err
			}
			if k == mkEnd {
				break
			}
			if err := s.field(d, fself); err != nil {
				return err
			}
		}
	}
	d.page.Rows++
	return d.fn(d.rb.finish())
}

// fastStart reads the start tag "<wire>" of the field the rows before predict (d.order[d.pos]),
// AFAS's usual case, without the general tokenizer. Anything else (another name, a prefix,
// attributes, whitespace, a self-closing tag, a tag split over the buffer's end) returns false
// with nothing read, for markup to read as before.
func (s *scanner) fastStart(d *doc) bool {
	if d.pos >= len(d.order) || len(s.stkOff) >= maxDepth {
		return false
	}
	wire := d.order[d.pos].wire
	n := len(wire)
	p := s.ib[s.ir:s.iw]
	if len(p) < n+2 || p[0] != '<' || p[n+1] != '>' || !bytes.Equal(p[1:n+1], wire) {
		return false
	}
	s.ir += n + 2
	s.qn = append(s.qn[:0], wire...)
	s.stkOff = append(s.stkOff, len(s.stk))
	s.stk = append(s.stk, wire...)
	return true
}

// lookup maps a field's wire name to its slot, predicting from the field order of the rows
// before.
func (s *scanner) lookup(d *doc, wire []byte) *slot {
	if sl := d.find(wire); sl != nil {
		return sl
	}
	info, ok := d.resolve(wire)
	if len(d.order) >= maxDepth {
		// A row with more distinct field names than any AFAS connector: no more slots.
		d.spare = slot{info: info, ok: ok}
		return &d.spare
	}
	var name []byte
	if len(s.arena)+len(wire) <= cap(s.arena) {
		name = s.arena[len(s.arena) : len(s.arena)+len(wire) : len(s.arena)+len(wire)]
		s.arena = s.arena[:len(s.arena)+len(wire)]
		copy(name, wire)
	} else {
		name = append([]byte(nil), wire...)
	}
	if d.order == nil {
		d.order = make([]slot, 0, min(len(d.fields)+4, 64))
	}
	d.order = append(d.order, slot{})
	copy(d.order[d.pos+1:], d.order[d.pos:])
	d.order[d.pos] = slot{wire: name, info: info, ok: ok, plain: plainName(name)}
	d.pos++
	return &d.order[d.pos-1]
}

// find returns the slot of a wire name seen before, nil for a new one.
func (d *doc) find(wire []byte) *slot {
	for i := d.pos; i < len(d.order); i++ {
		if bytes.Equal(d.order[i].wire, wire) {
			d.pos = i + 1
			return &d.order[i]
		}
	}
	for i := 0; i < d.pos && i < len(d.order); i++ {
		if bytes.Equal(d.order[i].wire, wire) {
			d.pos = i + 1
			return &d.order[i]
		}
	}
	return nil
}

func (s *scanner) field(d *doc, self bool) error {
	wire := localName(s.qn)
	sl := s.lookup(d, wire)
	info, ok := sl.info, sl.ok
	if !ok {
		d.drop(wire)
		if self {
			return nil
		}
		return s.skipContent()
	}
	s.val = s.val[:0]
	var bad error
	cleaned := false
	if !self && !s.fastText() {
		var err error
		if bad, cleaned, err = s.fieldText(); err != nil {
			return err
		}
	}
	rb := d.rb
	if bad != nil {
		rb.errs = append(rb.errs, FieldError{Field: info.name, Err: bad})
		rb.null(info.col)
		return nil
	}
	if cleaned && info.kind == String && !contains(rb.clean, info.name) {
		rb.clean = append(rb.clean, info.name)
	}
	if err := rb.set(info.col, s.val); err != nil {
		rb.errs = append(rb.errs, FieldError{Field: info.name, Err: err})
	}
	return nil
}

// drop notes a field outside the whitelist for Page.Dropped, under koppel's name when renamed.
func (d *doc) drop(wire []byte) {
	if d.dropped == nil {
		d.dropped = map[string]struct{}{}
	}
	if name, renamed := d.names[string(wire)]; renamed {
		if len(d.dropped) < maxDropped {
			d.dropped[name] = struct{}{}
		}
	} else if _, seen := d.dropped[string(wire)]; !seen && len(d.dropped) < maxDropped {
		d.dropped[string(wire)] = struct{}{}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// fastText reads the value of AFAS's usual field, printable ASCII without references followed by
// the end tag of the open element, into s.val, without fieldText's general loop. Anything else
// (a reference, a line break, CDATA, a nested element, a multi-byte character, a value running
// past the buffered bytes) returns false with nothing read, for fieldText to read as before.
func (s *scanner) fastText() bool {
	p := s.ib[s.ir:s.iw]
	i := 0
	for i < len(p) && p[i] >= 0x20 && p[i] < utf8.RuneSelf && p[i] != '<' && p[i] != '&' {
		i++
	}
	n := len(s.stkOff)
	if n == 0 || i > MaxValueBytes {
		return false
	}
	top := s.stk[s.stkOff[n-1]:]
	end := p[i:]
	if len(end) < len(top)+3 || end[0] != '<' || end[1] != '/' || end[len(top)+2] != '>' || !bytes.Equal(end[2:len(top)+2], top) {
		return false
	}
	s.val = append(s.val[:0], p[:i]...)
	s.ir += i + len(top) + 3
	s.stk = s.stk[:s.stkOff[n-1]]
	s.stkOff = s.stkOff[:n-1]
	return true
}

// fieldText reads a whitelisted field's content after its start tag, through its end tag, into
// s.val: text, references and CDATA, with line breaks and tabs replaced by a space (cleaned).
// Nested elements are skipped, as DecodeResult does. bad is set for an illegal character or a
// value longer than MaxValueBytes; s.val is then no longer filled.
func (s *scanner) fieldText() (bad error, cleaned bool, err error) {
	cr := false // the previous character was a raw CR: a raw LF after it is dropped
	cdata := false
	add := func(p []byte) {
		if bad != nil {
			return
		}
		if len(s.val)+len(p) > MaxValueBytes {
			bad = ErrValueTooLong
			s.val = s.val[:0]
			return
		}
		s.val = append(s.val, p...)
	}
	space := []byte{' '}
	illegal := func(r rune) {
		if bad == nil {
			bad = &charError{r}
			s.val = s.val[:0]
		}
	}
	for {
		if s.ir == s.iw {
			if err = s.ifill(); err != nil {
				return
			}
			if s.ir == s.iw {
				err = s.early()
				return
			}
		}
		b := s.ib[s.ir:s.iw]
		i := 0
		if cdata {
			for i < len(b) && b[i] >= 0x20 && b[i] < utf8.RuneSelf && b[i] != ']' {
				i++
			}
		} else {
			for i < len(b) && b[i] >= 0x20 && b[i] < utf8.RuneSelf && b[i] != '<' && b[i] != '&' {
				i++
			}
		}
		if i > 0 {
			add(b[:i])
			s.ir += i
			cr = false
			if i == len(b) {
				continue
			}
		}
		c := b[i]
		switch {
		case c == '<':
			var k mk
			var self bool
			if k, self, err = s.markup(); err != nil {
				return
			}
			switch k {
			case mkEnd:
				return
			case mkCDATA:
				cdata = true
			case mkStart:
				if !self {
					if err = s.skipContent(); err != nil {
						return
					}
				}
			}
			cr = false
		case c == ']':
			var p []byte
			if p, err = s.ipeek(3); err != nil {
				return
			}
			if len(p) >= 3 && p[1] == ']' && p[2] == '>' {
				s.ir += 3
				cdata = false
			} else {
				s.ir++
				add(p[:1])
			}
			cr = false
		case c == '&':
			s.ir++
			var r rune
			var legal bool
			if r, legal, err = s.iref(); err != nil {
				return
			}
			switch {
			case !legal:
				illegal(r)
			case r == '\t' || r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029:
				add(space)
				cleaned = true
			default:
				var enc [utf8.UTFMax]byte
				add(enc[:utf8.EncodeRune(enc[:], r)])
			}
			cr = false
		case c == '\n' && cr:
			s.ir++
			cr = false
		case c == '\r' || c == '\n' || c == '\t':
			s.ir++
			add(space)
			cleaned = true
			cr = c == '\r'
		case c < 0x20:
			s.ir++
			illegal(rune(c))
			cr = false
		default: // a multi-byte character
			var p []byte
			if p, err = s.ipeek(utf8.UTFMax); err != nil {
				return
			}
			r, n := utf8.DecodeRune(p)
			switch {
			case r == utf8.RuneError && n == 1:
				illegal(-1)
			case r == 0x85 || r == 0x2028 || r == 0x2029:
				add(space)
				cleaned = true
			case r == 0xFFFE || r == 0xFFFF:
				illegal(r)
			default:
				add(p[:n])
			}
			s.ir += n
			cr = false
		}
	}
}

// schema reads the inline xs:schema whose start tag was just read, with decodeSchema's rules:
// the fields are the xs:elements with a type below the element named after the connector.
func (s *scanner) schema(self bool, connector string) ([]SchemaField, error) {
	if self {
		return nil, nil
	}
	var out []SchemaField
	s.wantAttrs = true
	defer func() { s.wantAttrs = false }()
	inConnector := 0
	depth := 1
	for depth > 0 {
		if ok, err := s.more(); err != nil {
			return nil, err
		} else if !ok {
			return nil, s.early()
		}
		b := s.ib[s.ir:s.iw]
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			s.ir = s.iw
			continue
		}
		s.ir += i
		k, self, err := s.markup()
		if err != nil {
			return nil, err
		}
		switch k {
		case mkCDATA:
			if err := s.skipTo("]]>"); err != nil {
				return nil, err
			}
		case mkStart:
			depth++
			if string(localName(s.qn)) == "element" {
				if s.aName == connector && inConnector == 0 {
					inConnector = depth
				} else if inConnector > 0 && s.aType != "" {
					out = append(out, SchemaField{Name: s.aName, Kind: values.KindFromXSD(s.aType), XSD: s.aType})
				}
			}
			if self {
				if depth == inConnector {
					inConnector = 0
				}
				depth--
			}
		case mkEnd:
			if depth == inConnector {
				inConnector = 0
			}
			depth--
		}
	}
	return out, nil
}
