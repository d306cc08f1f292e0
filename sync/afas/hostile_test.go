package afas_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/token"
)

// These tests play an AFAS that answers what no good AFAS answers, on servers in the test.

func hostile(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL + afassim.Path
}

func quickClient(t *testing.T, url string, cfg afas.Config) *afas.Client {
	t.Helper()
	cfg.URL, cfg.Token = url, testToken
	if cfg.RetryBase == 0 {
		cfg.RetryBase = time.Millisecond
	}
	if cfg.MaxRetryTime == 0 {
		cfg.MaxRetryTime = 2 * time.Second
	}
	c, err := afas.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var medewerkers = func() connectors.Connector { c, _ := connectors.ByRole(connectors.Medewerkers); return c }()

func readMedewerkers(c *afas.Client, take int) (int, afas.Stats, error) {
	n := 0
	st, err := c.Read(context.Background(), afas.Query{Connector: medewerkers.ID, Fields: medewerkers.Whitelist(""), Sort: medewerkers.Sort, Take: take}, func(afas.Row) error {
		n++
		return nil
	})
	return n, st, err
}

// envelope wraps a result document as AFAS does: escaped inside the result element.
func envelope(doc string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetDataWithOptionsResponse xmlns="urn:Afas.Profit.Services"><GetDataWithOptionsResult>`)
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	b.WriteString(r.Replace(doc))
	b.WriteString(`</GetDataWithOptionsResult></GetDataWithOptionsResponse></soap:Body></soap:Envelope>`)
	return b.String()
}

// heapDuring samples the heap while fn runs and returns the peak above the start.
func heapDuring(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
				peak.Store(m.HeapInuse - base)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak.Load()
}

// endless writes n bytes of one never-ending field value.
type endless struct{ left int64 }

func (e *endless) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), e.left)
	for i := range p[:n] {
		p[i] = 'x'
	}
	e.left -= n
	return int(n), nil
}

func TestHugeAnswerFailsWithinTheCap(t *testing.T) {
	for _, status := range []int{200, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var calls atomic.Int32
			url := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(status)
				head := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetDataWithOptionsResponse xmlns="urn:Afas.Profit.Services"><GetDataWithOptionsResult>&lt;AfasGetConnector&gt;&lt;Koppel_Medewerkers&gt;&lt;Medewerker&gt;`
				if status == 500 {
					head = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>`
				}
				_, _ = io.WriteString(w, head)
				_, _ = io.Copy(w, &endless{left: 1 << 30}) // 1 GiB
			})
			c := quickClient(t, url, afas.Config{MaxAnswerBytes: 8 << 20, MaxAttempts: 3})
			var err error
			peak := heapDuring(func() { _, _, err = readMedewerkers(c, 100) })
			if err == nil {
				t.Fatal("a 1 GiB answer was accepted")
			}
			if peak > 64<<20 {
				t.Errorf("reading a 1 GiB answer took %d MiB of heap", peak>>20)
			}
			if len(err.Error()) > 2<<10 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
			if status == 200 {
				if !afas.IsKind(err, afas.FaultTooLarge) || !strings.Contains(err.Error(), "Koppel_Medewerkers") || !strings.Contains(err.Error(), "8 MiB") {
					t.Errorf("error %v; want too-large naming the connector and the limit", err)
				}
				if calls.Load() != 1 {
					t.Errorf("%d calls; an answer over the cap is not retried", calls.Load())
				}
			}
		})
	}
}

func TestEndlessFullPagesFail(t *testing.T) {
	// A server that answers every call with the same full page.
	var rows strings.Builder
	rows.WriteString("<AfasGetConnector>")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&rows, "<Koppel_Medewerkers><Medewerker>%04d</Medewerker></Koppel_Medewerkers>", i)
	}
	rows.WriteString("</AfasGetConnector>")
	body := envelope(rows.String())
	var calls atomic.Int32
	url := hostile(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1); _, _ = io.WriteString(w, body) })
	_, _, err := readMedewerkers(quickClient(t, url, afas.Config{}), 10)
	if !afas.IsKind(err, afas.FaultProtocol) || !strings.Contains(err.Error(), "same rows again") {
		t.Fatalf("error %v; want 'AFAS returns the same rows again'", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls before giving up; want 2", calls.Load())
	}

	// A server that invents new rows for ever stops at the row cap.
	var n atomic.Int64
	url = hostile(t, func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString("<AfasGetConnector>")
		for i := 0; i < 10; i++ {
			fmt.Fprintf(&b, "<Koppel_Medewerkers><Medewerker>%09d</Medewerker></Koppel_Medewerkers>", n.Add(1))
		}
		b.WriteString("</AfasGetConnector>")
		_, _ = io.WriteString(w, envelope(b.String()))
	})
	_, st, err := readMedewerkers(quickClient(t, url, afas.Config{MaxRows: 1000}), 10)
	if !afas.IsKind(err, afas.FaultProtocol) || !strings.Contains(err.Error(), "more than 1000 rows") || st.Rows > 1010 {
		t.Fatalf("error %v after %d rows; want the row cap", err, st.Rows)
	}
}

// dropOne removes the last row of one answer of the simulator, as an AFAS whose data changes
// between two pages could.
type dropOne struct {
	sim    http.Handler
	target int // the answer to cut, 1-based
	calls  atomic.Int32
}

func (d *dropOne) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	d.sim.ServeHTTP(rec, r)
	body := rec.Body.String()
	if int(d.calls.Add(1)) == d.target {
		// Cut the last row: from the last row start to the end of the document.
		start := strings.LastIndex(body, "&lt;Koppel_Medewerkers&gt;")
		end := strings.Index(body, "&lt;/AfasGetConnector&gt;")
		if start >= 0 && end > start {
			body = body[:start] + body[end:]
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = io.WriteString(w, body)
}

func TestShortPageInTheMiddleIsNotTheEnd(t *testing.T) {
	sim := afassim.New(afassim.Options{Seed: 5, Employees: 2400})
	d := &dropOne{sim: sim, target: 11}
	ts := httptest.NewServer(d)
	t.Cleanup(ts.Close)
	c, err := afas.New(afas.Config{URL: ts.URL + afassim.Path, Token: sim.Token(), RetryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	st, err := c.Read(context.Background(), afas.Query{Connector: medewerkers.ID, Fields: medewerkers.Whitelist(""), Sort: medewerkers.Sort, Take: 200}, func(r afas.Row) error {
		seen[r.Get("Medewerker", afas.String).Str]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2400 || st.Rows != 2400 {
		t.Errorf("read %d employees (%d rows) of 2400 after a short 11th page", len(seen), st.Rows)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s read %d times", k, n)
		}
	}
}

func TestOddAnswersAreNotZeroRows(t *testing.T) {
	odd := map[string]string{
		"empty envelope":     `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"/>`,
		"empty body":         `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>`,
		"other element":      `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Hello/></soap:Body></soap:Envelope>`,
		"no result":          `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetDataWithOptionsResponse xmlns="urn:Afas.Profit.Services"/></soap:Body></soap:Envelope>`,
		"elements, no root":  envelope(`<Koppel_Medewerkers><Medewerker>1</Medewerker></Koppel_Medewerkers>`),
		"not xml":            "<html>gateway</html>",
		"text in the result": envelope(`just text`),
	}
	for name, body := range odd {
		t.Run(name, func(t *testing.T) {
			url := hostile(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) })
			n, _, err := readMedewerkers(quickClient(t, url, afas.Config{MaxAttempts: 2}), 100)
			if err == nil {
				t.Fatalf("accepted as %d rows", n)
			}
			if !afas.IsKind(err, afas.FaultTransport) {
				t.Errorf("error %v; want a protocol error (retried like a truncated answer)", err)
			}
		})
	}
}

