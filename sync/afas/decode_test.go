package afas_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/token"
)

// serveFile answers every call with a recorded AFAS response from testdata/soap.
func serveFile(t *testing.T, name string, status int) string {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "soap", name))
	if err != nil {
		t.Fatal(err)
	}
	empty, err := os.ReadFile(filepath.Join("..", "..", "testdata", "soap", "empty_result.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AfasToken ") {
			t.Errorf("no AfasToken header")
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		mu.Lock()
		calls++
		again := calls > 1
		mu.Unlock()
		if status == http.StatusOK && again {
			// The page after the recorded one: a read ends on an empty page.
			_, _ = w.Write(empty)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var dvFields = afas.Fields{
	"Medewerker": afas.String, "Dienstverband": afas.Int, "Begindatum_contract": afas.Date,
	"Einddatum_contract": afas.Date, "Uren_per_week": afas.Decimal, "Functie_omschrijving": afas.String,
}

func readAll(t *testing.T, url string) ([]afas.Row, afas.Stats, error) {
	t.Helper()
	c, err := afas.New(afas.Config{URL: url, Token: testToken, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	var rows []afas.Row
	st, err := c.Read(context.Background(), afas.Query{Connector: "Koppel_Dienstverbanden", Fields: dvFields}, func(r afas.Row) error {
		rows = append(rows, r.Clone())
		return nil
	})
	return rows, st, err
}

func TestDecodeBothOutputOptions(t *testing.T) {
	for _, file := range []string{"outputoptions2.xml", "outputoptions3.xml"} {
		t.Run(file, func(t *testing.T) {
			rows, st, err := readAll(t, serveFile(t, file, 200))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 {
				t.Fatalf("%d rows, want 2", len(rows))
			}
			r0, r1 := rows[0], rows[1]
			if v := r0.Get("Medewerker", afas.String); v.Str != "1001" {
				t.Errorf("Medewerker = %+v", v)
			}
			if v := r0.Get("Uren_per_week", afas.Decimal); v.Text() != "-0.5" {
				t.Errorf("-.5 read as %q", v.Text())
			}
			if v := r0.Get("Begindatum_contract", afas.Date); v.Text() != "2019-03-01" {
				t.Errorf("date read as %q", v.Text())
			}
			if v := r0.Get("Einddatum_contract", afas.Date); !v.Null {
				t.Errorf("missing or empty end date should be null, got %+v", v)
			}
			if v := r0.Get("Functie_omschrijving", afas.String); v.Str != "Verzorgende & begeleider" {
				t.Errorf("doubly escaped text read as %q", v.Str)
			}
			if v := r1.Get("Functie_omschrijving", afas.String); !v.Null {
				t.Errorf("empty text should be null, got %+v", v)
			}
			if v := r1.Get("Dienstverband", afas.Int); v.Int != 2 {
				t.Errorf("Dienstverband = %+v", v)
			}
			if _, ok := r0.Lookup("Opmerking"); ok {
				t.Errorf("a field beyond the whitelist was decoded")
			}
			if strings.Join(st.Dropped, ",") != "Opmerking" {
				t.Errorf("dropped fields = %v, want Opmerking", st.Dropped)
			}
		})
	}
}

func TestDecodeEmptyForms(t *testing.T) {
	for _, file := range []string{"empty_result.xml", "empty_connector.xml"} {
		rows, st, err := readAll(t, serveFile(t, file, 200))
		if err != nil || len(rows) != 0 || st.Pages != 1 {
			t.Errorf("%s: rows %d pages %d err %v; want no rows in one page", file, len(rows), st.Pages, err)
		}
	}
}

func TestSchemaFromMetadata(t *testing.T) {
	c, err := afas.New(afas.Config{URL: serveFile(t, "outputoptions2.xml", 200), Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	sf, err := c.Schema(context.Background(), "Koppel_Dienstverbanden")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range sf {
		names = append(names, f.Name+":"+f.Kind.String())
	}
	want := "Medewerker:string Dienstverband:int Begindatum_contract:date Einddatum_contract:date Uren_per_week:decimal Functie_omschrijving:string Opmerking:string"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("schema\n got %s\nwant %s", got, want)
	}
}

func TestFaultsFromHTTP500(t *testing.T) {
	tests := []struct {
		file      string
		kind      afas.FaultKind
		temporary bool
	}{
		{"fault_connector_missing.xml", afas.FaultConnectorMissing, false},
		{"fault_not_authorized.xml", afas.FaultNotAuthorized, false},
		{"fault_field_not_found.xml", afas.FaultFieldNotFound, false},
		{"fault_invalid_token.xml", afas.FaultInvalidToken, false},
		{"fault_timeout.xml", afas.FaultOther, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, _, err := readAll(t, serveFile(t, tt.file, 500))
			var ae *afas.Error
			if !asError(err, &ae) {
				t.Fatalf("error %v is not an *afas.Error", err)
			}
			if ae.Kind != tt.kind || ae.Temporary() != tt.temporary {
				t.Errorf("kind %v temporary %v, want %v %v", ae.Kind, ae.Temporary(), tt.kind, tt.temporary)
			}
			if ae.Message == "" || !strings.Contains(err.Error(), ae.Message) || !strings.Contains(err.Error(), "Koppel_Dienstverbanden") {
				t.Errorf("error should carry AFAS's message and the connector: %v", err)
			}
			if tt.kind == afas.FaultFieldNotFound && ae.Field != "Einddatum_contract" {
				t.Errorf("field = %q", ae.Field)
			}
		})
	}
}

func TestKeepsConnectionsAlive(t *testing.T) {
	sim := afassim.New(afassim.Options{Seed: 2, Employees: 100})
	var mu sync.Mutex
	conns := 0
	ts := httptest.NewUnstartedServer(sim)
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	ts.Start()
	defer ts.Close()
	c, _ := afas.New(afas.Config{URL: ts.URL + afassim.Path, Token: sim.TokenData(), PageSize: 10})
	st, err := c.Read(context.Background(), afas.Query{Connector: "Koppel_Medewerkers", Fields: afas.Fields{"Medewerker": afas.String}, Sort: []string{"Medewerker"}}, func(afas.Row) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if st.Calls != 11 || conns != 1 {
		t.Errorf("%d calls over %d connections; want 11 calls over 1 kept-alive connection", st.Calls, conns)
	}
}

func asError(err error, target **afas.Error) bool { return errors.As(err, target) }

func TestTokenForms(t *testing.T) {
	xmlForm, form, err := token.NormalizeToken(testToken)
	if err != nil || form != token.TokenData || xmlForm != "<token><version>1</version><data>"+testToken+"</data></token>" {
		t.Errorf("64 characters: %q %v %v", xmlForm, form, err)
	}
	again, form, err := token.NormalizeToken(" " + xmlForm + "\n")
	if err != nil || form != token.TokenXML || again != xmlForm {
		t.Errorf("XML form: %q %v %v", again, form, err)
	}
	for _, bad := range []string{"", "abc", testToken[:63], testToken + "0", strings.Replace(testToken, "0", "g", 1), "<token><data>abc</data></token>"} {
		if _, _, err := token.NormalizeToken(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if len(bad) > 8 && strings.Contains(err.Error(), bad) {
			t.Errorf("error repeats the token: %v", err)
		}
	}
	if got := token.MaskToken(xmlForm); got != "…cdef" {
		t.Errorf("mask = %q", got)
	}
	if h := token.AuthorizationHeader(xmlForm); !strings.HasPrefix(h, "AfasToken PHRva2VuPjx2ZXJzaW9uPjE8L3ZlcnNpb24+") {
		t.Errorf("header = %q", h)
	}
}
