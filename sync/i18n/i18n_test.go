package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every message code written in koppel's source must be in the catalog, in both languages.
func TestEveryCodeInTheCatalog(t *testing.T) {
	code := regexp.MustCompile(`"((?:tui|cli|run|stage|verify|dept|emp|dv|abs|user|field|status|entity|level)\.[a-z_.]*[a-z_])"`)
	found := 0
	err := filepath.WalkDir(filepath.Join("..", ".."), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "i18n") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range code.FindAllStringSubmatch(string(src), -1) {
			found++
			if !Has(m[1]) {
				t.Errorf("%s: %s is not in the catalog", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 100 {
		t.Errorf("only %d codes found: the scan is broken", found)
	}
	seen := map[string]bool{}
	for _, cat := range catalogs() {
		for k, v := range cat {
			if seen[k] {
				t.Errorf("%s is in two parts of the catalog", k)
			}
			seen[k] = true
			if v[0] == "" || v[1] == "" {
				t.Errorf("%s lacks a language", k)
			}
			if strings.Count(v[0], "%[") != strings.Count(v[1], "%[") {
				t.Errorf("%s: Dutch and English take different arguments", k)
			}
		}
	}
}

func TestRender(t *testing.T) {
	if got := NL.T("dv.dept_missing", "X1"); got != `Organisatorische_eenheid_code "X1" staat niet in Koppel_Organisatie` {
		t.Errorf("nl: %s", got)
	}
	if got := EN.T("profile.account_name", "unused"); got != "is empty" {
		t.Errorf("unused arguments must not show: %q", got)
	}
	if got := NL.T("no.such.code", "a"); got != "no.such.code: a" {
		t.Errorf("unknown code: %q", got)
	}
	if got := NL.T("run.guard", "3", "10", "10"); !strings.Contains(got, "(grens 10%)") {
		t.Errorf("percent sign: %q", got)
	}
	if _, err := Parse("fr"); err == nil {
		t.Errorf("fr accepted")
	}
}
