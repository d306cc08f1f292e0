// Package token reads, normalises and masks AFAS tokens. It never prints a token.
package token

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"
)

// TokenForm tells which form of the token a user gave.
type TokenForm int

const (
	TokenXML  TokenForm = iota // the whole <token><version>1</version><data>…</data></token>
	TokenData                  // only the 64 hexadecimal characters
)

// NormalizeToken accepts the whole XML token or just its 64 hexadecimal characters and returns the
// XML form, which is what koppel always sends. The error never repeats the token.
func NormalizeToken(s string) (xmlForm string, form TokenForm, err error) {
	s = strings.TrimSpace(s)
	if isTokenData(s) {
		return TokenXMLFor(s), TokenData, nil
	}
	var t struct {
		XMLName xml.Name `xml:"token"`
		Version string   `xml:"version"`
		Data    string   `xml:"data"`
	}
	if strings.HasPrefix(s, "<") && xml.Unmarshal([]byte(s), &t) == nil && isTokenData(strings.TrimSpace(t.Data)) {
		v := strings.TrimSpace(t.Version)
		if v == "" {
			v = "1"
		}
		return "<token><version>" + v + "</version><data>" + strings.TrimSpace(t.Data) + "</data></token>", TokenXML, nil
	}
	return "", 0, fmt.Errorf("the token is neither the AFAS XML form <token><version>1</version><data>…64 hexadecimal characters…</data></token> nor just the 64 hexadecimal characters")
}

// TokenXMLFor wraps the 64 data characters in AFAS's token XML.
func TokenXMLFor(data string) string {
	return "<token><version>1</version><data>" + data + "</data></token>"
}

// TokenDataOf returns the data part of a normalized XML token.
func TokenDataOf(xmlForm string) string {
	_, rest, ok := strings.Cut(xmlForm, "<data>")
	if !ok {
		return ""
	}
	d, _, _ := strings.Cut(rest, "</data>")
	return d
}

// AuthorizationHeader is the value of the HTTP Authorization header AFAS requires since Profit 6.
func AuthorizationHeader(xmlForm string) string {
	return "AfasToken " + base64.StdEncoding.EncodeToString([]byte(xmlForm))
}

// MaskToken shows a token as "…" plus its last four characters, so a consultant can tell tokens
// apart without the token ever being printed.
func MaskToken(tok string) string {
	d := TokenDataOf(tok)
	if d == "" {
		d = strings.TrimSpace(tok)
	}
	if len(d) < 4 {
		return "…"
	}
	return "…" + d[len(d)-4:]
}

func isTokenData(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}
