package afas

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hooklift/gowsdl/soap"

	"github.com/koppel-nl/koppel/sync/afas/soapgen"
	"github.com/koppel-nl/koppel/sync/afas/subjectgen"
	"github.com/koppel-nl/koppel/sync/token"
)

// Config configures a Client. Zero values take the defaults.
type Config struct {
	URL   string
	Token string // XML or 64-character form; always sent as XML
	// PageSize is take per call when a query sets none (default: AFAS's guideline of 150,000
	// cells per page, divided by the query's number of fields).
	PageSize int
	// RequestTimeout bounds one call, reading and decoding its answer included (default 60 s; a
	// good AFAS call answers within a second, AFAS itself stops after 900 s).
	RequestTimeout time.Duration
	// MaxAttempts bounds the tries per call for temporary failures (default 6).
	MaxAttempts int
	// MaxRetryTime bounds the total time of one call with its retries (default 100 s), so that a
	// run against an AFAS that keeps failing gives up within two minutes.
	MaxRetryTime time.Duration
	// RetryBase is the first backoff delay (default 500 ms), doubled per try, with jitter.
	RetryBase time.Duration
	// MaxAnswerBytes caps the bytes read of one answer (default 64 MiB, far above any real page);
	// a bigger answer fails its call without a retry.
	MaxAnswerBytes int64
	// MaxRows caps the rows of one read (default 5,000,000): an AFAS that never stops sending
	// fails the read instead of filling memory.
	MaxRows int
	// Pool bounds the calls in flight; nil gives the client a pool of its own of 4.
	Pool *Pool
	// HTTPClient is the transport; nil gives one that keeps connections alive. Redirects are
	// never followed, whatever the client says.
	HTTPClient *http.Client
	// OnRetry, when set, is told about every retry (for the run log).
	OnRetry func(connector string, attempt int, wait time.Duration, err error)
}

// Defaults of the caps.
const (
	DefaultMaxAnswerBytes = 64 << 20
	DefaultMaxRows        = 5_000_000
	// PageCells is AFAS's guideline for a page: columns × rows below 150,000.
	PageCells = 150_000
	// maxErrorBody is what koppel reads of an error answer: enough for AFAS's fault.
	maxErrorBody = 4 << 10
	// maxMessage is the most of a server's text koppel keeps, prints or stores.
	maxMessage = 1 << 10
)

// Client reads GetConnectors through the generated SOAP client.
type Client struct {
	cfg   Config
	token string
	svc   soapgen.AppConnectorGetSoap
	// subject is AppConnectorSubject.asmx, beside AppConnectorGet.asmx: attachments.
	subject subjectgen.AppConnectorSubjectSoap
	pool    *Pool
}

// New returns a client for one AFAS environment.
func New(cfg Config) (*Client, error) {
	tok, _, err := token.NormalizeToken(cfg.Token)
	if err != nil {
		return nil, err
	}
	if cfg.URL == "" {
		return nil, errors.New("no AFAS URL")
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.MaxRetryTime <= 0 {
		cfg.MaxRetryTime = 100 * time.Second
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 500 * time.Millisecond
	}
	if cfg.MaxAnswerBytes <= 0 {
		cfg.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = DefaultMaxRows
	}
	pool := cfg.Pool
	if pool == nil {
		pool = NewPool(4)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = NewHTTPClient()
	}
	// The token must never follow a redirect to another host, or from https to http: a redirect
	// is answered as an error naming where it pointed.
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	doer := &doer{hc: &noRedirect, auth: token.AuthorizationHeader(tok), maxBytes: cfg.MaxAnswerBytes}
	sc := soap.NewClient(cfg.URL, soap.WithHTTPClient(doer))
	sub := soap.NewClient(SubjectURL(cfg.URL), soap.WithHTTPClient(doer))
	return &Client{cfg: cfg, token: tok, svc: soapgen.NewAppConnectorGetSoap(sc), subject: subjectgen.NewAppConnectorSubjectSoap(sub), pool: pool}, nil
}

// NewHTTPClient returns an HTTP client with a pooled, keep-alive transport fit for AFAS over TLS.
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 8 // AFAS allows 5–8 parallel calls per environment
	tr.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: tr}
}

