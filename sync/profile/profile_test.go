package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/i18n"
)

func example(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "profiles", "acme.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func noenv(string) string { return "" }

func TestExampleProfile(t *testing.T) {
	p, err := Parse([]byte(example(t)), "/work", noenv)
	if err != nil {
		t.Fatal(err)
	}
	if p.DateFrom != "2022-01-31" || p.Delivery.Outbox != "/work/outbox" || p.Couplings.Werknemer.Salary.Kind != "maandloon" {
		t.Errorf("parsed %+v", p)
	}
	if !strings.HasPrefix(p.Account.Token, "<token><version>1</version><data>") {
		t.Errorf("token not normalised to the XML form")
	}
	if p.URL() != "http://127.0.0.1:8080/ProfitServices/AppConnectorGet.asmx" {
		t.Errorf("URL %s", p.URL())
	}
	p.Account.URL = ""
	if p.URL() != "https://12345.soap.afas.online/ProfitServices/AppConnectorGet.asmx" {
		t.Errorf("derived URL %s", p.URL())
	}
	p.Account.Environment = "test"
	if p.URL() != "https://12345.soaptest.afas.online/ProfitServices/AppConnectorGet.asmx" {
		t.Errorf("test URL %s", p.URL())
	}
}

func TestBadValuesNameKeyAndForm(t *testing.T) {
	tests := []struct {
		from, to string
		key      string
	}{
		{"date_from: 2022-01-31", "date_from: 2022-31-01", "date_from"},
		{"date_from: 2022-01-31", "date_from: 31-01-2022", "date_from"},
		{"date_from: 2022-01-31", "date_from: 2022-02-30", "date_from"},
		{"environment: production", "environment: prod", "account.environment"},
		{`participant: "12345"`, `participant: "1234"`, "account.participant"},
		{"name: acme", "name: Acme Zorg", "name"},
		{"kind: maandloon", "kind: weekloon", "couplings.werknemer.salary.kind"},
		{"mode: compleet", "mode: alles", "delivery.mode"},
		{"url: http://127.0.0.1:8080", "url: ftp://127.0.0.1:8080", "account.url"},
		{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "0123456789abcdef", "account.token"},
		{"classifications: {}", "classifications: {ZO: Griep}", "couplings.verzuim.classifications.ZO"},
		{"employer: ACME", "employer: \"\"", "employer"},
	}
	for _, tt := range tests {
		src := example(t)
		if !strings.Contains(src, tt.from) {
			t.Fatalf("example lacks %q", tt.from)
		}
		_, err := Parse([]byte(strings.Replace(src, tt.from, tt.to, 1)), "/", noenv)
		if err == nil {
			t.Errorf("%s accepted", tt.to)
			continue
		}
		if !strings.Contains(err.Error(), tt.key+":") || !strings.Contains(err.Error(), "expected") {
			t.Errorf("%s: error %q does not name %s and the expected form", tt.to, err, tt.key)
		}
	}
}

func TestUnknownKeysRefused(t *testing.T) {
	src := strings.Replace(example(t), "employer: ACME", "employer: ACME\nwerkgever: ACME", 1)
	if _, err := Parse([]byte(src), "/", noenv); err == nil || !strings.Contains(err.Error(), "werkgever") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestTokenFromEnvironment(t *testing.T) {
	src := strings.Replace(example(t), `token: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"`, "token_env: AFAS_TOKEN", 1)
	env := func(k string) string {
		if k == "AFAS_TOKEN" {
			return strings.Repeat("ab", 32)
		}
		return ""
	}
	p, err := Parse([]byte(src), "/", env)
	if err != nil || !strings.Contains(p.Account.Token, strings.Repeat("ab", 32)) {
		t.Fatalf("token_env: %v", err)
	}
	if _, err := Parse([]byte(src), "/", noenv); err == nil || !strings.Contains(err.Error(), "AFAS_TOKEN") {
		t.Errorf("empty token_env: %v", err)
	}
}

func TestHostileProfileFiles(t *testing.T) {
	base := `name: acme
account: {name: Acme, participant: "12345", environment: production, token: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
employer: ACME
couplings: {werknemer: {enabled: true}}
date_from: 2022-01-31
delivery: {outbox: /tmp/out, mode: compleet}
`
	env := func(string) string { return "" }
	if _, err := Parse([]byte(base), "", env); err != nil {
		t.Fatalf("the base profile is refused: %v", err)
	}
	// A billion laughs: aliases that multiply.
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	_, err := Parse([]byte(base+bomb), "", env)
	var es Errors
	if !errors.As(err, &es) || es[0].Code != "alias" {
		t.Errorf("aliases: %v", err)
	}
	// Too large before parsing.
	_, err = Parse(append([]byte(base), bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1)...), "", env)
	if !errors.As(err, &es) || es[0].Code != "file_size" {
		t.Errorf("size: %v", err)
	}
	// Every echoed value is cut, and a long list of problems is cut too.
	long := strings.Repeat("x", 5000)
	yamlText := strings.Replace(base, "couplings: {werknemer: {enabled: true}}", "couplings: {werknemer: {enabled: true}, verzuim: {enabled: true, classifications: {"+classificationList(100, long)+"}}}", 1)
	_, err = Parse([]byte(yamlText), "", env)
	if !errors.As(err, &es) || len(es) != 100 {
		t.Fatalf("classifications: %v", err)
	}
	msg := es.Text(i18n.EN)
	if len(msg) > 20_000 || !strings.Contains(msg, "and 70 more problems") || strings.Contains(msg, strings.Repeat("x", 100)) {
		t.Errorf("error text of %d bytes:\n%.300s", len(msg), msg)
	}
	// Lengths are capped per field.
	_, err = Parse([]byte(strings.Replace(base, "name: Acme", "name: "+strings.Repeat("A", 101), 1)), "", env)
	if !errors.As(err, &es) || es[0].Key != "account.name" || es[0].Code != "too_long" || !strings.Contains(es.Text(i18n.EN), "at most 100 characters") {
		t.Errorf("long account name: %v", err)
	}
}

func classificationList(n int, value string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "c%03d: %s, ", i, value)
	}
	return b.String()
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("name: acme\naccount: {name: A}\n"))
	f.Add([]byte("a: &a [x]\nb: *a\n"))
	f.Add([]byte("{{{{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "", func(string) string { return "" })
		if err == nil && p == nil {
			t.Fatal("nil profile without error")
		}
		if err != nil && len(err.Error()) > 64<<10 {
			t.Fatalf("error of %d bytes", len(err.Error()))
		}
	})
}

