package afassim

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/token"
)

func call(t *testing.T, s *Server, req string, auth bool) (int, string) {
	t.Helper()
	ts := httptest.NewServer(s)
	defer ts.Close()
	env := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` + req + `</soap:Body></soap:Envelope>`
	r, _ := http.NewRequest(http.MethodPost, ts.URL+Path, strings.NewReader(env))
	if auth {
		r.Header.Set("Authorization", token.AuthorizationHeader(s.Token()))
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestProtocolCorners(t *testing.T) {
	s := New(Options{Seed: 1, Employees: 50})
	op := func(take, extra string) string {
		return `<GetDataWithOptions xmlns="urn:Afas.Profit.Services"><connectorId>Koppel_Medewerkers</connectorId>` + take + extra + `</GetDataWithOptions>`
	}
	if code, body := call(t, s, op("", ""), true); code != 200 || strings.Contains(body, "&lt;Koppel_Medewerkers&gt;") {
		t.Errorf("no take must give no rows: %d", code)
	}
	if code, body := call(t, s, op("<take>-1</take>", ""), true); code != 500 || !strings.Contains(body, "faultstring") {
		t.Errorf("negative take: %d", code)
	}
	if code, _ := call(t, s, op("<take>1</take>", ""), false); code != 500 {
		t.Errorf("no token: %d", code)
	}
	body := `<GetData xmlns="urn:Afas.Profit.Services"><token>` + strings.ReplaceAll(strings.ReplaceAll(s.Token(), "<", "&lt;"), ">", "&gt;") + `</token><connectorId>Koppel_Organisatie</connectorId><take>2</take></GetData>`
	if code, b := call(t, s, body, false); code != 200 || !strings.Contains(b, "GetDataResult") {
		t.Errorf("token in the body (GetData): %d %s", code, b[:min(200, len(b))])
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	res, err := http.Get(ts.URL + Path + "?WSDL")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("WSDL: %v", err)
	}
	wsdl, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(wsdl), "urn:Afas.Profit.Services/GetDataWithOptions") {
		t.Errorf("WSDL does not describe GetDataWithOptions")
	}
}

func TestFiltersSortAndOutputOptions(t *testing.T) {
	s := New(Options{Seed: 2, Employees: 300})
	ts := httptest.NewServer(s)
	defer ts.Close()
	c, err := afas.New(afas.Config{URL: ts.URL + Path, Token: s.TokenData()})
	if err != nil {
		t.Fatal(err)
	}
	// (end >= 2025-01-01) OR (end empty), AND'ed with a department filter inside the first Filter.
	filters := []afas.Filter{
		{{Field: "Einddatum_contract", Op: afas.OpGreaterOrEqual, Value: "2025-01-01T00:00:00"}, {Field: "Werkgever_code", Op: afas.OpEqual, Value: "TZV"}},
		{{Field: "Einddatum_contract", Op: afas.OpEmpty}},
	}
	n, ended := 0, 0
	_, err = c.Read(context.Background(), afas.Query{Connector: "Koppel_Dienstverbanden", Fields: afas.Fields{"Einddatum_contract": afas.Date, "Werkgever_code": afas.String}, Sort: []string{"Medewerker", "Dienstverband"}, Filters: filters}, func(r afas.Row) error {
		n++
		end := r.Get("Einddatum_contract", afas.Date)
		if !end.Null {
			ended++
			if end.Time.Year() < 2025 || r.Get("Werkgever_code", afas.String).Str != "TZV" {
				t.Errorf("row outside the filter: %v", maps.Collect(r.All()))
			}
		}
		return nil
	})
	if err != nil || n == 0 || ended == 0 {
		t.Errorf("rows %d ended %d err %v", n, ended, err)
	}
	// Without a sort, AFAS gives no stable order: neither does the simulator.
	first := unsortedKeys(t, s)
	second := unsortedKeys(t, s)
	if first == second {
		t.Errorf("unsorted pages came in the same order twice")
	}
}

func unsortedKeys(t *testing.T, s *Server) string {
	doc, _, status, msg := s.answer(request{ConnectorID: "Koppel_Medewerkers", Take: "20", Options: afas.Options{EmptyAsElements: true}.XML()})
	if status != 0 {
		t.Fatal(msg)
	}
	if !strings.Contains(string(doc), "<BSN />") && !strings.Contains(string(doc), "<Voorvoegsel />") {
		t.Errorf("Outputoptions 3 should write empty elements")
	}
	return string(doc)
}

func TestRevisionChangesOneDocument(t *testing.T) {
	a, b := New(Options{Seed: 2, Employees: 40, Documents: true}), New(Options{Seed: 2, Employees: 40, Documents: true, Revision: 1})
	ta, tb := a.data.Tables[DossierConnector], b.data.Tables[DossierConnector]
	if len(ta.Rows) != len(tb.Rows) || len(ta.Rows) < 10 {
		t.Fatalf("%d and %d rows", len(ta.Rows), len(tb.Rows))
	}
	diff := 0
	for r := range ta.Rows {
		ra, rb := ta.Rows[r], tb.Rows[r]
		subject, _ := strconv.ParseInt(ra[ta.Col("Dossieritem")], 10, 64)
		k := AttachmentKey(subject, ra[ta.Col("Bijlage_id")])
		x, y := a.data.Attachments[k], b.data.Attachments[k]
		if ra[ta.Col("Gewijzigd_op")] != rb[tb.Col("Gewijzigd_op")] {
			diff++
			if x == nil || y == nil || x.Seed == y.Seed {
				t.Errorf("row %d: modified without new content", r)
			}
		} else if x != nil && y != nil && *x != *y {
			t.Errorf("row %d: new content without a new Gewijzigd_op", r)
		}
	}
	if diff != 1 {
		t.Errorf("revision 1 changed %d documents, want 1", diff)
	}
	if _, ok := New(Options{Seed: 2, Employees: 40}).data.Tables[DossierConnector]; ok {
		t.Error("without --documents Koppel_Dossieritems is installed")
	}
}
