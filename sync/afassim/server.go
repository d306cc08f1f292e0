// Package afassim simulates an AFAS Profit environment's AppConnectorGet SOAP service: the same
// wire protocol as real AFAS (see the shared reference afas-getconnector.md), serving a synthetic
// dataset. Tests start it in-process with httptest; `koppel afas-sim` serves it standalone.
package afassim

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/token"
	"github.com/koppel-nl/koppel/sync/values"
)

// Path is where the service answers, as on real AFAS.
const Path = "/ProfitServices/AppConnectorGet.asmx"

// Options shape the simulated environment.
type Options struct {
	Seed      int64
	Employees int
	// TokenData is the 64 hexadecimal characters the simulator accepts; empty derives them from
	// the seed.
	TokenData string
	// Omit leaves connectors out (by id), as when a customer has not installed them yet.
	Omit []string
	// Unauthorized lists connectors that exist but are not in the App Connector.
	Unauthorized []string
	// Drop removes fields ("Connector.Field"), Extra adds fields beyond koppel's whitelist.
	Drop  []string
	Extra []string
	// Rename gives connectors ("Koppel_Medewerkers=HR_Medewerkers") or fields
	// ("Koppel_Medewerkers.Email_werk=Email") other names, as a customer's own connectors have.
	Rename []string
	// Revision applies that many rounds of small deterministic changes, as AFAS data evolves.
	Revision int
	Faults   Faults
}

// Faults inject failures, each a share of requests from 0 to 1.
type Faults struct {
	FailFirst int     // the first N requests fail the FailKind way
	FailKind  string  // "500" (default), "503", "reset", "garbage" or "hang"
	Rate500   float64 // SOAP fault, HTTP 500, not functional ("Out of memory")
	Rate503   float64 // maintenance, with a Retry-After hint of RetryAfter
	RateReset float64 // the connection is closed without an answer
	RateJunk  float64 // a truncated or garbled response with HTTP 200
	Slow      time.Duration
	// RetryAfter is the hint on 503 answers (whole seconds on the wire).
	RetryAfter time.Duration
}

// Server is a simulated AFAS environment. It is an http.Handler.
type Server struct {
	token string
	opts  Options

	mu       sync.Mutex
	data     *Dataset
	omit     map[string]bool
	unauth   map[string]bool
	views    map[string][]int // cached filtered, sorted row orders
	requests int
	rng      *rand.Rand
}

// DefaultToken is the token data the simulator accepts for a seed when none is given.
func DefaultToken(seed int64) string {
	r := rand.New(rand.NewPCG(uint64(seed), 0x746f6b656e))
	var b strings.Builder
	for i := 0; i < 32; i++ {
		fmt.Fprintf(&b, "%02x", r.IntN(256))
	}
	return b.String()
}

// New builds a simulator with a generated dataset.
func New(o Options) *Server {
	if o.Employees <= 0 {
		o.Employees = 250
	}
	if o.TokenData == "" {
		o.TokenData = DefaultToken(o.Seed)
	}
	s := &Server{
		token:  strings.ToLower(o.TokenData),
		opts:   o,
		data:   Generate(o.Seed, o.Employees),
		omit:   set(o.Omit),
		unauth: set(o.Unauthorized),
		views:  map[string][]int{},
		rng:    rand.New(rand.NewPCG(uint64(o.Seed), 0x736f7274)),
	}
	for _, f := range o.Drop {
		s.dropField(f)
	}
	for _, f := range o.Extra {
		s.addField(f)
	}
	for i := 1; i <= o.Revision; i++ {
		s.revise(i)
	}
	// Renames last: the options above name the standard connectors and fields.
	for _, r := range o.Rename {
		s.rename(r)
	}
	return s
}

// Token is the whole XML token the simulator accepts.
func (s *Server) Token() string { return token.TokenXMLFor(s.token) }

// TokenData is the token's 64 characters.
func (s *Server) TokenData() string { return s.token }

// Employers are the employer codes of the dataset.
func (s *Server) Employers() []string { return s.data.Employers }

// Requests counts the SOAP calls served.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Update changes data under the lock: tests change "AFAS" between runs this way.
func (s *Server) Update(fn func(*Dataset)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.data)
	for _, t := range s.data.Tables {
		t.reindex()
	}
	clear(s.views)
}

