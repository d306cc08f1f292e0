package afassim

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/token"
)

// answer builds the result document and tells how many rows it holds, or gives an HTTP status and
// fault message.
func (s *Server) answer(req request) (doc []byte, rows int, status int, msg string) {
	p, status, msg := s.query(req)
	if status != 0 {
		return nil, 0, status, msg
	}
	defer s.release(p)
	return p.document(), len(p.rows), 0, ""
}

// refCond and refMatches are the general filter semantics, written plainly: the fast path must
// give exactly their answers.
func refCond(k afas.Kind, v string, c afas.Cond) bool {
	lv, lc := strings.ToLower(v), strings.ToLower(strings.Trim(c.Value, "%"))
	switch c.Op {
	case afas.OpEmpty:
		return v == ""
	case afas.OpNotEmpty:
		return v != ""
	case afas.OpContains:
		return strings.Contains(lv, lc)
	case afas.OpNotContains:
		return !strings.Contains(lv, lc)
	case afas.OpStartsWith:
		return strings.HasPrefix(lv, lc)
	case afas.OpNotStartsWith:
		return !strings.HasPrefix(lv, lc)
	case afas.OpEndsWith:
		return strings.HasSuffix(lv, lc)
	case afas.OpNotEndsWith:
		return !strings.HasSuffix(lv, lc)
	}
	if v == "" {
		// Comparisons never match a missing value, as in SQL.
		return c.Op == afas.OpNotEqual
	}
	r := compare(k, v, c.Value)
	switch c.Op {
	case afas.OpEqual:
		return r == 0
	case afas.OpNotEqual:
		return r != 0
	case afas.OpGreaterOrEqual:
		return r >= 0
	case afas.OpLessOrEqual:
		return r <= 0
	case afas.OpGreater:
		return r > 0
	case afas.OpLess:
		return r < 0
	}
	return false
}

func refMatches(t *Table, row []string, filters []afas.Filter) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		all := true
		for _, c := range f {
			ci := t.Col(c.Field)
			if !refCond(t.Fields[ci].Kind, row[ci], c) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// refSelect filters every row, sorts stably and applies skip and take.
func refSelect(t *Table, filters []afas.Filter, sorts []afas.SortField, skip, take int) [][]string {
	var order []int
	for i, row := range t.Rows {
		if refMatches(t, row, filters) {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		ra, rb := t.Rows[order[a]], t.Rows[order[b]]
		for _, sf := range sorts {
			ci := t.Col(sf.Field)
			c := compare(t.Fields[ci].Kind, ra[ci], rb[ci])
			if c != 0 {
				if sf.Desc {
					return c > 0
				}
				return c < 0
			}
		}
		return false
	})
	var out [][]string
	for i := skip; i < len(order) && i < skip+take; i++ {
		out = append(out, t.Rows[order[i]])
	}
	return out
}

func sortOn(fields ...string) []afas.SortField {
	var out []afas.SortField
	for _, f := range fields {
		out = append(out, afas.SortField{Field: f})
	}
	return out
}

// queryRows runs one call without HTTP and returns its rows.
func queryRows(t testing.TB, s *Server, conn string, fs []afas.Filter, sorts []afas.SortField, skip, take int) [][]string {
	t.Helper()
	p, status, msg := s.query(request{
		ConnectorID: conn, FiltersXML: afas.FiltersXML(fs), Skip: strconv.Itoa(skip), Take: strconv.Itoa(take),
		Options: afas.Options{Sort: sorts}.XML(),
	})
	if status != 0 {
		t.Fatalf("%s: %d %s", conn, status, msg)
	}
	rows := slices.Clone(p.rows)
	s.release(p)
	return rows
}

// simClient calls a simulator over real HTTP and decodes rows as field -> wire text.
type simClient struct {
	url, auth string
	http      *http.Client
}

func startClient(t testing.TB, s *Server) *simClient {
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &simClient{url: ts.URL + Path, auth: token.AuthorizationHeader(s.Token()), http: ts.Client()}
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (c *simClient) page(conn string, fs []afas.Filter, sorts []afas.SortField, skip, take int) ([]map[string]string, error) {
	raw, err := c.post(conn, fs, sorts, skip, take)
	if err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(strings.NewReader(string(raw)))
	var doc strings.Builder
	in := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			in = strings.HasSuffix(tk.Name.Local, "Result")
		case xml.EndElement:
			in = false
		case xml.CharData:
			if in {
				doc.Write(tk)
			}
		}
	}
	return decodeRows(doc.String(), conn)
}