func TestHugeFaultTextIsCut(t *testing.T) {
	huge := strings.Repeat("Out of memory. ", 700_000) // 10 MB
	var calls atomic.Int32
	url := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(500)
		fmt.Fprintf(w, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>%s</faultstring></soap:Fault></soap:Body></soap:Envelope>`, huge)
	})
	var retried []string
	c := quickClient(t, url, afas.Config{MaxAttempts: 4, OnRetry: func(_ string, _ int, _ time.Duration, err error) { retried = append(retried, err.Error()) }})
	_, _, err := readMedewerkers(c, 100)
	if err == nil {
		t.Fatal("no error")
	}
	if len(err.Error()) > 2<<10 || !strings.Contains(err.Error(), "Out of memory") {
		t.Errorf("error of %d bytes: %.80s", len(err.Error()), err.Error())
	}
	for _, r := range retried {
		if len(r) > 2<<10 {
			t.Errorf("retry message of %d bytes", len(r))
		}
	}
}

func TestRedirectsAreNeverFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			elsewhere.Add(1)
		}
		_, _ = io.WriteString(w, envelope("<AfasGetConnector></AfasGetConnector>"))
	}))
	t.Cleanup(other.Close)
	for _, code := range []int{301, 302, 307, 308} {
		url := hostile(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/ProfitServices/AppConnectorGet.asmx?secret=1", code)
		})
		_, _, err := readMedewerkers(quickClient(t, url, afas.Config{}), 100)
		if !afas.IsKind(err, afas.FaultRedirect) || !strings.Contains(err.Error(), strings.TrimPrefix(other.URL, "http://")) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%d: error %v; want a redirect error naming the host, without the query", code, err)
		}
	}
	if elsewhere.Load() != 0 {
		t.Errorf("the token reached the other server %d times", elsewhere.Load())
	}
}

func TestEchoedTokenIsRedacted(t *testing.T) {
	xmlForm := token.TokenXMLFor(testToken)
	url := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		fmt.Fprintf(w, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Invalid token %s (header %s)</faultstring></soap:Fault></soap:Body></soap:Envelope>`,
			strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(xmlForm), r.Header.Get("Authorization"))
	})
	_, _, err := readMedewerkers(quickClient(t, url, afas.Config{MaxAttempts: 1}), 100)
	if err == nil {
		t.Fatal("no error")
	}
	if msg := err.Error(); strings.Contains(msg, testToken[:20]) || strings.Contains(msg, token.AuthorizationHeader(xmlForm)[10:40]) {
		t.Errorf("the token is in the error: %s", msg)
	}
}