// doer adapts an http.Client for gowsdl's runtime. gowsdl encodes the request; the doer adds the
// token header, undoes gowsdl's req.Close (which would open a new TLS connection per page), keeps
// the Retry-After hint, refuses redirects, caps what it reads, and decodes a data answer itself in
// one streaming pass (DecodeResponse) while the body arrives — gowsdl then only sees an empty
// response, so no page is ever held as a string or decoded twice.
type doer struct {
	hc       *http.Client
	auth     string
	maxBytes int64
}

type callKey struct{}

// callState travels in a request's context from a call to the doer and back.
type callState struct {
	retryAfter time.Duration
	decode     *decodeJob // nil: let gowsdl decode (no data expected)
	// stream, when set, reads the answer itself (an attachment) instead of decode; op names
	// the operation for the empty response gowsdl then parses, maxBytes the answer's own cap.
	stream   func(io.Reader) error
	op       string
	maxBytes int64
}

// decodeJob is what the doer decodes a data answer with, and what it found.
type decodeJob struct {
	op, connector string
	fields        Fields
	names         map[string]string
	fn            func(Row) error
	page          Page
}

// emptyResponse is what gowsdl gets to parse once the doer has decoded the real answer.
const emptyResponse = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><%[1]sResponse xmlns="urn:Afas.Profit.Services"></%[1]sResponse></soap:Body></soap:Envelope>`

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	req.Close = false
	req.Header.Set("Authorization", d.auth)
	req.Header.Set("User-Agent", "koppel")
	res, err := d.hc.Do(req)
	if err != nil {
		return nil, err
	}
	st, _ := req.Context().Value(callKey{}).(*callState)
	switch {
	case res.StatusCode >= 300 && res.StatusCode < 400:
		res.Body.Close()
		return nil, &Error{Kind: FaultRedirect, Status: res.StatusCode, Message: fmt.Sprintf("AFAS answered with a redirect to %s — check the URL", redirectHost(req, res))}
	case res.StatusCode == http.StatusServiceUnavailable && st != nil:
		st.retryAfter = parseRetryAfter(res.Header.Get("Retry-After"))
	}
	if res.StatusCode >= 400 {
		// An error answer is read only as far as AFAS's fault needs: a 1 GB error page is not.
		body, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
		res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(body))
		return res, nil
	}
	limit := d.maxBytes
	if st != nil && st.maxBytes > 0 {
		limit = st.maxBytes
	}
	capped := &capReader{r: res.Body, left: limit, limit: limit}
	if st != nil && st.stream != nil {
		err := st.stream(capped)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		res.Body = io.NopCloser(strings.NewReader(fmt.Sprintf(emptyResponse, st.op)))
		res.ContentLength = -1
		return res, nil
	}
	if st == nil || st.decode == nil {
		res.Body = struct {
			io.Reader
			io.Closer
		}{capped, res.Body}
		return res, nil
	}
	job := st.decode
	page, err := DecodeResponse(capped, job.op, job.connector, job.fields, job.names, job.fn)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	job.page = page
	res.Body = io.NopCloser(strings.NewReader(fmt.Sprintf(emptyResponse, job.op)))
	res.ContentLength = -1
	return res, nil
}

// redirectHost names where a redirect pointed, without its path or query (they may carry data).
func redirectHost(req *http.Request, res *http.Response) string {
	loc, err := res.Location()
	if err != nil || loc.Host == "" {
		return "(" + req.URL.Host + ")"
	}
	return loc.Scheme + "://" + loc.Host
}

// errTooLarge is an answer above the byte cap.
type errTooLarge struct{ limit int64 }

func (e *errTooLarge) Error() string {
	return fmt.Sprintf("the answer is larger than %d MiB (the limit per answer; raise it with --max-answer-mb if a real page is that large)", e.limit>>20)
}

// capReader fails once more than limit bytes were read.
type capReader struct {
	r     io.Reader
	left  int64
	limit int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a body of exactly the limit from a bigger one.
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			return 0, &errTooLarge{c.limit}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func parseRetryAfter(s string) time.Duration {
	if s == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(s); err == nil {
		return time.Until(t)
	}
	return 0
}

// Range bounds a read on the first sort field: From inclusive, To exclusive; "" is open. A run
// splits a big connector into ranges read side by side.
type Range struct{ From, To string }

// Query describes one read of a GetConnector.
type Query struct {
	Connector string
	Fields    Fields   // whitelist; nothing else is decoded
	Sort      []string // the unique key; reads page on it
	Filters   []Filter // ORed; conditions inside one Filter are ANDed
	Range     Range
	// Take is the page size (0: the client's PageSize, else AFAS's guideline for the fields).
	Take     int
	Progress func(Stats) // called after every page
	// Limit stops after this many rows (0: read everything); for previews.
	Limit int
	// Rename maps koppel's field names to the names this customer's connector uses. Fields, Sort,
	// Filters and the rows read all use koppel's names; only the wire uses the customer's.
	Rename map[string]string
}

// Stats tells how far a read got.
type Stats struct {
	Connector string
	Pages     int // calls that returned rows
	Calls     int // calls made, the confirming empty one included
	Rows      int
	Dropped   []string // fields outside the whitelist the connector sent
	// Bounds is the first sort field's value of each page's first row, in order: boundaries for
	// splitting the next read of this connector into ranges.
	Bounds []string
}

// PageTake is AFAS's guideline page size for a number of fields: 150,000 cells per page.
func PageTake(fields int) int {
	if fields < 1 {
		fields = 1
	}
	return max(100, PageCells/fields)
}

// Read pages through a GetConnector by key and calls fn for each row. A page's rows are handed
// on only once the whole page has arrived, so a retried call never repeats a row. The Row is
// reused.
func (c *Client) Read(ctx context.Context, q Query, fn func(Row) error) (Stats, error) {
	return ReadPages(ctx, c, q, Row.Clone, func(rows []Row) error {
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReadPages reads a GetConnector by key, converting each row with conv as it is decoded and
// handing every complete page to fn. Pages are asked by key, never by skip: the first with
// key ≥ Range.From, each next one with key > the last key read (a composite key as the OR of
// Filter elements), all below Range.To. So a row that exists from the start of the read until it
// is read is read exactly once, whatever AFAS inserts, changes or deletes meanwhile. A read ends
// only on a page that comes back empty — a short page is not the end while data may change — and
// fails when a page repeats rows of the page before it, or when it exceeds MaxRows.
func ReadPages[T any](ctx context.Context, c *Client, q Query, conv func(Row) T, fn func([]T) error) (Stats, error) {
	st := Stats{Connector: q.Connector}
	wire := func(f string) string {
		if w, ok := q.Rename[f]; ok {
			return w
		}
		return f
	}
	names := make(map[string]string, len(q.Rename))
	for std, w := range q.Rename {
		names[w] = std
	}
	fields := q.Fields
	for _, k := range q.Sort {
		if _, ok := fields[k]; !ok {
			fields = maps.Clone(fields)
			if fields == nil {
				fields = Fields{}
			}
			fields[k] = String // keys are needed to page, whatever the caller keeps
		}
	}
	var sortFields []SortField
	for _, f := range q.Sort {
		sortFields = append(sortFields, SortField{Field: wire(f)})
	}
	opts := Options{Sort: sortFields}.XML()
	take := q.Take
	if take <= 0 {
		take = c.cfg.PageSize
	}
	if take <= 0 {
		take = PageTake(len(fields))
	}
	if q.Limit > 0 && q.Limit < take {
		take = q.Limit
	}
	dropped := map[string]bool{}
	var last []string         // key of the last row read
	prev := map[string]bool{} // keys of the page before, to see AFAS repeat itself
	var buf []T
	keyOf := NewBinding(q.Sort...)
	// The keys of a page's rows, one after the other, and where each ends: one string per page
	// instead of one per row.
	var keyText []byte
	var keyEnds []int
	if len(q.Sort) > 0 {
		n := min(take, 1<<16)
		keyText, keyEnds = make([]byte, 0, 8*n), make([]int, 0, n)
	}
	for {
		filters := FiltersXML(renamed(pageFilters(q, last), wire))
		var pageFirst string
		decode := &decodeJob{op: "GetDataWithOptions", connector: q.Connector, fields: fields, names: names}
		decode.fn = func(r Row) error {
			if buf == nil {
				// A page is as long as asked, but for the last: no need to grow to it.
				buf = make([]T, 0, min(take, 1<<16))
			}
			if len(q.Sort) == 0 {
				buf = append(buf, conv(r))
				return nil
			}
			var err error
			start := len(keyText)
			if keyText, err = appendKey(keyText, keyOf.Of(r), q.Sort); err != nil {
				return err
			}
			if len(keyEnds) == 0 {
				first, _, _ := strings.Cut(string(keyText[start:]), keySep)
				pageFirst = first
			}
			keyEnds = append(keyEnds, len(keyText))
			buf = append(buf, conv(r))
			return nil
		}
		reset := func() { buf, keyText, keyEnds, pageFirst = buf[:0], keyText[:0], keyEnds[:0], "" }
		err := c.call(ctx, q.Connector, filters, take, opts, decode, reset)
		st.Calls++
		if err != nil {
			return st, fmt.Errorf("read %s page %d: %w", q.Connector, st.Pages+1, err)
		}
		for _, f := range decode.page.Dropped {
			if !dropped[f] {
				dropped[f] = true
				st.Dropped = append(st.Dropped, f)
			}
		}
		if len(q.Sort) == 0 {
			// Without a key there is no paging: one page, as asked (schema checks, previews).
			st.Rows, st.Pages = len(buf), 1
			if err := fn(buf); err != nil {
				return st, err
			}
			if q.Progress != nil {
				q.Progress(st)
			}
			return st, nil
		}
		keys := pageKeys{string(keyText), keyEnds}
		if keys.len() == 0 {
			if q.Progress != nil {
				q.Progress(st)
			}
			return st, nil
		}
		for i := range keys.len() {
			if k := keys.at(i); prev[k] {
				return st, fmt.Errorf("read %s page %d: %w", q.Connector, st.Pages+1,
					&Error{Kind: FaultProtocol, Connector: q.Connector, Message: "AFAS returns the same rows again (key " + displayKey(k) + "); the connector must be sorted on its unique key " + strings.Join(q.Sort, ", ")})
			}
		}
		st.Pages++
		st.Rows += keys.len()
		st.Bounds = append(st.Bounds, pageFirst)
		if st.Rows > c.cfg.MaxRows {
			return st, fmt.Errorf("read %s: %w", q.Connector, &Error{Kind: FaultProtocol, Connector: q.Connector,
				Message: fmt.Sprintf("more than %d rows; AFAS keeps sending rows (raise the limit with --max-rows if this connector really holds that many)", c.cfg.MaxRows)})
		}
		if err := fn(buf); err != nil {
			return st, err
		}
		buf = nil // the page is the caller's now
		if q.Progress != nil {
			q.Progress(st)
		}
		if q.Limit > 0 && st.Rows >= q.Limit {
			return st, nil
		}
		clear(prev)
		for i := range keys.len() {
			prev[keys.at(i)] = true
		}
		last = strings.Split(keys.at(keys.len()-1), keySep)
	}
}

// keySep joins key parts; AFAS codes never hold it.
const keySep = "\x1f"

// appendKey appends a row's key (its sort fields' texts joined by keySep) to b; r is bound to
// the sort fields.
func appendKey(b []byte, r *Binding, sort []string) ([]byte, error) {
	for i, f := range sort {
		v := r.Get(i, String)
		if v.Null {
			return b, &Error{Kind: FaultProtocol, Message: "a row without its key field " + f + "; the connector's key must always be filled"}
		}
		if i > 0 {
			b = append(b, keySep...)
		}
		b = appendText(b, v)
	}
	return b, nil
}

// appendText appends v.Text() to b, without a string of its own for the usual key kinds.
func appendText(b []byte, v Value) []byte {
	switch v.Kind {
	case String:
		return append(b, v.Str...)
	case Int:
		return strconv.AppendInt(b, v.Int, 10)
	}
	return append(b, v.Text()...)
}

// pageKeys are the keys of a page's rows: text holds them one after the other, ends where each
// ends.
type pageKeys struct {
	text string
	ends []int
}

func (p pageKeys) len() int { return len(p.ends) }

func (p pageKeys) at(i int) string {
	start := 0
	if i > 0 {
		start = p.ends[i-1]
	}
	return p.text[start:p.ends[i]]
}

func displayKey(k string) string { return strings.ReplaceAll(k, keySep, "/") }

// pageFilters are the query's filters combined with the key conditions of the next page: a page
// after key (v1, …, vn) is the OR over i of (k1 = v1 AND … AND k(i-1) = v(i-1) AND ki > vi), each
// also below Range.To; the first page is k1 ≥ Range.From. AFAS takes filters as an OR of ANDs,
// so the query's filters and the key terms are multiplied out.
func pageFilters(q Query, last []string) []Filter {
	var terms []Filter
	var upper Filter
	if q.Range.To != "" {
		upper = Filter{{Field: q.Sort[0], Op: OpLess, Value: q.Range.To}}
	}
	if last == nil {
		t := slices.Clone(upper)
		if q.Range.From != "" {
			t = append(t, Cond{Field: q.Sort[0], Op: OpGreaterOrEqual, Value: q.Range.From})
		}
		if len(t) > 0 {
			terms = append(terms, t)
		}
	} else {
		for i := range q.Sort {
			var t Filter
			for j := 0; j < i; j++ {
				t = append(t, Cond{Field: q.Sort[j], Op: OpEqual, Value: last[j]})
			}
			t = append(t, Cond{Field: q.Sort[i], Op: OpGreater, Value: last[i]})
			terms = append(terms, append(t, upper...))
		}
	}
	if len(terms) == 0 {
		return q.Filters
	}
	if len(q.Filters) == 0 {
		return terms
	}
	out := make([]Filter, 0, len(q.Filters)*len(terms))
	for _, f := range q.Filters {
		for _, t := range terms {
			out = append(out, append(slices.Clone(f), t...))
		}
	}
	return out
}

func renamed(fs []Filter, wire func(string) string) []Filter {
	out := make([]Filter, len(fs))
	for i, f := range fs {
		out[i] = make(Filter, len(f))
		for j, c := range f {
			c.Field = wire(c.Field)
			out[i][j] = c
		}
	}
	return out
}

// Schema asks for a connector's fields (Metadata=1, take=1) without reading its rows.
func (c *Client) Schema(ctx context.Context, connector string) ([]SchemaField, error) {
	job := &decodeJob{op: "GetDataWithOptions", connector: connector, fields: Fields{}, fn: func(Row) error { return nil }}
	if err := c.call(ctx, connector, "", 1, Options{Metadata: true}.XML(), job, func() {}); err != nil {
		return nil, fmt.Errorf("schema of %s: %w", connector, err)
	}
	return job.page.Schema, nil
}

// call performs one GetDataWithOptions with retries for temporary failures; the answer is
// decoded by job as it arrives. reset is called before every attempt, so what a failed attempt
// decoded is dropped.
func (c *Client) call(ctx context.Context, connector, filters string, take int, opts string, job *decodeJob, reset func()) error {
	return c.retry(ctx, connector, func(timeout time.Duration) error {
		reset()
		return c.once(ctx, connector, filters, take, opts, timeout, job)
	})
}

// retry makes one call (attempt, given its timeout) with retries for temporary failures, with
// backoff, within MaxAttempts and MaxRetryTime; name is what OnRetry is told.
func (c *Client) retry(ctx context.Context, name string, attempt func(timeout time.Duration) error) error {
	start := time.Now()
	deadline := start.Add(c.cfg.MaxRetryTime)
	for n := 1; ; n++ {
		timeout := c.cfg.RequestTimeout
		if left := time.Until(deadline); n > 1 && left < timeout {
			timeout = left // a retry never runs past the call's deadline
		}
		err := attempt(timeout)
		if err == nil {
			return nil
		}
		var ae *Error
		if !errors.As(err, &ae) || !ae.Temporary() || ctx.Err() != nil {
			return err
		}
		if n >= c.cfg.MaxAttempts {
			return fmt.Errorf("gave up after %d attempts: %w", n, err)
		}
		wait := c.backoff(n, ae.RetryAfter)
		if time.Now().Add(wait + c.cfg.RetryBase).After(deadline) {
			return fmt.Errorf("gave up after %d attempts in %s: %w", n, time.Since(start).Round(time.Second), err)
		}
		if c.cfg.OnRetry != nil {
			c.cfg.OnRetry(name, n, wait, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// backoff is exponential with full jitter; a server's Retry-After hint is a lower bound.
func (c *Client) backoff(attempt int, hint time.Duration) time.Duration {
	max := c.cfg.RetryBase << (attempt - 1)
	if max > 30*time.Second {
		max = 30 * time.Second
	}
	d := max/2 + rand.N(max/2+1)
	if hint > d {
		d = hint
	}
	return d
}

func (c *Client) once(ctx context.Context, connector, filters string, take int, opts string, timeout time.Duration, job *decodeJob) error {
	if err := c.pool.acquire(ctx); err != nil {
		return err
	}
	defer c.pool.release()
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	st := &callState{decode: job}
	rctx = context.WithValue(rctx, callKey{}, st)
	_, err := c.svc.GetDataWithOptionsContext(rctx, &soapgen.GetDataWithOptions{
		ConnectorId: connector,
		FiltersXml:  filters,
		Skip:        0,
		Take:        int32(take),
		Options:     opts,
	})
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return toError(connector, err, st.retryAfter)
}

// toError turns what gowsdl's runtime (and the doer below it) returned into an *Error. Every text
// from the server is cut and cleaned, and tokens are redacted, before it can reach a log, a
// screen or the store.
func toError(connector string, err error, hint time.Duration) error {
	var ae *Error
	var he *soap.HTTPError
	var sf *soap.SOAPFault
	var big *errTooLarge
	var fb *FaultBody
	switch {
	case errors.As(err, &ae):
		if ae.Connector == "" {
			ae.Connector = connector
		}
		return ae
	case errors.As(err, &big):
		return &Error{Kind: FaultTooLarge, Connector: connector, Message: big.Error()}
	case errors.As(err, &fb):
		msg := token.Clean(fb.Message, maxMessage)
		kind, field := classify(200, msg)
		return &Error{Kind: kind, Connector: connector, Message: msg, Field: field, Status: 200}
	case errors.As(err, &he):
		msg, ok := ReadFault(bytes.NewReader(he.ResponseBody), maxErrorBody)
		if !ok {
			msg = fmt.Sprintf("HTTP %d %s", he.StatusCode, http.StatusText(he.StatusCode))
			if he.StatusCode == http.StatusNotFound || he.StatusCode == http.StatusMethodNotAllowed {
				msg += " — is the URL an AFAS AppConnectorGet.asmx endpoint?"
			}
		}
		msg = token.Clean(msg, maxMessage)
		kind, field := classify(he.StatusCode, msg)
		return &Error{Kind: kind, Connector: connector, Message: msg, Field: field, Status: he.StatusCode, RetryAfter: hint}
	case errors.As(err, &sf):
		msg := token.Clean(sf.String, maxMessage)
		kind, field := classify(200, msg)
		return &Error{Kind: kind, Connector: connector, Message: msg, Field: field, Status: 200}
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: FaultTransport, Connector: connector, Err: err}
	}
	// Anything else is an answer that could not be read: truncated, garbled, or not the shape of
	// an AFAS answer (never taken as zero rows).
	return &Error{Kind: FaultTransport, Connector: connector, Message: "unreadable response: " + token.Clean(err.Error(), maxMessage), Err: err}
}
