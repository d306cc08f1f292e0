package mapping

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/values"
)

// The appenders write exactly what the formatting they replace writes.

func TestAppendDate(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	days := []time.Time{{}, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 5, 0, 0, 0, time.UTC),
		time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(-3, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 2, 3, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2024, 3, 31, 0, 30, 0, 0, ams)}
	for _, y := range []int{0, 5, 10, 99, 100, 999, 1000, 9999, 10000, -1, -999, -1000, -12345} {
		days = append(days, time.Date(y, 10, 9, 0, 0, 0, 0, time.UTC))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		days = append(days, time.Unix(r.Int64N(400*365*86400)-200*365*86400, 0).UTC())
	}
	for _, d := range days {
		if got, want := string(appendDate(nil, d)), dateText(d); got != want {
			t.Errorf("appendDate(%v) = %q, want %q", d, got, want)
		}
		if got, want := string(appendDay([]byte("x"), d)), "x"+d.Format("2006-01-02"); got != want {
			t.Errorf("appendDay(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestAppendNumKey(t *testing.T) {
	ns := []int64{0, 1, 9, 10, 99, 100, 5001, 90001, 1234567890123456789, math.MaxInt64, -1, -12, math.MinInt64}
	for i := int64(1); i < math.MaxInt64/10; i *= 10 {
		ns = append(ns, i-1, i, i+1, 7*i)
	}
	for _, n := range ns {
		if got, want := string(appendNumKey([]byte("k"), n)), "k"+fmt.Sprintf("#%019d", n); got != want {
			t.Errorf("appendNumKey(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestAppendDec(t *testing.T) {
	ds := []values.Dec{0, 1, -1, 5, 10, 100, 500000, 1000000, -1000000, 1500000, 20500000, 88888889, 123456789012,
		-20500000, 999999, 100000, 10, 1000001, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 2000; i++ {
		ds = append(ds, values.Dec(r.Int64N(2_000_000_000)-1_000_000_000), values.Dec(r.Int64N(1000)*1000))
	}
	for _, d := range ds {
		if got, want := string(appendDec([]byte("="), d)), "="+d.String(); got != want {
			t.Errorf("appendDec(%d) = %q, want %q", int64(d), got, want)
		}
	}
}

func TestAppendValue(t *testing.T) {
	for _, v := range []values.Value{
		{Kind: values.Decimal, Null: true}, {Kind: values.Decimal, Dec: 30500000}, {Kind: values.Decimal},
		{Kind: values.Int, Int: -42}, {Kind: values.Int, Int: 7}, {Kind: values.Bool, Bool: true}, {Kind: values.Bool},
		{Kind: values.Date, Time: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)}, {Kind: values.Date},
		{Kind: values.String, Str: "tekst"}, {Kind: values.String},
	} {
		if got, want := string(appendValue([]byte("v"), v)), "v"+v.Text(); got != want {
			t.Errorf("appendValue(%+v) = %q, want %q", v, got, want)
		}
	}
}
