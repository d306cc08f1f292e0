package afas

import (
	"errors"
	"fmt"
	"io"
)

// This file decodes a GetAttachment answer of AppConnectorSubject.asmx in one pass: the envelope
// with the scanner of stream.go, the text of GetAttachmentResult (base64) unescaped in the
// scanner's small buffer and decoded quantum by quantum straight into the caller's writer. An
// attachment is never held whole: memory stays the same for 1 KB and for 1 GB.

// ErrNotBase64 is wrapped by the error of an attachment whose text is not base64.
var ErrNotBase64 = errors.New("the attachment is not base64")

// FileTooLargeError is an attachment larger than the cap; the decoding stopped at the cap.
type FileTooLargeError struct{ Limit int64 }

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("the attachment is larger than %d bytes (max_file_mb)", e.Limit)
}

// writeError is a failure of the writer an attachment is decoded into (a full disk): never
// AFAS's fault, never retried.
type writeError struct{ err error }

func (e *writeError) Error() string { return "write attachment: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// DecodeAttachment reads one GetAttachment response envelope from r and writes the decoded file
// to w, at most max bytes (max <= 0: no cap). It returns the bytes written. Errors: a SOAP fault
// is a *FaultBody; text that is not base64 wraps ErrNotBase64; more than max bytes is a
// *FileTooLargeError; an envelope not of GetAttachment's shape wraps ErrMalformed; an error of w
// is returned wrapped (errors.Is sees it). After an error w may hold a part of the file.
func DecodeAttachment(r io.Reader, w io.Writer, max int64) (int64, error) {
	s := newScanner(r)
	sink := &b64sink{w: w, max: max}
	err := s.attachmentEnvelope(sink)
	if err == nil {
		err = sink.close()
	}
	if _, fault := err.(*FaultBody); err == nil || fault {
		s.drain()
	}
	return sink.n, err
}

// attachmentEnvelope walks Envelope, optional Header, Body and GetAttachmentResponse.
func (s *scanner) attachmentEnvelope(sink *b64sink) error {
	const op = "GetAttachment"
	k, err := s.onext(false)
	if err != nil {
		return err
	}
	if k != oStart || s.olocal != "Envelope" || s.ons != soapEnvNS {
		return malformed("the response is %s, not a SOAP envelope", describe(s.ons, s.oname))
	}
	if s.oself {
		return malformed("empty SOAP envelope")
	}
	sawBody := false
	for {
		k, err := s.onext(false)
		if err != nil {
			return err
		}
		if k == oEnd {
			break
		}
		switch {
		case s.olocal == "Header" && s.ons == soapEnvNS && !sawBody:
			if err := s.oskipElement(); err != nil {
				return err
			}
		case s.olocal == "Body" && s.ons == soapEnvNS && !sawBody:
			sawBody = true
			if err := s.attachmentBody(op, sink); err != nil {
				return err
			}
		default:
			return malformed("unexpected %s in the SOAP envelope", describe(s.ons, s.oname))
		}
	}
	if !sawBody {
		return malformed("no SOAP Body")
	}
	return nil
}

func (s *scanner) attachmentBody(op string, sink *b64sink) error {
	if s.oself {
		return malformed("empty SOAP Body")
	}
	k, err := s.onext(false)
	if err != nil {
		return err
	}
	if k == oEnd {
		return malformed("empty SOAP Body")
	}
	if s.olocal == "Fault" && s.ons == soapEnvNS {
		f, complete, err := s.fault()
		if err != nil {
			return err
		}
		if !complete {
			return malformed("SOAP fault ends early")
		}
		return &FaultBody{Code: f.code(), Message: f.message()}
	}
	if s.olocal != op+"Response" || s.ons != afasNS {
		return malformed("the SOAP Body holds %s, expected <%sResponse> in namespace %s", describe(s.ons, s.oname), op, afasNS)
	}
	if s.oself {
		return malformed("no %sResult element", op)
	}
	sawResult := false
	for {
		k, err := s.onext(false)
		if err != nil {
			return err
		}
		if k == oEnd {
			break
		}
		if s.olocal != op+"Result" {
			return malformed("unexpected %s in %sResponse", describe(s.ons, s.oname), op)
		}
		if sawResult {
			return malformed("a second %sResult element", op)
		}
		sawResult = true
		if !s.oself {
			if err := s.streamText(sink); err != nil {
				return err
			}
		}
	}
	if !sawResult {
		return malformed("no %sResult element", op)
	}
	if k, err := s.onext(false); err != nil {
		return err
	} else if k != oEnd {
		return malformed("more than one element in the SOAP Body")
	}
	return nil
}

// streamText hands the unescaped text of the element whose start tag was just read to sink, a
// buffer at a time, through its end tag. An element inside the text is an error.
func (s *scanner) streamText(sink *b64sink) error {
	s.textEnd, s.inCDATA, s.lastCR = false, false, false
	for !s.textEnd {
		s.ir, s.iw = 0, 0
		err := s.decodeOuter()
		if werr := sink.write(s.ib[:s.iw]); werr != nil {
			return werr
		}
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
	return nil
}

// b64sink decodes standard base64 (with padding; white space and line breaks anywhere are
// ignored, as .NET writes base64 with or without them) into w, counting and capping the bytes.
type b64sink struct {
	w   io.Writer
	max int64
	n   int64

	q   [4]byte // the quantum being read, as 6-bit values
	nq  int
	pad int // '=' read; after them only more '=' and white space may follow
	out [3 * 1024]byte
	no  int
}

// b64 maps a base64 character to its value, 0xFF for anything else.
var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

func (b *b64sink) write(p []byte) error {
	for _, c := range p {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '=':
			// Padding only ends a quantum of two or three characters.
			if b.nq+b.pad < 2 || b.nq+b.pad >= 4 {
				return fmt.Errorf("%w: misplaced padding", ErrNotBase64)
			}
			b.pad++
			if b.nq+b.pad == 4 {
				if err := b.quantum(); err != nil {
					return err
				}
			}
			continue
		}
		v := b64[c]
		if v == 0xFF {
			return fmt.Errorf("%w: it holds %q", ErrNotBase64, rune(c))
		}
		if b.pad > 0 {
			return fmt.Errorf("%w: text after the padding", ErrNotBase64)
		}
		b.q[b.nq] = v
		b.nq++
		if b.nq == 4 {
			if err := b.quantum(); err != nil {
				return err
			}
		}
	}
	return nil
}

// quantum turns the four characters read (some of them padding) into bytes.
func (b *b64sink) quantum() error {
	q := b.q
	bytes := [3]byte{q[0]<<2 | q[1]>>4, q[1]<<4 | q[2]>>2, q[2]<<6 | q[3]}
	n := 3 - b.pad
	if b.pad > 0 {
		b.nq = 0
		// The padded quantum is the last one: later text is refused by write.
		b.pad = 4 // marks "done"; nq+pad >= 4 refuses more padding
	} else {
		b.nq = 0
	}
	if b.max > 0 && b.n+int64(n) > b.max {
		return &FileTooLargeError{Limit: b.max}
	}
	if b.no+n > len(b.out) {
		if err := b.flush(); err != nil {
			return err
		}
	}
	copy(b.out[b.no:], bytes[:n])
	b.no += n
	b.n += int64(n)
	return nil
}

func (b *b64sink) flush() error {
	if b.no == 0 {
		return nil
	}
	_, err := b.w.Write(b.out[:b.no])
	b.no = 0
	if err != nil {
		return &writeError{err}
	}
	return nil
}

// close ends the text: an unfinished quantum is not base64.
func (b *b64sink) close() error {
	if b.nq != 0 || b.pad > 0 && b.pad < 4 {
		return fmt.Errorf("%w: the text ends inside a group of four characters", ErrNotBase64)
	}
	return b.flush()
}