// Set changes one field of the rows whose key field equals key. It reports how many rows changed.
func (s *Server) Set(connector, keyField, key, field, value string) int {
	n := 0
	s.Update(func(d *Dataset) {
		t := d.Tables[connector]
		if t == nil || t.Col(keyField) < 0 || t.Col(field) < 0 {
			return
		}
		for _, row := range t.Rows {
			if row[t.Col(keyField)] == key {
				row[t.Col(field)] = value
				n++
			}
		}
	})
	return n
}

// revise applies change round i: one employee with a single employment gets a new work phone.
func (s *Server) revise(i int) {
	emp := s.data.Tables["Koppel_Medewerkers"]
	dv := s.data.Tables["Koppel_Dienstverbanden"]
	count := map[string]int{}
	for _, row := range dv.Rows {
		count[row[dv.Col("Medewerker")]]++
	}
	n := len(emp.Rows)
	for k := 0; k < n; k++ {
		row := emp.Rows[(i*37+k)%n]
		if count[row[emp.Col("Medewerker")]] == 1 && emp.Col("Telefoonnr_werk") >= 0 {
			row[emp.Col("Telefoonnr_werk")] = fmt.Sprintf("030-99%05d", i)
			return
		}
	}
}

func (s *Server) dropField(spec string) {
	con, field, _ := strings.Cut(spec, ".")
	t := s.data.Tables[con]
	if t == nil || t.Col(field) < 0 {
		return
	}
	i := t.Col(field)
	t.Fields = append(t.Fields[:i:i], t.Fields[i+1:]...)
	for r, row := range t.Rows {
		t.Rows[r] = append(row[:i:i], row[i+1:]...)
	}
	t.reindex()
}

func (s *Server) addField(spec string) {
	con, field, _ := strings.Cut(spec, ".")
	t := s.data.Tables[con]
	if t == nil || field == "" || t.Col(field) >= 0 {
		return
	}
	t.Fields = append(t.Fields, afas.SchemaField{Name: field, Kind: afas.String, XSD: "xs:string"})
	for r := range t.Rows {
		// Synthetic free text, the kind of field koppel must never decode.
		t.Rows[r] = append(t.Rows[r], "Vrije tekst "+strconv.Itoa(r))
	}
	t.reindex()
}

func (s *Server) rename(spec string) {
	from, to, ok := strings.Cut(spec, "=")
	if !ok || to == "" {
		return
	}
	con, field, isField := strings.Cut(from, ".")
	t := s.data.Tables[con]
	if t == nil {
		return
	}
	if !isField {
		delete(s.data.Tables, con)
		t.ID = to
		s.data.Tables[to] = t
		return
	}
	if i := t.Col(field); i >= 0 {
		t.Fields[i].Name = to
		t.reindex()
	}
}

func set(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// request is the body of GetData / GetDataWithOptions.
type request struct {
	XMLName     xml.Name
	Token       string `xml:"token"`
	ConnectorID string `xml:"connectorId"`
	FiltersXML  string `xml:"filtersXml"`
	Skip        string `xml:"skip"`
	Take        string `xml:"take"`
	Options     string `xml:"options"`
}

type envelope struct {
	Body struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"Body"`
}

// ServeHTTP answers ?WSDL and SOAP calls.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.URL.Path, Path) {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodGet && strings.EqualFold(r.URL.RawQuery, "wsdl") {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write(afas.WSDL)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// The body is read first: only then does net/http notice a client that hangs up.
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	if s.injectFault(w, r) {
		return
	}
	var env envelope
	var req request
	if err := xml.Unmarshal(body, &env); err != nil {
		fault(w, http.StatusInternalServerError, "Server was unable to process request. ---> Data at the root level is invalid.")
		return
	}
	if err := xml.Unmarshal(env.Body.Inner, &req); err != nil {
		fault(w, http.StatusInternalServerError, "Server was unable to process request: no operation in body.")
		return
	}
	op := req.XMLName.Local
	if op != "GetData" && op != "GetDataWithOptions" {
		fault(w, http.StatusInternalServerError, "Server did not recognize the value of HTTP Header SOAPAction: "+r.Header.Get("SOAPAction"))
		return
	}
	tok, ok := s.tokenOf(r.Header.Get("Authorization"), req.Token)
	if !ok {
		fault(w, http.StatusInternalServerError, "Server was unable to process request: the Authorization header is malformed.")
		return
	}
	if token.TokenDataOf(tok) != s.token {
		fault(w, http.StatusInternalServerError, "Invalid token: the token is not valid for this environment (AfasToken)")
		return
	}
	doc, status, msg := s.answer(req)
	if status != 0 {
		fault(w, status, msg)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>`)
	fmt.Fprintf(&b, `<%sResponse xmlns="urn:Afas.Profit.Services"><%sResult>`, op, op)
	_ = xml.EscapeText(&b, doc)
	fmt.Fprintf(&b, `</%sResult></%sResponse></soap:Body></soap:Envelope>`, op, op)
	_, _ = w.Write(b.Bytes())
}

