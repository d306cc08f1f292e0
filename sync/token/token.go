// Package token reads, normalises and masks AFAS tokens. It never prints a token.
package token

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
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

// Redacted replaces a token in a text.
const Redacted = "[token]"

var (
	tokenXMLRe  = regexp.MustCompile(`(?s)<token>.*?</token>|&lt;token&gt;.*?&lt;/token&gt;`)
	tokenHexRe  = regexp.MustCompile(`[0-9A-Fa-f]{64}`)
	tokenB64Re  = regexp.MustCompile(`PHRva2Vu[A-Za-z0-9+/=_-]*`) // base64 of "<token"
	tokenAuthRe = regexp.MustCompile(`(?i)AfasToken\s+\S+`)
)

// Redact removes every form of an AFAS token from a text — the whole XML (also escaped), the 64
// hexadecimal characters and the base64 of the Authorization header — whatever the text's origin
// (an AFAS fault that echoes the request, a proxy's error page). koppel passes every text from
// outside through it before printing, logging or storing it.
func Redact(s string) string {
	if len(s) < 8 {
		return s
	}
	s = tokenXMLRe.ReplaceAllString(s, Redacted)
	s = tokenAuthRe.ReplaceAllString(s, "AfasToken "+Redacted)
	s = tokenB64Re.ReplaceAllString(s, Redacted)
	return tokenHexRe.ReplaceAllString(s, Redacted)
}

// Clean makes a text from outside fit to print, log and store: tokens redacted, control
// characters replaced by spaces, runs of white space folded, and cut to at most max bytes (on a
// character boundary, with an ellipsis).
func Clean(s string, max int) string {
	if len(s) > 4*max+1024 {
		s = s[:4*max+1024] // bound the work before redacting
	}
	s = Redact(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	out := strings.TrimSpace(b.String())
	if len(out) <= max {
		return out
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut] + "…"
}
