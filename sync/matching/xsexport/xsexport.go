// Package xsexport reads the files of the first-sync match (spec/matching.md): Xpert Suite's
// employee and absence exports, and the consultant's decisions file (--decisions FILE).
//
// All three are CSV files with a header row. The separator is `;` or `,`, detected from the
// header row (the one that occurs more often outside quotes; `;` on a tie). A UTF-8 byte order
// mark is skipped. Columns are found by name, ignoring case, spaces and `_`, in any order;
// other columns are ignored. Dates are `YYYY-MM-DD` or `DD-MM-YYYY` (a one-digit day or month
// is accepted too).
//
// Employee export (ReadEmployees):
//
//	WerkgeverCode, Personeelsnummer   required: Xpert Suite's key
//	BSN, Achternaam, Voorletters, Geboortedatum   optional: a missing one is reported as a
//	                                  problem on line 1 (the methods that need it find nothing)
//
// Absence export (ReadAbsences), all required:
//
//	WerkgeverCode, Personeelsnummer, VerzuimId, EersteVerzuimdag
//
// Decisions file (ReadDecisions), all columns required:
//
//	PersoneelsnummerXS;WerkgeverCodeXS;Personeelsnummer;WerkgeverCode
//
// One row per Xpert Suite employee: the XS key, and the AFAS key (as koppel delivers it) it is
// to be matched with; both AFAS columns empty leaves the XS employee unmatched (rejects a
// candidate, resolves a conflict as two different people, leaves an ambiguous record alone).
// Example:
//
//	PersoneelsnummerXS;WerkgeverCodeXS;Personeelsnummer;WerkgeverCode
//	0012;ACME;12;ACME
//	0077;ACME;;
//
// A missing required column is a *MissingColumnsError (the CLI exits 2 naming them). A row
// that cannot be read — wrong number of fields, an empty key, a date that is not a date, a
// second row for the same key — is skipped and returned as a Problem with its line number; it
// never stops the reading. Rows with every field empty are skipped silently. Nothing read here
// is ever shown in a message when it may be a BSN.
package xsexport

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/matching"
)

// The column names, as documented in the package comment.
const (
	ColWerkgeverCode      = "WerkgeverCode"
	ColPersoneelsnummer   = "Personeelsnummer"
	ColBSN                = "BSN"
	ColAchternaam         = "Achternaam"
	ColVoorletters        = "Voorletters"
	ColGeboortedatum      = "Geboortedatum"
	ColVerzuimID          = "VerzuimId"
	ColEersteVerzuimdag   = "EersteVerzuimdag"
	ColPersoneelsnummerXS = "PersoneelsnummerXS"
	ColWerkgeverCodeXS    = "WerkgeverCodeXS"
)

// DateForms names the accepted date forms, for messages.
const DateForms = "DD-MM-YYYY or YYYY-MM-DD"

// MissingColumnsError is a file whose header row lacks required columns.
type MissingColumnsError struct {
	File    string
	Columns []string // the missing columns, as documented
	Found   []string // the header row as read
}

func (e *MissingColumnsError) Error() string {
	found := "no header row"
	if len(e.Found) > 0 {
		found = "found: " + strings.Join(e.Found, ", ")
	}
	return fmt.Sprintf("%s: missing column(s) %s in the header row (names are matched ignoring case, spaces and _; %s)",
		e.File, strings.Join(e.Columns, ", "), found)
}

// Problem is a row that was skipped, or a note about the file (Line 1: the header).
type Problem struct {
	File   string
	Line   int
	Column string // the column as documented, when the problem is in one field
	Pos    int    // the column's position in the row, 1-based, when Column is set
	Msg    string
	// Code and Args say Msg in the catalog's terms (sync/i18n), so screens show it in their
	// language; Args never hold a value that may be a BSN.
	Code string
	Args []string
}

func (p Problem) Error() string {
	if p.Column != "" {
		return fmt.Sprintf("%s line %d, column %d (%s): %s", p.File, p.Line, p.Pos, p.Column, p.Msg)
	}
	return fmt.Sprintf("%s line %d: %s", p.File, p.Line, p.Msg)
}

func (p Problem) String() string { return p.Error() }

// ParseDate reads a date as `YYYY-MM-DD` or `DD-MM-YYYY`; empty is the zero time.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	layout := "2-1-2006"
	if len(s) > 4 && s[4] == '-' {
		layout = "2006-1-2"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not a date; expected %s", shown(s), DateForms)
	}
	return t, nil
}

// shown quotes a value for a message, unless it may be a BSN: eight digits or more in a row,
// spaces and dots between them ignored.
func shown(s string) string {
	run := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			run++
			if run >= 8 {
				return "the value (not shown: it may be a BSN)"
			}
		} else if r != ' ' && r != '.' {
			run = 0
		}
	}
	return fmt.Sprintf("%q", s)
}

