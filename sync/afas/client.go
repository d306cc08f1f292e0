package afas

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hooklift/gowsdl/soap"

	"github.com/koppel-nl/koppel/sync/afas/soapgen"
	"github.com/koppel-nl/koppel/sync/token"
)

// Config configures a Client. Zero values take the defaults.
type Config struct {
	URL   string
	Token string // XML or 64-character form; always sent as XML
	// PageSize is take per call (default 1000; AFAS advises columns × rows below 150,000).
	PageSize int
	// RequestTimeout bounds one call (default 60 s; a good AFAS call answers within a second,
	// AFAS itself stops after 900 s).
	RequestTimeout time.Duration
	// MaxAttempts bounds the tries per call for temporary failures (default 6).
	MaxAttempts int
	// MaxRetryTime bounds the total time of one call with its retries (default 100 s), so that a
	// run against an AFAS that keeps failing gives up within two minutes.
	MaxRetryTime time.Duration
	// RetryBase is the first backoff delay (default 500 ms), doubled per try, with jitter.
	RetryBase time.Duration
	// HTTPClient is the transport; nil gives one that keeps connections alive.
	HTTPClient *http.Client
	// OnRetry, when set, is told about every retry (for the run log).
	OnRetry func(connector string, attempt int, wait time.Duration, err error)
}

// Client reads GetConnectors through the generated SOAP client.
type Client struct {
	cfg   Config
	token string
	svc   soapgen.AppConnectorGetSoap
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
	if cfg.PageSize <= 0 {
		cfg.PageSize = 1000
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
	hc := cfg.HTTPClient
	if hc == nil {
		hc = NewHTTPClient()
	}
	doer := &doer{hc: hc, auth: token.AuthorizationHeader(tok)}
	sc := soap.NewClient(cfg.URL, soap.WithHTTPClient(doer))
	return &Client{cfg: cfg, token: tok, svc: soapgen.NewAppConnectorGetSoap(sc)}, nil
}

// NewHTTPClient returns an HTTP client with a pooled, keep-alive transport fit for AFAS over TLS.
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 8 // AFAS allows 5–8 parallel calls per environment
	tr.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: tr}
}

// doer adapts an http.Client for gowsdl's runtime: it adds the token header, undoes gowsdl's
// req.Close (which would open a new TLS connection per page), and keeps the Retry-After hint that
// gowsdl's HTTPError does not carry.
type doer struct {
	hc   *http.Client
	auth string
}

type retryHintKey struct{}

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	req.Close = false
	req.Header.Set("Authorization", d.auth)
	req.Header.Set("User-Agent", "koppel")
	res, err := d.hc.Do(req)
	if err == nil && res.StatusCode == http.StatusServiceUnavailable {
		if hint, ok := req.Context().Value(retryHintKey{}).(*time.Duration); ok {
			*hint = parseRetryAfter(res.Header.Get("Retry-After"))
		}
	}
	return res, err
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

// Query describes one read of a GetConnector.
type Query struct {
	Connector string
	Fields    Fields      // whitelist; nothing else is decoded
	Sort      []string    // key fields; paging is only stable when sorted on a unique key
	Filters   []Filter    // ORed; conditions inside one Filter are ANDed
	Progress  func(Stats) // called after every page
	// Limit stops after this many rows (0: read everything); for previews.
	Limit int
	// Rename maps koppel's field names to the names this customer's connector uses. Fields, Sort,
	// Filters and the rows read all use koppel's names; only the wire uses the customer's.
	Rename map[string]string
}

// Stats tells how far a read got.
type Stats struct {
	Connector string
	Pages     int
	Rows      int
	Dropped   []string // fields outside the whitelist the connector sent
}

// Read pages through a GetConnector sorted on its key, calling fn for each row. Only one page is
// held at a time. It stops at the first short page.
func (c *Client) Read(ctx context.Context, q Query, fn func(Row) error) (Stats, error) {
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
	var sortFields []SortField
	for _, f := range q.Sort {
		sortFields = append(sortFields, SortField{Field: wire(f)})
	}
	opts := Options{Sort: sortFields}.XML()
	var fs []Filter
	for _, f := range q.Filters {
		var conds Filter
		for _, c := range f {
			c.Field = wire(c.Field)
			conds = append(conds, c)
		}
		fs = append(fs, conds)
	}
	filters := FiltersXML(fs)
	dropped := map[string]bool{}
	take := c.cfg.PageSize
	if q.Limit > 0 && q.Limit < take {
		take = q.Limit
	}
	for skip := 0; ; skip += take {
		doc, err := c.call(ctx, q.Connector, filters, skip, take, opts)
		if err != nil {
			return st, fmt.Errorf("read %s page %d: %w", q.Connector, st.Pages+1, err)
		}
		page, err := decodeResult(doc, q.Connector, q.Fields, names, fn)
		if err != nil {
			return st, fmt.Errorf("read %s page %d: %w", q.Connector, st.Pages+1, err)
		}
		st.Pages++
		st.Rows += page.Rows
		for _, f := range page.Dropped {
			if !dropped[f] {
				dropped[f] = true
				st.Dropped = append(st.Dropped, f)
			}
		}
		if q.Progress != nil {
			q.Progress(st)
		}
		if page.Rows < take || q.Limit > 0 && st.Rows >= q.Limit {
			return st, nil
		}
	}
}