// post makes one call and returns the response body of an HTTP 200 answer.
func (c *simClient) post(conn string, fs []afas.Filter, sorts []afas.SortField, skip, take int) ([]byte, error) {
	body := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetDataWithOptions xmlns="urn:Afas.Profit.Services">` +
		`<connectorId>` + esc(conn) + `</connectorId><filtersXml>` + esc(afas.FiltersXML(fs)) + `</filtersXml>` +
		`<skip>` + strconv.Itoa(skip) + `</skip><take>` + strconv.Itoa(take) + `</take>` +
		`<options>` + esc(afas.Options{Sort: sorts}.XML()) + `</options></GetDataWithOptions></soap:Body></soap:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(body))
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("SOAPAction", "urn:Afas.Profit.Services/GetDataWithOptions")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.300s", res.StatusCode, raw)
	}
	return raw, nil
}

func decodeRows(doc, conn string) ([]map[string]string, error) {
	var rows []map[string]string
	if strings.TrimSpace(doc) == "" {
		return nil, nil
	}
	dec := xml.NewDecoder(strings.NewReader(doc))
	depth := 0
	var row map[string]string
	var field string
	var val strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 2 && tk.Name.Local == conn:
				row = map[string]string{}
			case depth == 3 && row != nil:
				field = tk.Name.Local
				val.Reset()
			}
		case xml.CharData:
			if depth == 3 && row != nil {
				val.Write(tk)
			}
		case xml.EndElement:
			switch {
			case depth == 3 && row != nil:
				row[field] = val.String()
			case depth == 2 && row != nil:
				rows = append(rows, row)
				row = nil
			}
			depth--
		}
	}
}

// readByKey reads a connector sorted on its key fields, as the engine does: each next page asks
// for the keys after the last one read (the OR over the key fields, crossed with the extra
// filters), within [lo, hi) on the first key field ("" leaves that side open), until a call
// returns no rows.
func (c *simClient) readByKey(conn string, key []string, lo, hi string, size int, extra []afas.Filter) ([]map[string]string, error) {
	var out []map[string]string
	var last map[string]string
	for calls := 0; ; calls++ {
		if calls > 100000 {
			return out, fmt.Errorf("no end")
		}
		var keyed []afas.Filter
		if last == nil {
			var f afas.Filter
			if lo != "" {
				f = append(f, afas.Cond{Field: key[0], Op: afas.OpGreaterOrEqual, Value: lo})
			}
			if hi != "" {
				f = append(f, afas.Cond{Field: key[0], Op: afas.OpLess, Value: hi})
			}
			keyed = []afas.Filter{f}
		} else {
			for i := range key {
				var f afas.Filter
				for _, k := range key[:i] {
					f = append(f, afas.Cond{Field: k, Op: afas.OpEqual, Value: last[k]})
				}
				f = append(f, afas.Cond{Field: key[i], Op: afas.OpGreater, Value: last[key[i]]})
				if i == 0 && hi != "" {
					f = append(f, afas.Cond{Field: key[0], Op: afas.OpLess, Value: hi})
				}
				keyed = append(keyed, f)
			}
		}
		var fs []afas.Filter
		for _, k := range keyed {
			if len(extra) == 0 {
				if len(k) > 0 {
					fs = append(fs, k)
				}
				continue
			}
			for _, e := range extra {
				fs = append(fs, append(append(afas.Filter{}, k...), e...))
			}
		}
		rows, err := c.page(conn, fs, sortOn(key...), 0, size)
		if err != nil {
			return out, err
		}
		if len(rows) == 0 {
			return out, nil
		}
		out = append(out, rows...)
		last = rows[len(rows)-1]
	}
}

func keyOfMap(key []string, row map[string]string) string {
	var parts []string
	for _, k := range key {
		parts = append(parts, row[k])
	}
	return strings.Join(parts, KeySep)
}
