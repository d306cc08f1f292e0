// Package values holds the typed values koppel reads from AFAS (strings, integers, decimals,
// booleans, dates) and their parsing, shared by the AFAS client, the rules and the screens.
package values

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the AFAS field type of a GetConnector field.
type Kind uint8

// The AFAS field types koppel reads. Blob fields are never part of koppel's whitelist.
const (
	String Kind = iota
	Int
	Decimal
	Bool
	Date
)

func (k Kind) String() string {
	switch k {
	case Int:
		return "int"
	case Decimal:
		return "decimal"
	case Bool:
		return "boolean"
	case Date:
		return "date"
	default:
		return "string"
	}
}

// XSDType is the type AFAS names in its Metadata schema for this kind.
func (k Kind) XSDType() string {
	switch k {
	case Int:
		return "xs:int"
	case Decimal:
		return "xs:decimal"
	case Bool:
		return "xs:boolean"
	case Date:
		return "xs:dateTime"
	default:
		return "xs:string"
	}
}

// KindFromXSD maps a schema type back to a Kind; unknown types read as strings.
func KindFromXSD(t string) Kind {
	switch strings.TrimPrefix(t, "xs:") {
	case "int", "long", "short", "integer":
		return Int
	case "decimal", "double", "float":
		return Decimal
	case "boolean":
		return Bool
	case "dateTime", "date":
		return Date
	default:
		return String
	}
}

// Value is one decoded field. Null is true when AFAS sent no value (an omitted or empty element).
type Value struct {
	// The small fields first, side by side: a Value is 64 bytes, not 80 (records hold several).
	Kind Kind
	Null bool
	Bool bool      // Bool fields
	Str  string    // String fields, verbatim
	Int  int64     // Int fields
	Dec  Dec       // Decimal fields
	Time time.Time // Date fields: the calendar date, in UTC at midnight
}

// Text renders the value as koppel delivers it: dates YYYY-MM-DD, decimals with a dot, booleans
// true/false (the delivery layer translates those to Ja/Nee), empty for null.
func (v Value) Text() string {
	if v.Null {
		return ""
	}
	switch v.Kind {
	case Int:
		return strconv.FormatInt(v.Int, 10)
	case Decimal:
		return v.Dec.String()
	case Bool:
		return strconv.FormatBool(v.Bool)
	case Date:
		return v.Time.Format("2006-01-02")
	default:
		return v.Str
	}
}

// ParseValue parses an AFAS wire value of the given kind. Empty text is a null value.
func ParseValue(k Kind, s string) (Value, error) {
	v := Value{Kind: k}
	if k != String {
		s = strings.TrimSpace(s)
	}
	if s == "" {
		v.Null = true
		return v, nil
	}
	var err error
	switch k {
	case String:
		v.Str = s
	case Int:
		v.Int, err = strconv.ParseInt(s, 10, 64)
		if err != nil {
			err = fmt.Errorf("%q is not a whole number", s)
		}
	case Decimal:
		v.Dec, err = ParseDec(s)
	case Bool:
		v.Bool, err = ParseBool(s)
	case Date:
		v.Time, err = ParseDate(s)
	}
	return v, err
}

// ParseBool accepts the forms AFAS writes (true/false) and the XSD forms 1/0.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (expected true or false)", s)
}

// dateLayouts are the forms AFAS uses for dates and datetimes: without a zone, as Amsterdam local
// time. A zone suffix is tolerated and ignored, since only the calendar date matters to koppel.
var dateLayouts = []string{
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
}

// ParseDate parses an AFAS date or datetime into its calendar date (UTC midnight).
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, ok := fastDate(s); ok {
		return t, nil
	}
	return parseDateLayouts(s)
}

// parseDateLayouts is ParseDate's general path: each of dateLayouts in turn.
func parseDateLayouts(s string) (time.Time, error) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (expected YYYY-MM-DDThh:mm:ss)", s)
}