func TestIllegalCharacterIsOneBadField(t *testing.T) {
	doc := "<AfasGetConnector><Koppel_Medewerkers><Medewerker>1</Medewerker><Voornaam>An&#0;na</Voornaam></Koppel_Medewerkers>" +
		"<Koppel_Medewerkers><Medewerker>2</Medewerker><Voornaam>Line\r\nbreak\ttab</Voornaam></Koppel_Medewerkers></AfasGetConnector>"
	var calls atomic.Int32
	url := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 1 {
			_, _ = io.WriteString(w, envelope("<AfasGetConnector/>"))
			return
		}
		_, _ = io.WriteString(w, envelope(doc))
	})
	var rows []afas.Row
	_, err := quickClient(t, url, afas.Config{}).Read(context.Background(), afas.Query{Connector: medewerkers.ID, Fields: medewerkers.Whitelist(""), Sort: medewerkers.Sort}, func(r afas.Row) error {
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	if len(rows[0].Errs) != 1 || rows[0].Errs[0].Field != "Voornaam" {
		t.Errorf("row 1: errs %v; want one bad field Voornaam", rows[0].Errs)
	}
	if v := rows[1].Get("Voornaam", afas.String).Str; v != "Line  break tab" && v != "Line break tab" || len(rows[1].Cleaned) != 1 {
		t.Errorf("row 2: %q, cleaned %v", v, rows[1].Cleaned)
	}
}

func TestPoolBoundsCallsInFlight(t *testing.T) {
	var inFlight, most atomic.Int32
	sim := afassim.New(afassim.Options{Seed: 2, Employees: 300})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		// The call ends here as far as counting goes: once the answer is on its way the client
		// may send its next call.
		inFlight.Add(-1)
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(ts.Close)
	pool := afas.NewPool(3)
	c, err := afas.New(afas.Config{URL: ts.URL + afassim.Path, Token: sim.Token(), Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			_, _, err := readMedewerkers(c, 20)
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if most.Load() > 3 || pool.MaxInUse() > 3 || most.Load() < 2 {
		t.Errorf("at most %d calls in flight (pool says %d); want 2–3 with a pool of 3", most.Load(), pool.MaxInUse())
	}
}

func TestKeyPagingFilters(t *testing.T) {
	// A composite key continues with the OR of the key conditions, inside the range.
	var got []string
	var calls atomic.Int32
	url := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = append(got, string(body))
		if calls.Add(1) > 1 {
			_, _ = io.WriteString(w, envelope("<AfasGetConnector/>"))
			return
		}
		_, _ = io.WriteString(w, envelope("<AfasGetConnector><Koppel_Dienstverbanden><Medewerker>100</Medewerker><Dienstverband>2</Dienstverband></Koppel_Dienstverbanden></AfasGetConnector>"))
	})
	dv, _ := connectors.ByRole(connectors.Dienstverbanden)
	_, err := quickClient(t, url, afas.Config{}).Read(context.Background(), afas.Query{
		Connector: dv.ID, Fields: dv.Whitelist(""), Sort: dv.Sort, Range: afas.Range{From: "050", To: "200"},
		Filters: afas.OnOrAfterOrEmpty("Einddatum_contract", "2024-01-01"),
	}, func(afas.Row) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d calls", len(got))
	}
	unescape := strings.NewReplacer("&#34;", `"`, "&quot;", `"`)
	first, next := unescape.Replace(got[0]), unescape.Replace(got[1])
	for _, want := range []string{`FieldId="Medewerker" OperatorType="2"&gt;050`, `FieldId="Medewerker" OperatorType="5"&gt;200`} {
		if !strings.Contains(first, want) {
			t.Errorf("first page lacks %s", want)
		}
	}
	if strings.Contains(first, "skip&gt;") && !strings.Contains(first, "<skip>0</skip>") {
		t.Errorf("first page skips")
	}
	// Two date terms × two key terms = four Filter elements.
	if n := strings.Count(next, "&lt;Filter FilterId="); n != 4 {
		t.Errorf("next page has %d Filter elements; want 4", n)
	}
	for _, want := range []string{`FieldId="Medewerker" OperatorType="4"&gt;100`, `FieldId="Medewerker" OperatorType="1"&gt;100`, `FieldId="Dienstverband" OperatorType="4"&gt;2`} {
		if !strings.Contains(next, want) {
			t.Errorf("next page lacks %s", want)
		}
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
