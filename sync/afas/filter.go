package afas

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// Op is an AFAS filter operator code.
type Op int

// The AFAS filter operators (OperatorType).
const (
	OpEqual          Op = 1
	OpGreaterOrEqual Op = 2
	OpLessOrEqual    Op = 3
	OpGreater        Op = 4
	OpLess           Op = 5
	OpContains       Op = 6
	OpNotEqual       Op = 7
	OpEmpty          Op = 8
	OpNotEmpty       Op = 9
	OpStartsWith     Op = 10
	OpNotContains    Op = 11
	OpNotStartsWith  Op = 12
	OpEndsWith       Op = 13
	OpNotEndsWith    Op = 14
)

// Cond is one condition on a field. Value is ignored for OpEmpty and OpNotEmpty.
type Cond struct {
	Field string
	Op    Op
	Value string
}

// Filter is a set of conditions that must all hold (AND). A list of Filters matches a row when
// any of them does (OR), which is how AFAS combines Filter elements.
type Filter []Cond

// OnOrAfterOrEmpty is the date-from filter: the field is empty, or on/after the day.
func OnOrAfterOrEmpty(field, day string) []Filter {
	return []Filter{
		{{Field: field, Op: OpGreaterOrEqual, Value: day + "T00:00:00"}},
		{{Field: field, Op: OpEmpty}},
	}
}

// AnyOf is field equal to one of the values: one Filter per value (AFAS ORs them).
func AnyOf(field string, values []string) []Filter {
	out := make([]Filter, 0, len(values))
	for _, v := range values {
		out = append(out, Filter{{Field: field, Op: OpEqual, Value: v}})
	}
	return out
}

// FiltersXML renders filters as AFAS's filtersXml. No filters gives the empty string.
func FiltersXML(fs []Filter) string {
	if len(fs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<Filters>")
	for i, f := range fs {
		fmt.Fprintf(&b, `<Filter FilterId="Filter %d">`, i+1)
		for _, c := range f {
			fmt.Fprintf(&b, `<Field FieldId="%s" OperatorType="%d"`, escapeAttr(c.Field), int(c.Op))
			if c.Op == OpEmpty || c.Op == OpNotEmpty {
				b.WriteString("/>")
				continue
			}
			b.WriteString(">")
			_ = xml.EscapeText(&b, []byte(c.Value))
			b.WriteString("</Field>")
		}
		b.WriteString("</Filter>")
	}
	b.WriteString("</Filters>")
	return b.String()
}

// ParseFiltersXML reads a filtersXml document back; the simulator uses it.
func ParseFiltersXML(s string) ([]Filter, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var doc struct {
		Filters []struct {
			Fields []struct {
				FieldID string `xml:"FieldId,attr"`
				Op      int    `xml:"OperatorType,attr"`
				Value   string `xml:",chardata"`
			} `xml:"Field"`
		} `xml:"Filter"`
	}
	if err := xml.Unmarshal([]byte(s), &doc); err != nil {
		return nil, fmt.Errorf("filtersXml: %w", err)
	}
	var out []Filter
	for _, f := range doc.Filters {
		var conds Filter
		for _, c := range f.Fields {
			conds = append(conds, Cond{Field: c.FieldID, Op: Op(c.Op), Value: c.Value})
		}
		out = append(out, conds)
	}
	return out, nil
}

// SortField is one field of the Index in the options; AFAS sorts rows on it.
type SortField struct {
	Field string
	Desc  bool
}

// Options are GetDataWithOptions' options.
type Options struct {
	Metadata bool
	// EmptyAsElements asks for Outputoptions 3 (fields without a value present as empty elements)
	// instead of 2 (omitted). The decoder handles both.
	EmptyAsElements bool
	Sort            []SortField
}

// XML renders the options document (always Outputmode 1, XML).
func (o Options) XML() string {
	var b strings.Builder
	b.WriteString("<Options><Outputmode>1</Outputmode>")
	if o.Metadata {
		b.WriteString("<Metadata>1</Metadata>")
	} else {
		b.WriteString("<Metadata>0</Metadata>")
	}
	if o.EmptyAsElements {
		b.WriteString("<Outputoptions>3</Outputoptions>")
	} else {
		b.WriteString("<Outputoptions>2</Outputoptions>")
	}
	if len(o.Sort) > 0 {
		b.WriteString("<Index>")
		for _, s := range o.Sort {
			op := 1
			if s.Desc {
				op = 0
			}
			fmt.Fprintf(&b, `<Field FieldId="%s" OperatorType="%d"/>`, escapeAttr(s.Field), op)
		}
		b.WriteString("</Index>")
	}
	b.WriteString("</Options>")
	return b.String()
}

// ParseOptionsXML reads an options document back; the simulator uses it.
func ParseOptionsXML(s string) (Options, error) {
	var o Options
	if strings.TrimSpace(s) == "" {
		return o, nil
	}
	var doc struct {
		Metadata      string `xml:"Metadata"`
		Outputoptions string `xml:"Outputoptions"`
		Index         struct {
			Fields []struct {
				FieldID string `xml:"FieldId,attr"`
				Op      int    `xml:"OperatorType,attr"`
			} `xml:"Field"`
		} `xml:"Index"`
	}
	if err := xml.Unmarshal([]byte(s), &doc); err != nil {
		return o, fmt.Errorf("options: %w", err)
	}
	o.Metadata = strings.TrimSpace(doc.Metadata) == "1"
	o.EmptyAsElements = strings.TrimSpace(doc.Outputoptions) == "3"
	for _, f := range doc.Index.Fields {
		o.Sort = append(o.Sort, SortField{Field: f.FieldID, Desc: f.Op == 0})
	}
	return o, nil
}

func escapeAttr(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