// tokenOf returns the token XML from the AfasToken header, or else from the body.
func (s *Server) tokenOf(header, body string) (string, bool) {
	if header == "" {
		return strings.TrimSpace(body), true
	}
	rest, ok := strings.CutPrefix(header, "AfasToken ")
	if !ok {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", false
	}
	return string(raw), true
}

func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	s.requests++
	f := s.opts.Faults
	n := s.requests
	roll := s.rng.Float64()
	s.mu.Unlock()
	if f.Slow > 0 {
		time.Sleep(f.Slow)
	}
	kind := ""
	switch {
	case n <= f.FailFirst:
		kind = f.FailKind
		if kind == "" {
			kind = "500"
		}
	case roll < f.Rate500:
		kind = "500"
	case roll < f.Rate500+f.Rate503:
		kind = "503"
	case roll < f.Rate500+f.Rate503+f.RateReset:
		kind = "reset"
	case roll < f.Rate500+f.Rate503+f.RateReset+f.RateJunk:
		kind = "garbage"
	}
	switch kind {
	case "500":
		fault(w, http.StatusInternalServerError, "Out of memory")
	case "hang":
		// An answer that never comes: wait until the client gives up (or a minute passes).
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	case "503":
		w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
		http.Error(w, "Service Unavailable: Profit is in onderhoud", http.StatusServiceUnavailable)
	case "reset":
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case "garbage":
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetDataWithOptionsResponse xmlns="urn:Afas.Profit.Services"><GetDataWithOptionsResult>&lt;AfasGetConnector&gt;&lt;Koppel_`))
	default:
		return false
	}
	return true
}

func fault(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	var m bytes.Buffer
	_ = xml.EscapeText(&m, []byte(msg))
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>%s</faultstring><detail><ProfitApplicationException><ErrorNumber>-1</ErrorNumber><Message>%s</Message><Detail></Detail></ProfitApplicationException></detail></soap:Fault></soap:Body></soap:Envelope>`, m.String(), m.String())
}

// answer builds the result document, or an HTTP status and fault message.
func (s *Server) answer(req request) (doc []byte, status int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strings.TrimSpace(req.ConnectorID)
	t := s.data.Tables[id]
	if t == nil || s.omit[id] {
		return nil, http.StatusInternalServerError, fmt.Sprintf("Connector %s does not exist", id)
	}
	if s.unauth[id] {
		return nil, http.StatusInternalServerError, "GetConnector not supported for this app or the user is not authorized"
	}
	skip, take := 0, 0
	if v := strings.TrimSpace(req.Skip); v != "" {
		skip, _ = strconv.Atoi(v)
	}
	if v := strings.TrimSpace(req.Take); v != "" {
		take, _ = strconv.Atoi(v)
	}
	if take < 0 || skip < 0 {
		return nil, http.StatusInternalServerError, "Skip and take must not be negative"
	}
	filters, err := afas.ParseFiltersXML(req.FiltersXML)
	if err != nil {
		return nil, http.StatusInternalServerError, "Invalid filter: " + err.Error()
	}
	opts, err := afas.ParseOptionsXML(req.Options)
	if err != nil {
		return nil, http.StatusInternalServerError, "Invalid options: " + err.Error()
	}
	for _, f := range filters {
		for _, c := range f {
			if t.Col(c.Field) < 0 {
				return nil, http.StatusInternalServerError, fmt.Sprintf("Connector field '%s' not found", c.Field)
			}
		}
	}
	for _, sf := range opts.Sort {
		if t.Col(sf.Field) < 0 {
			return nil, http.StatusInternalServerError, fmt.Sprintf("Connector field '%s' not found", sf.Field)
		}
	}
	order := s.view(t, req.FiltersXML, filters, opts.Sort)
	var b bytes.Buffer
	b.WriteString("<AfasGetConnector>")
	if opts.Metadata {
		writeSchema(&b, t)
	}
	if skip < len(order) {
		end := min(len(order), skip+take)
		for _, ri := range order[skip:end] {
			row := t.Rows[ri]
			b.WriteString("<" + t.ID + ">")
			for ci, f := range t.Fields {
				v := row[ci]
				if v == "" {
					if opts.EmptyAsElements {
						b.WriteString("<" + f.Name + " />")
					}
					continue
				}
				b.WriteString("<" + f.Name + ">")
				_ = xml.EscapeText(&b, []byte(v))
				b.WriteString("</" + f.Name + ">")
			}
			b.WriteString("</" + t.ID + ">")
		}
	}
	b.WriteString("</AfasGetConnector>")
	return b.Bytes(), 0, ""
}

