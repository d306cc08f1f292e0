package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type periodsJSON struct {
	Profile  string `json:"profile"`
	AsOf     string `json:"as_of"`
	Run      string `json:"run"`
	Absences int    `json:"absences"`
	Open     []struct {
		Employer     string `json:"werkgever_code"`
		Employee     string `json:"personeelsnummer"`
		PeriodID     int64  `json:"ziekteperiode_id"`
		FirstDay     string `json:"eerste_dag_ziekteperiode"`
		EndOfWaiting string `json:"einde_wachttijd"`
		GapDays      int    `json:"gap_days"`
		Next         *struct {
			Code string `json:"code"`
			Date string `json:"date"`
		} `json:"next"`
		Milestones []struct {
			Code string `json:"code"`
			Week int    `json:"week"`
			Date string `json:"date"`
			Past bool   `json:"past"`
		} `json:"milestones"`
	} `json:"open_periods"`
}

// koppel periods reads the last delivery's state: every open period it shows is the one
// delivered in verzuim.csv, its milestones are the Gatekeeper weeks, next first.
func TestPeriodsFromTheLastDelivery(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "80", "--seed", "5")
	if out, errOut, code := c.run("profile", "import", c.profile("acme", url, token, "compleet", "")); code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errOut)
	}
	out, _, code := c.run("periods", "acme", "--lang", "en")
	if code != 0 || !strings.Contains(out, "acme has not delivered yet") {
		t.Errorf("before a delivery: exit %d\n%s", code, out)
	}
	out, _, code = c.run("run", "acme", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	sum := lastJSON(t, out)
	delivered := map[string]string{} // holder → its absences' period columns
	rows := readLines(t, filepath.Join(sum["delivery"].(string), "verzuim.csv"))
	for _, line := range rows[1:] {
		f := strings.Split(strings.TrimRight(line, "\r"), ";") // CSV lines end in CRLF
		delivered[f[0]+"/"+f[1]+"/"+f[len(f)-3]] = strings.Join(f[len(f)-3:], ";")
	}

	const asOf = "2026-11-01" // the simulator's today
	js, errOut, code := c.run("periods", "acme", "--json", "--date", asOf)
	var v periodsJSON
	if code != 0 || json.Unmarshal([]byte(js), &v) != nil {
		t.Fatalf("periods --json: exit %d %s%s", code, js, errOut)
	}
	if strings.Count(strings.TrimSpace(js), "\n") != 0 {
		t.Errorf("--json is not one object on one line")
	}
	if v.Profile != "acme" || v.AsOf != asOf || v.Run != sum["run"] || v.Absences == 0 || len(v.Open) == 0 {
		t.Fatalf("view %+v; want acme as of %s from run %v with open periods", v, asOf, sum["run"])
	}
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return d
	}
	weeks := map[string]int{"week6": 6, "week8": 8, "week42": 42, "week52": 52, "end": 104}
	prev := ""
	for _, op := range v.Open {
		h := op.Employer + "/" + op.Employee
		if got, want := delivered[h+"/"+itoa(op.PeriodID)], itoa(op.PeriodID)+";"+op.FirstDay+";"+op.EndOfWaiting; got != want {
			t.Errorf("%s: view %s, delivered %q", h, want, got)
		}
		if len(op.Milestones) != 5 {
			t.Fatalf("%s: %d milestones", h, len(op.Milestones))
		}
		for i, m := range op.Milestones {
			if weeks[m.Code] != m.Week {
				t.Errorf("%s: %s is week %d", h, m.Code, m.Week)
			}
			if op.GapDays == 0 && day(m.Date) != day(op.FirstDay).AddDate(0, 0, 7*m.Week-1) {
				t.Errorf("%s: %s on %s; without gaps week %d ends on %s + %d days", h, m.Code, m.Date, m.Week, op.FirstDay, 7*m.Week-1)
			}
			if m.Past != (m.Date < asOf) {
				t.Errorf("%s: %s on %s past=%v as of %s", h, m.Code, m.Date, m.Past, asOf)
			}
			if i > 0 && !op.Milestones[i-1].Past && !m.Past && op.Milestones[i-1].Date > m.Date {
				t.Errorf("%s: milestones not next first: %+v", h, op.Milestones)
			}
			if i > 0 && op.Milestones[i-1].Past && !m.Past {
				t.Errorf("%s: a past milestone before one to come: %+v", h, op.Milestones)
			}
		}
		if op.Next != nil {
			if op.Next.Code != op.Milestones[0].Code || op.Next.Date < prev {
				t.Errorf("%s: next %+v out of order (previous holder's next %s)", h, op.Next, prev)
			}
			prev = op.Next.Date
		}
	}

	// The text view: the most urgent holder first, its next milestone first.
	text, _, code := c.run("periods", "acme", "--date", asOf, "--lang", "en")
	first := v.Open[0]
	for _, want := range []string{"Gatekeeper view — acme, as of " + asOf, "from delivery " + v.Run, first.Employer + "/" + first.Employee + "  sick since " + first.FirstDay, "» next"} {
		if code != 0 || !strings.Contains(text, want) {
			t.Errorf("text lacks %q (exit %d):\n%.1500s", want, code, text)
		}
	}
	if strings.Index(text, first.Employer+"/"+first.Employee) > strings.Index(text, v.Open[len(v.Open)-1].Employer+"/"+v.Open[len(v.Open)-1].Employee) && len(v.Open) > 1 {
		t.Errorf("the most urgent holder is not first")
	}
	if nl, _, _ := c.run("periods", "acme", "--date", asOf); !strings.Contains(nl, "Poortwachter — acme, stand op "+asOf) || !strings.Contains(nl, "ziek sinds") {
		t.Errorf("Dutch text:\n%.500s", nl)
	}

	// Bad input: exit 2, naming what is expected.
	if _, errOut, code := c.run("periods", "acme", "--date", "01-11-2026", "--lang", "en"); code != 2 || !strings.Contains(errOut, "YYYY-MM-DD") {
		t.Errorf("bad --date: exit %d %s", code, errOut)
	}
	if _, _, code := c.run("periods", "nobody"); code != 2 {
		t.Errorf("unknown profile: exit %d, want 2", code)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