// ReadEmployees reads Xpert Suite's employee export. file names it in messages.
func ReadEmployees(r io.Reader, file string) ([]matching.XSEmployee, []Problem, error) {
	t, probs, err := open(r, file, []string{ColWerkgeverCode, ColPersoneelsnummer},
		[]string{ColBSN, ColAchternaam, ColVoorletters, ColGeboortedatum})
	if err != nil {
		return nil, nil, err
	}
	var out []matching.XSEmployee
	first := map[matching.Key]int{}
	err = t.rows(func(row *row) {
		x := matching.XSEmployee{
			WerkgeverCode: row.get(ColWerkgeverCode), Personeelsnummer: row.get(ColPersoneelsnummer),
			BSN: row.get(ColBSN), Achternaam: row.get(ColAchternaam), Voorletters: row.get(ColVoorletters), Line: row.line,
		}
		if !row.key(ColWerkgeverCode, ColPersoneelsnummer) {
			return
		}
		var ok bool
		if x.Geboortedatum, ok = row.date(ColGeboortedatum); !ok {
			return
		}
		if l, dup := first[x.Key()]; dup {
			row.fail("", fmt.Sprintf("a second row for employee %s (first on line %d); row skipped", x.Key(), l), "xs.second_row", x.Key().String(), strconv.Itoa(l))
			return
		}
		first[x.Key()] = row.line
		out = append(out, x)
	})
	return out, append(probs, t.problems...), err
}

// ReadAbsences reads Xpert Suite's absence export. A row that repeats an absence (same
// employee and VerzuimId) with the same EersteVerzuimdag is merged, as an export per progress
// entry does; with another first day it is a problem.
func ReadAbsences(r io.Reader, file string) ([]matching.XSAbsence, []Problem, error) {
	t, probs, err := open(r, file, []string{ColWerkgeverCode, ColPersoneelsnummer, ColVerzuimID, ColEersteVerzuimdag}, nil)
	if err != nil {
		return nil, nil, err
	}
	var out []matching.XSAbsence
	first := map[matching.AbsenceRef]int{} // index in out
	err = t.rows(func(row *row) {
		a := matching.XSAbsence{WerkgeverCode: row.get(ColWerkgeverCode), Personeelsnummer: row.get(ColPersoneelsnummer), VerzuimID: row.get(ColVerzuimID), Line: row.line}
		if !row.key(ColWerkgeverCode, ColPersoneelsnummer, ColVerzuimID) {
			return
		}
		var ok bool
		if a.EersteVerzuimdag, ok = row.date(ColEersteVerzuimdag); !ok {
			return
		}
		ref := matching.AbsenceRef{Employee: a.Employee(), VerzuimID: a.VerzuimID}
		if i, dup := first[ref]; dup {
			if !out[i].EersteVerzuimdag.Equal(a.EersteVerzuimdag) {
				row.fail(ColEersteVerzuimdag, fmt.Sprintf("absence %s of employee %s has another first day on line %d; row skipped", a.VerzuimID, a.Employee(), out[i].Line), "xs.absence_first_day", a.VerzuimID, a.Employee().String(), strconv.Itoa(out[i].Line))
			}
			return
		}
		first[ref] = len(out)
		out = append(out, a)
	})
	return out, append(probs, t.problems...), err
}

// ReadDecisions reads a decisions file (see the package comment). Two rows for one XS
// employee that say different things are both skipped, so the record stays open.
func ReadDecisions(r io.Reader, file string) ([]matching.Decision, []Problem, error) {
	t, probs, err := open(r, file, []string{ColPersoneelsnummerXS, ColWerkgeverCodeXS, ColPersoneelsnummer, ColWerkgeverCode}, nil)
	if err != nil {
		return nil, nil, err
	}
	type seen struct {
		d    matching.Decision
		line int
		bad  bool
	}
	var order []matching.Key
	byXS := map[matching.Key]*seen{}
	err = t.rows(func(row *row) {
		d := matching.Decision{
			XS:   matching.Key{WerkgeverCode: row.get(ColWerkgeverCodeXS), Personeelsnummer: row.get(ColPersoneelsnummerXS)},
			AFAS: matching.Key{WerkgeverCode: row.get(ColWerkgeverCode), Personeelsnummer: row.get(ColPersoneelsnummer)},
		}
		if !row.key(ColWerkgeverCodeXS, ColPersoneelsnummerXS) {
			return
		}
		if (d.AFAS.WerkgeverCode == "") != (d.AFAS.Personeelsnummer == "") {
			empty, set := ColWerkgeverCode, ColPersoneelsnummer
			if d.AFAS.Personeelsnummer == "" {
				empty, set = set, empty
			}
			row.fail(empty, fmt.Sprintf("empty while %s is set; give both AFAS columns to match, or leave both empty to leave XS employee %s unmatched; row skipped", set, d.XS), "xs.decision_half", set, d.XS.String())
			return
		}
		s, dup := byXS[d.XS]
		if !dup {
			byXS[d.XS] = &seen{d: d, line: row.line}
			order = append(order, d.XS)
			return
		}
		if s.d != d {
			s.bad = true
			row.fail("", fmt.Sprintf("XS employee %s has another decision on line %d; both rows skipped, keep one", d.XS, s.line), "xs.decision_twice", d.XS.String(), strconv.Itoa(s.line))
		}
	})
	var out []matching.Decision
	for _, k := range order {
		if s := byXS[k]; !s.bad {
			out = append(out, s.d)
		}
	}
	return out, append(probs, t.problems...), err
}