// Schema asks for a connector's fields (Metadata=1, take=1) without reading its rows.
func (c *Client) Schema(ctx context.Context, connector string) ([]SchemaField, error) {
	doc, err := c.call(ctx, connector, "", 0, 1, Options{Metadata: true}.XML())
	if err != nil {
		return nil, fmt.Errorf("schema of %s: %w", connector, err)
	}
	page, err := DecodeResult(doc, connector, Fields{}, func(Row) error { return nil })
	if err != nil {
		return nil, fmt.Errorf("schema of %s: %w", connector, err)
	}
	return page.Schema, nil
}

// call performs one GetDataWithOptions with retries for temporary failures, and returns the
// (unescaped) result document.
func (c *Client) call(ctx context.Context, connector, filters string, skip, take int, opts string) (string, error) {
	start := time.Now()
	deadline := start.Add(c.cfg.MaxRetryTime)
	for attempt := 1; ; attempt++ {
		timeout := c.cfg.RequestTimeout
		if left := time.Until(deadline); attempt > 1 && left < timeout {
			timeout = left // a retry never runs past the call's deadline
		}
		doc, err := c.once(ctx, connector, filters, skip, take, opts, timeout)
		if err == nil {
			return doc, nil
		}
		var ae *Error
		if !errors.As(err, &ae) || !ae.Temporary() || ctx.Err() != nil {
			return "", err
		}
		if attempt >= c.cfg.MaxAttempts {
			return "", fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		wait := c.backoff(attempt, ae.RetryAfter)
		if time.Now().Add(wait + c.cfg.RetryBase).After(deadline) {
			return "", fmt.Errorf("gave up after %d attempts in %s: %w", attempt, time.Since(start).Round(time.Second), err)
		}
		if c.cfg.OnRetry != nil {
			c.cfg.OnRetry(connector, attempt, wait, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
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

func (c *Client) once(ctx context.Context, connector, filters string, skip, take int, opts string, timeout time.Duration) (string, error) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var hint time.Duration
	rctx = context.WithValue(rctx, retryHintKey{}, &hint)
	res, err := c.svc.GetDataWithOptionsContext(rctx, &soapgen.GetDataWithOptions{
		ConnectorId: connector,
		FiltersXml:  filters,
		Skip:        int32(skip),
		Take:        int32(take),
		Options:     opts,
	})
	if err == nil {
		return res.GetDataWithOptionsResult, nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	return "", toError(connector, err, hint)
}

// toError turns what gowsdl's runtime returned into an *Error.
func toError(connector string, err error, hint time.Duration) error {
	var he *soap.HTTPError
	var sf *soap.SOAPFault
	switch {
	case errors.As(err, &he):
		msg, ok := parseFault(he.ResponseBody)
		if !ok {
			msg = fmt.Sprintf("HTTP %d %s", he.StatusCode, http.StatusText(he.StatusCode))
			if he.StatusCode == http.StatusNotFound || he.StatusCode == http.StatusMethodNotAllowed {
				msg += " — is the URL an AFAS AppConnectorGet.asmx endpoint?"
			}
		}
		kind, field := classify(he.StatusCode, msg)
		return &Error{Kind: kind, Connector: connector, Message: msg, Field: field, Status: he.StatusCode, RetryAfter: hint}
	case errors.As(err, &sf):
		kind, field := classify(200, sf.String)
		return &Error{Kind: kind, Connector: connector, Message: sf.String, Field: field, Status: 200}
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: FaultTransport, Connector: connector, Err: err}
	}
	// Anything else from the runtime is a response that could not be read: truncated or garbled.
	return &Error{Kind: FaultTransport, Connector: connector, Message: "unreadable response: " + err.Error(), Err: err}
}