// fastDate reads the form AFAS writes nearly always, YYYY-MM-DDThh:mm:ss, without time.Parse (a
// page holds several dates a row). ok is false for anything else, valid or not, which is then
// left to the layouts; what it accepts, the first layout accepts with the same calendar date.
func fastDate(s string) (t time.Time, ok bool) {
	if len(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return t, false
	}
	var n [6]int
	for i, at := range [6]int{0, 5, 8, 11, 14, 17} {
		width := 2
		if i == 0 {
			width = 4
		}
		for _, c := range []byte(s[at : at+width]) {
			if c < '0' || c > '9' {
				return t, false
			}
			n[i] = n[i]*10 + int(c-'0')
		}
	}
	year, month, day := n[0], time.Month(n[1]), n[2]
	if month < 1 || month > 12 || day < 1 || n[3] > 23 || n[4] > 59 || n[5] > 59 {
		return t, false
	}
	last := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		last = 29
	}
	if day > last {
		return t, false
	}
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC), true
}

// ParseDay parses a strict YYYY-MM-DD calendar date, as profiles and the wizard take it.
func ParseDay(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil || len(s) != 10 {
		return time.Time{}, fmt.Errorf("%q is not a real date in the form YYYY-MM-DD (e.g. 2022-01-31 for 31 January 2022)", s)
	}
	return t, nil
}

// FormatDateTime writes a date as AFAS expects it in filters: without a zone.
func FormatDateTime(t time.Time) string { return t.Format("2006-01-02T15:04:05") }

// Dec is an exact decimal with six fractional digits, enough for hours, percentages and wages
// without the rounding surprises of floating point.
type Dec int64

const decScale = 1_000_000

var errDecRange = errors.New("out of range")

// ParseDec parses a decimal with a dot, as AFAS writes it, including the older forms ".5" and
// "-.5". Thousands separators and commas are refused so that 1.234 is never read as 1234.
func ParseDec(s string) (Dec, error) {
	orig := s
	s = strings.TrimSpace(s)
	bad := func() (Dec, error) {
		return 0, fmt.Errorf("%q is not a decimal number (expected digits with a dot, e.g. 37.5)", orig)
	}
	neg := false
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && frac == "" || hasDot && frac == "" && intPart == "" {
		return bad()
	}
	for _, part := range []string{intPart, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return bad()
			}
		}
	}
	if len(frac) > 6 {
		// Beyond koppel's precision: round half away from zero on the seventh digit.
		round := frac[6] >= '5'
		frac = frac[:6]
		d, err := assembleDec(intPart, frac)
		if err != nil {
			return bad()
		}
		if round {
			d++
		}
		if neg {
			d = -d
		}
		return d, nil
	}
	d, err := assembleDec(intPart, frac)
	if err != nil {
		return bad()
	}
	if neg {
		d = -d
	}
	return d, nil
}

func assembleDec(intPart, frac string) (Dec, error) {
	var n int64
	if intPart != "" {
		if len(intPart) > 12 {
			return 0, errDecRange
		}
		v, err := strconv.ParseInt(intPart, 10, 64)
		if err != nil {
			return 0, err
		}
		n = v * decScale
	}
	if frac != "" {
		f, err := strconv.ParseInt((frac + "000000")[:6], 10, 64)
		if err != nil {
			return 0, err
		}
		n += f
	}
	return Dec(n), nil
}

// DecFromInt returns the decimal for a whole number.
func DecFromInt(i int64) Dec { return Dec(i * decScale) }

// String writes the decimal with a dot, without trailing zeros and without thousands separators.
func (d Dec) String() string {
	n := int64(d)
	sign := ""
	if n < 0 {
		sign = "-"
		n = -n
	}
	ip, fp := n/decScale, n%decScale
	if fp == 0 {
		return sign + strconv.FormatInt(ip, 10)
	}
	f := strings.TrimRight(fmt.Sprintf("%06d", fp), "0")
	return sign + strconv.FormatInt(ip, 10) + "." + f
}

// FieldError is a value AFAS sent that does not fit the field's type.
type FieldError struct {
	Field string
	Err   error
}

func (e FieldError) Error() string { return fmt.Sprintf("field %s: %v", e.Field, e.Err) }
