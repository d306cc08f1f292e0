package token

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzNormalizeToken(f *testing.F) {
	data := strings.Repeat("ab12", 16)
	for _, s := range []string{data, TokenXMLFor(data), "<token><version>1</version><data>x</data></token>", "", "<token>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, _, err := NormalizeToken(s)
		if err != nil {
			// One fixed message for every bad input: it cannot echo a (partly right)
			if _, _, ref := NormalizeToken(""); err.Error() != ref.Error() {
				t.Fatalf("error depends on the input: %v", err)
			}
			return
		}
		again, form, err := NormalizeToken(x)
		if err != nil || again != x || form != TokenXML {
			t.Fatalf("normal form not stable: %q → %q (%v)", x, again, err)
		}
		if len(TokenDataOf(x)) != 64 {
			t.Fatalf("data part %q", TokenDataOf(x))
		}
	})
}

func TestRedactEveryForm(t *testing.T) {
	data := strings.Repeat("0123456789abcdef", 4)
	xmlForm := TokenXMLFor(data)
	auth := AuthorizationHeader(xmlForm)
	for name, text := range map[string]string{
		"xml":       "fault: invalid token " + xmlForm + " given",
		"escaped":   "echo &lt;token&gt;&lt;version&gt;1&lt;/version&gt;&lt;data&gt;" + data + "&lt;/data&gt;&lt;/token&gt;",
		"data":      "token " + strings.ToUpper(data) + ".",
		"header":    "request had Authorization: " + auth,
		"base64":    "b64=" + strings.TrimPrefix(auth, "AfasToken "),
		"multiline": "a\n" + data + "\nb",
	} {
		got := Redact(text)
		if strings.Contains(strings.ToLower(got), data[:16]) || strings.Contains(got, strings.TrimPrefix(auth, "AfasToken ")[:20]) || !strings.Contains(got, Redacted) {
			t.Errorf("%s: %q", name, got)
		}
	}
	if got := Redact("no secret here, 12345"); got != "no secret here, 12345" {
		t.Errorf("changed a harmless text: %q", got)
	}
}

func TestCleanCutsAndFolds(t *testing.T) {
	long := strings.Repeat("é", 2000)
	got := Clean("line1\r\nline2\tx\x00y "+long, 1024)
	if len(got) > 1024+len("…") || !strings.HasPrefix(got, "line1 line2 x y é") || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Errorf("clean = %q (%d bytes)", got[:40], len(got))
	}
	if got := Clean("  short  ", 10); got != "short" {
		t.Errorf("clean = %q", got)
	}
	huge := strings.Repeat("x", 10<<20)
	if got := Clean(huge, 1024); len(got) > 1100 {
		t.Errorf("10 MB text cut to %d bytes", len(got))
	}
}
