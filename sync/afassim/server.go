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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// Latency delays every SOAP answer, and RowCost adds that much per row returned, as a real
	// AFAS environment takes longer for bigger pages. Parallel calls wait side by side: N calls
	// at once take about as long as one.
	Latency time.Duration
	RowCost time.Duration
	// Churn, when set, is called under the lock before each data call is answered, with the
	// connector asked for and the number of data calls for it so far, this one included (1 for
	// the first). It may change d in any way (as Update's fn may), e.g. to insert, change and
	// delete rows before and after a reader's cursor; it must not call the Server's methods. Data
	// calls are the calls that are answered with rows (or none), not faults.
	Churn func(connector string, call int, d *Dataset)
	// ChurnRows is the ready-made deterministic churn: before every data call, that many rows of
	// the connector asked for are deleted, inserted and changed (each), at positions on both sides
	// of the middle of its key order. Server.Stable tells which rows it left alone.
	ChurnRows int
	// Flex serves an AFAS Flex environment: Koppel_Plaatsingen and flex workers (flex.go).
	Flex bool
	// Documents fills Koppel_Dossieritems and serves their attachments (AppConnectorSubject.asmx);
	// without it that connector is not installed.
	Documents bool
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
	cond     *sync.Cond // on mu: pages given back, exclusive sections ended
	data     *Dataset
	omit     map[string]bool
	unauth   map[string]bool
	cache    map[*Table]*tableCache // sorted row orders, until the data changes
	dates    map[string]time.Time   // parsed wire dates
	requests int
	rng      *rand.Rand
	// writers counts pages being written without the lock; excl is set while rows may be
	// changed in place (see beginExclusive).
	writers int
	excl    bool
	// calls counts data calls per connector id.
	calls map[string]int
	// fastCalls counts the answers taken from an index range scan (for tests).
	fastCalls int
	// free are row lists of pages given back; scratch is selectRows' index list.
	free    [][][]string
	scratch []int

	// The built-in churn (Options.ChurnRows).
	churnRng  *rand.Rand
	churnN    int
	churns    map[*Table]*churnState
	keys      map[*Table]*keyBook
	keysDirty bool

	inFlight    atomic.Int64
	maxInFlight atomic.Int64

	attachmentCalls int
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
		cache:  map[*Table]*tableCache{},
		dates:  map[string]time.Time{},
		rng:    rand.New(rand.NewPCG(uint64(o.Seed), 0x736f7274)),
		calls:  map[string]int{},
		churns: map[*Table]*churnState{},
		keys:   map[*Table]*keyBook{},

		churnRng: rand.New(rand.NewPCG(uint64(o.Seed), 0x636875726e)),
	}
	s.cond = sync.NewCond(&s.mu)
	if o.Flex {
		AddFlex(s.data)
	}
	for _, f := range o.Drop {
		s.dropField(f)
	}
	for _, f := range o.Extra {
		s.addField(f)
	}
	if o.Documents {
		s.addDocuments()
	} else {
		delete(s.data.Tables, DossierConnector)
	}
	for i := 1; i <= o.Revision; i++ {
		s.revise(i)
		if o.Documents {
			s.reviseDocuments(i)
		}
	}
	// Renames last: the options above name the standard connectors and fields.
	for _, r := range o.Rename {
		s.rename(r)
	}
	if o.ChurnRows > 0 {
		s.refreshKeys()
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

// InFlight is the number of requests being answered now.
func (s *Server) InFlight() int { return int(s.inFlight.Load()) }

// MaxInFlight is the highest number of requests answered at the same time since the start or
// since ResetMaxInFlight. A request counts from the moment the handler is called until it
// returns, latency included.
func (s *Server) MaxInFlight() int { return int(s.maxInFlight.Load()) }

// ResetMaxInFlight starts MaxInFlight over from the requests in flight now.
func (s *Server) ResetMaxInFlight() { s.maxInFlight.Store(s.inFlight.Load()) }

// Calls counts the data calls answered for a connector id (see Options.Churn).
func (s *Server) Calls(connector string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[connector]
}

// Update changes data under the lock: tests change "AFAS" between runs this way. It waits until
// the answers being written are out.
func (s *Server) Update(fn func(*Dataset)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beginExclusive()
	defer s.endExclusive()
	fn(s.data)
	s.changedAll()
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
	t.Key = slices.DeleteFunc(slices.Clone(t.Key), func(k string) bool { return k == field })
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
		for k := range t.Key {
			if t.Key[k] == field {
				t.Key[k] = to
			}
		}
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
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if strings.EqualFold(r.URL.Path, SubjectPath) {
		s.serveSubject(w, r)
		return
	}
	if !strings.EqualFold(r.URL.Path, Path) {
		http.NotFound(w, r)
		return
	}
	inner, ok := s.soapBody(w, r, afas.WSDL)
	if !ok {
		return
	}
	var req request
	if err := xml.Unmarshal(inner, &req); err != nil {
		fault(w, http.StatusInternalServerError, "Server was unable to process request: no operation in body.")
		return
	}
	op := req.XMLName.Local
	if op != "GetData" && op != "GetDataWithOptions" {
		fault(w, http.StatusInternalServerError, "Server did not recognize the value of HTTP Header SOAPAction: "+r.Header.Get("SOAPAction"))
		return
	}
	if !s.authorized(w, r, req.Token) {
		return
	}
	p, status, msg := s.query(req)
	if status != 0 {
		fault(w, status, msg)
		return
	}
	// The page is written without the lock, so that parallel calls are answered side by side.
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>`)
	fmt.Fprintf(&b, `<%sResponse xmlns="urn:Afas.Profit.Services"><%sResult>`, op, op)
	p.write(&b, true)
	rows := len(p.rows)
	s.release(p)
	fmt.Fprintf(&b, `</%sResult></%sResponse></soap:Body></soap:Envelope>`, op, op)
	if !pause(r, time.Duration(rows)*s.opts.RowCost) {
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// pause waits d, or less when the client gives up; it tells whether the client is still there.
func pause(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
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

func writeSchema(b *bytes.Buffer, id string, fields []afas.SchemaField) {
	b.WriteString(`<xs:schema id="AfasGetConnector" xmlns="" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:msdata="urn:schemas-microsoft-com:xml-msdata">`)
	b.WriteString(`<xs:element name="AfasGetConnector" msdata:IsDataSet="true" msdata:Locale=""><xs:complexType><xs:choice minOccurs="0" maxOccurs="unbounded">`)
	fmt.Fprintf(b, `<xs:element name="%s"><xs:complexType><xs:sequence>`, id)
	for _, f := range fields {
		fmt.Fprintf(b, `<xs:element name="%s" type="%s" minOccurs="0" />`, f.Name, f.XSD)
	}
	b.WriteString(`</xs:sequence></xs:complexType></xs:element></xs:choice></xs:complexType></xs:element></xs:schema>`)
}

// soapBody is what both services do before their operation: the WSDL on ?WSDL, POST only, the
// body read (only then does net/http notice a client that hangs up), the latency, the injected
// faults and the SOAP envelope. It returns the envelope's body, or false when it answered.
func (s *Server) soapBody(w http.ResponseWriter, r *http.Request, wsdl []byte) ([]byte, bool) {
	if r.Method == http.MethodGet && strings.EqualFold(r.URL.RawQuery, "wsdl") {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write(wsdl)
		return nil, false
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, false
	}
	if !pause(r, s.opts.Latency) {
		return nil, false
	}
	if s.injectFault(w, r) {
		return nil, false
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		fault(w, http.StatusInternalServerError, "Server was unable to process request. ---> Data at the root level is invalid.")
		return nil, false
	}
	return env.Body.Inner, true
}

// authorized checks the token of a request (its Authorization header, else the token in the
// body) as AFAS does, answering the fault itself when it is wrong.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, bodyToken string) bool {
	tok, ok := s.tokenOf(r.Header.Get("Authorization"), bodyToken)
	if !ok {
		fault(w, http.StatusInternalServerError, "Server was unable to process request: the Authorization header is malformed.")
		return false
	}
	if token.TokenDataOf(tok) != s.token {
		fault(w, http.StatusInternalServerError, "Invalid token: the token is not valid for this environment (AfasToken)")
		return false
	}
	return true
}
