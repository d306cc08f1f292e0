package afas

import "io"

// defaultFaultRead is what ReadFault reads when max is not positive.
const defaultFaultRead = 64 << 10

// ReadFault reads AFAS's message from an error response body (AFAS sends faults with HTTP 500),
// reading at most max bytes of r (64 KiB when max <= 0). The message is the faultstring, joined
// with the ProfitApplicationException Message when that one differs, as parseFault does; control
// characters become spaces and it is cut to 1 KiB with an ellipsis. Only the start of a long
// fault text is held, and a body cut short (by max or by the connection) still gives what it
// holds so far. ok is false when the body holds no SOAP fault, e.g. an HTML page from a proxy.
//
// Like parseFault it goes by local names only: a root element holding Body, holding Fault, holding
// faultstring and detail/ProfitApplicationException/Message.
func ReadFault(r io.Reader, max int64) (msg string, ok bool) {
	if max <= 0 {
		max = defaultFaultRead
	}
	s := newScanner(io.LimitReader(r, max))
	s.lenient = true
	if k, err := s.onext(true); err != nil || k != oStart || s.oself {
		return "", false
	}
	// Below the root: find Body, then Fault, skipping anything else.
	for _, want := range []string{"Body", "Fault"} {
		found := false
		depth := len(s.ostk)
		for !found {
			k, err := s.onext(true)
			if err != nil || k == oEnd && len(s.ostk) < depth {
				return "", false
			}
			if k != oStart {
				continue
			}
			if s.olocal == want {
				found = true
				break
			}
			if err := s.oskipElement(); err != nil {
				return "", false
			}
		}
		if want == "Body" && s.oself {
			return "", false
		}
	}
	f, _, _ := s.fault()
	return f.message(), true
}
