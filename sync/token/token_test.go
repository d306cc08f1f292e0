package token

import (
	"strings"
	"testing"
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