// view returns the row order for a query. Sorted views are cached until the data changes; without
// a sort the order is shuffled on every call, as real AFAS gives no stable order then.
func (s *Server) view(t *Table, filtersKey string, filters []afas.Filter, sorts []afas.SortField) []int {
	key := t.ID + "\x00" + filtersKey
	for _, sf := range sorts {
		key += "\x00" + sf.Field + strconv.FormatBool(sf.Desc)
	}
	if len(sorts) > 0 {
		if v, ok := s.views[key]; ok {
			return v
		}
	}
	var order []int
	for i, row := range t.Rows {
		if matches(t, row, filters) {
			order = append(order, i)
		}
	}
	if len(sorts) == 0 {
		s.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		return order
	}
	sort.SliceStable(order, func(a, b int) bool {
		ra, rb := t.Rows[order[a]], t.Rows[order[b]]
		for _, sf := range sorts {
			ci := t.Col(sf.Field)
			c := compare(t.Fields[ci].Kind, ra[ci], rb[ci])
			if c != 0 {
				if sf.Desc {
					return c > 0
				}
				return c < 0
			}
		}
		return false
	})
	s.views[key] = order
	return order
}

func matches(t *Table, row []string, filters []afas.Filter) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		all := true
		for _, c := range f {
			ci := t.Col(c.Field)
			if !cond(t.Fields[ci].Kind, row[ci], c) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func cond(k afas.Kind, v string, c afas.Cond) bool {
	lv, lc := strings.ToLower(v), strings.ToLower(strings.Trim(c.Value, "%"))
	switch c.Op {
	case afas.OpEmpty:
		return v == ""
	case afas.OpNotEmpty:
		return v != ""
	case afas.OpContains:
		return strings.Contains(lv, lc)
	case afas.OpNotContains:
		return !strings.Contains(lv, lc)
	case afas.OpStartsWith:
		return strings.HasPrefix(lv, lc)
	case afas.OpNotStartsWith:
		return !strings.HasPrefix(lv, lc)
	case afas.OpEndsWith:
		return strings.HasSuffix(lv, lc)
	case afas.OpNotEndsWith:
		return !strings.HasSuffix(lv, lc)
	}
	if v == "" {
		// Comparisons never match a missing value, as in SQL.
		return c.Op == afas.OpNotEqual
	}
	cmp := compare(k, v, c.Value)
	switch c.Op {
	case afas.OpEqual:
		return cmp == 0
	case afas.OpNotEqual:
		return cmp != 0
	case afas.OpGreaterOrEqual:
		return cmp >= 0
	case afas.OpLessOrEqual:
		return cmp <= 0
	case afas.OpGreater:
		return cmp > 0
	case afas.OpLess:
		return cmp < 0
	}
	return false
}

// compare orders two wire values by the field's type; empty sorts first.
func compare(k afas.Kind, a, b string) int {
	if a == "" || b == "" {
		return cmp.Compare(len(a), len(b))
	}
	switch k {
	case afas.Int:
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		return cmp.Compare(x, y)
	case afas.Decimal:
		x, _ := values.ParseDec(a)
		y, _ := values.ParseDec(b)
		return cmp.Compare(x, y)
	case afas.Date:
		x, _ := values.ParseDate(a)
		y, _ := values.ParseDate(b)
		return x.Compare(y)
	}
	return strings.Compare(a, b)
}

func writeSchema(b *bytes.Buffer, t *Table) {
	b.WriteString(`<xs:schema id="AfasGetConnector" xmlns="" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:msdata="urn:schemas-microsoft-com:xml-msdata">`)
	b.WriteString(`<xs:element name="AfasGetConnector" msdata:IsDataSet="true" msdata:Locale=""><xs:complexType><xs:choice minOccurs="0" maxOccurs="unbounded">`)
	fmt.Fprintf(b, `<xs:element name="%s"><xs:complexType><xs:sequence>`, t.ID)
	for _, f := range t.Fields {
		fmt.Fprintf(b, `<xs:element name="%s" type="%s" minOccurs="0" />`, f.Name, f.XSD)
	}
	b.WriteString(`</xs:sequence></xs:complexType></xs:element></xs:choice></xs:complexType></xs:element></xs:schema>`)
}