// table is a CSV file being read.
type table struct {
	file     string
	cr       *csv.Reader
	width    int
	pos      map[string]int // documented column name → index
	problems []Problem
}

// normName is the form in which header names are compared: lower case, without spaces and _.
func normName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "", "_", "", "\t", "").Replace(s)
}

// open reads the header row. Missing required columns are an error, missing optional ones a
// problem on line 1.
func open(r io.Reader, file string, required, optional []string) (*table, []Problem, error) {
	br := bufio.NewReader(r)
	first, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("read %s: %w", file, err)
	}
	first = strings.TrimPrefix(first, "\uFEFF")
	cr := csv.NewReader(io.MultiReader(strings.NewReader(first), br))
	cr.Comma = detectSeparator(first)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, &MissingColumnsError{File: file, Columns: required}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: the header row cannot be read: %w", file, err)
	}
	t := &table{file: file, cr: cr, width: len(header), pos: map[string]int{}}
	for _, c := range append(append([]string{}, required...), optional...) {
		n := normName(c)
		var at []int
		for i, h := range header {
			if normName(h) == n {
				at = append(at, i+1)
			}
		}
		if len(at) > 1 {
			return nil, nil, fmt.Errorf("%s: column %s occurs %d times in the header row (columns %v); keep one", file, c, len(at), at)
		}
		if len(at) == 1 {
			t.pos[c] = at[0] - 1
		}
	}
	var missing []string
	for _, c := range required {
		if _, ok := t.pos[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, nil, &MissingColumnsError{File: file, Columns: missing, Found: header}
	}
	var probs []Problem
	for _, c := range optional {
		if _, ok := t.pos[c]; !ok {
			probs = append(probs, Problem{File: file, Line: 1, Msg: fmt.Sprintf("no column %s: the rows are read without it", c), Code: "xs.no_column", Args: []string{c}})
		}
	}
	return t, probs, nil
}

// detectSeparator picks ';' or ',', whichever occurs more often outside quotes in the header
// row; ';' on a tie.
func detectSeparator(header string) rune {
	semis, commas, quoted := 0, 0, false
	for _, r := range header {
		if r == '"' {
			quoted = !quoted
		} else if !quoted && r == ';' {
			semis++
		} else if !quoted && r == ',' {
			commas++
		}
	}
	if commas > semis {
		return ','
	}
	return ';'
}

// row is one data row being read.
type row struct {
	t      *table
	line   int
	fields []string
}

// rows calls fn for each readable data row; unreadable rows become problems.
func (t *table) rows(fn func(*row)) error {
	for {
		fields, err := t.cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			t.problems = append(t.problems, Problem{File: t.file, Line: pe.StartLine,
				Msg:  fmt.Sprintf("cannot be read as CSV (%v); check the quotes in this row; row skipped", pe.Err),
				Code: "xs.csv", Args: []string{pe.Err.Error()}})
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", t.file, err)
		}
		line, _ := t.cr.FieldPos(0)
		if allEmpty(fields) {
			continue
		}
		if len(fields) != t.width {
			t.problems = append(t.problems, Problem{File: t.file, Line: line,
				Msg:  fmt.Sprintf("%d fields, the header row has %d; check the separator (%q) and the quotes in this row; row skipped", len(fields), t.width, t.cr.Comma),
				Code: "xs.fields", Args: []string{strconv.Itoa(len(fields)), strconv.Itoa(t.width), string(t.cr.Comma)}})
			continue
		}
		fn(&row{t: t, line: line, fields: fields})
	}
}

func allEmpty(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// get is the trimmed value of a column; "" when the file has no such column.
func (r *row) get(col string) string {
	i, ok := r.t.pos[col]
	if !ok {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// fail records a problem with the row; col may be "" for the row as a whole.
func (r *row) fail(col, msg, code string, args ...string) {
	p := Problem{File: r.t.file, Line: r.line, Msg: msg, Code: code, Args: args}
	if col != "" {
		p.Column, p.Pos = col, r.t.pos[col]+1
	}
	r.t.problems = append(r.t.problems, p)
}

// key checks that the key columns are filled; false (with a problem) when one is empty.
func (r *row) key(cols ...string) bool {
	for _, c := range cols {
		if r.get(c) == "" {
			r.fail(c, fmt.Sprintf("empty; every row needs %s (the key); row skipped", strings.Join(cols, " and ")), "xs.key_empty", strings.Join(cols, ", "))
			return false
		}
	}
	return true
}

// date reads a date column; false (with a problem) when it is not a date.
func (r *row) date(col string) (time.Time, bool) {
	t, err := ParseDate(r.get(col))
	if err != nil {
		r.fail(col, err.Error()+"; row skipped", "xs.date", shown(r.get(col)), DateForms)
		return time.Time{}, false
	}
	return t, true
}
