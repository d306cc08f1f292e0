package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
