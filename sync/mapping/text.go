package mapping

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/koppel-nl/koppel/sync/values"
)

// Appenders for the text a record is made of. A run writes hundreds of thousands of records;
// building each record's numbers and dates in one buffer, made into one string whose substrings
// are the values, costs one allocation a record instead of one a value (and no time.Format or
// fmt.Sprintf). Each writes exactly what the formatting it replaces writes.

// appendDate appends t as dateText writes it: YYYY-MM-DD, nothing for the zero time.
func appendDate(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return appendDay(b, t)
}

// appendDay appends t's calendar date as t.Format("2006-01-02") does.
func appendDay(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	return appendYMD(b, y, int(m), d)
}

// appendYMD writes a date as Format's layout 2006-01-02 does: the year in at least four digits
// (with a minus sign before a year before year 0), month and day in two.
func appendYMD(b []byte, y, m, d int) []byte {
	if y < 0 {
		b = append(b, '-')
		y = -y
	}
	for w := 1000; w > 1 && y < w; w /= 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(y), 10)
	return append(b, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

// appendNumKey appends numKey(n): '#' and n in 19 digits.
func appendNumKey(b []byte, n int64) []byte {
	if n < 0 {
		return fmt.Appendf(b, "#%019d", n)
	}
	b = append(b, "#0000000000000000000"...)
	for i := len(b) - 1; n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b
}

// appendDec appends d as d.String() writes it: a dot, no trailing zeros.
func appendDec(b []byte, d values.Dec) []byte {
	n := int64(d)
	if n == math.MinInt64 {
		return append(b, d.String()...)
	}
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/decScale, 10)
	fp := n % decScale
	if fp == 0 {
		return b
	}
	b = append(b, '.')
	for div := int64(decScale / 10); fp > 0; div /= 10 {
		b = append(b, byte('0'+fp/div))
		fp %= div
	}
	return b
}

// decScale is values.Dec's: six fractional digits.
const decScale = 1_000_000

// appendValue appends v as v.Text() writes it.
func appendValue(b []byte, v values.Value) []byte {
	if v.Null {
		return b
	}
	switch v.Kind {
	case values.Int:
		return strconv.AppendInt(b, v.Int, 10)
	case values.Decimal:
		return appendDec(b, v.Dec)
	case values.Bool:
		return strconv.AppendBool(b, v.Bool)
	case values.Date:
		return appendDay(b, v.Time)
	}
	return append(b, v.Str...)
}