func TestColumnSettings(t *testing.T) {
	base := `name: acme
account: {name: Acme, participant: "12345", environment: production, token: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
employer: ACME
couplings: {werknemer: {enabled: true}}
date_from: 2022-01-31
delivery:
  outbox: /tmp/out
  mode: mutaties
`
	env := func(string) string { return "" }
	ok := base + "  columns: {medewerkers: {rename: {Personeelsnummer: Werknemer_Personeelsnummer}, omit: [Roepnaam], add: {Bron: AFAS}, order: [WerkgeverCode]}}\n  mutation_column: none\n"
	p, err := Parse([]byte(ok), "", env)
	if err != nil {
		t.Fatalf("valid columns refused: %v", err)
	}
	if p.Delivery.MutationHeader() != "" {
		t.Errorf("mutation_column none: header %q", p.Delivery.MutationHeader())
	}
	for yaml, wantKey := range map[string]string{
		"  columns: {medewerkers: {omit: [Personeelsnummer]}}\n": "delivery.columns.medewerkers.omit",
		"  columns: {salarissen: {omit: [X]}}\n":                 "delivery.columns.salarissen",
		"  columns: {verzuim: {rename: {Vangnet: VerzuimId}}}\n": "delivery.columns.verzuim.rename.Vangnet",
		"  columns: {afdelingen: {add: {Naam: x}}}\n":            "delivery.columns.afdelingen",
		"  columns: {gebruikers: {order: [Onbekend]}}\n":         "delivery.columns.gebruikers.order",
		"  mutation_column: \"Mutatie soort\"\n":                 "delivery.mutation_column",
	} {
		_, err := Parse([]byte(base+yaml), "", env)
		var es Errors
		if !errors.As(err, &es) || es[0].Key != wantKey {
			t.Errorf("%s: %v; want an error at %s", strings.TrimSpace(yaml), err, wantKey)
		}
	}
	if p.Delivery.MutationColumn = ""; p.Delivery.MutationHeader() != "Mutatie" {
		t.Errorf("default mutation column %q", p.Delivery.MutationHeader())
	}
}
