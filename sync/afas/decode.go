package afas

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/koppel-nl/koppel/sync/values"
)

// Fields is a connector's whitelist: field id to type. Only these fields are decoded.
type Fields map[string]Kind

// SchemaField is a field as the Metadata schema describes it.
type SchemaField struct {
	Name string
	Kind Kind
	XSD  string
}

// Page is the outcome of decoding one result document.
type Page struct {
	Rows int
	// Schema is filled when the document carried an xs:schema (Metadata=1).
	Schema []SchemaField
	// Dropped names fields present in rows but outside the whitelist; their values were never
	// decoded, so they cannot reach the store.
	Dropped []string
}

// ErrMalformed marks a result document that is not well-formed; it is worth a retry, since a
// truncated response is the usual cause.
var ErrMalformed = errors.New("malformed result document")

// DecodeResult reads the result document of GetData(WithOptions): root AfasGetConnector, an
// optional xs:schema, then one element per row named after the connector. An empty string and a
// root with only a schema both mean no rows. fn is called for every row; the Row is reused.
func DecodeResult(doc, connector string, fields Fields, fn func(Row) error) (Page, error) {
	return decodeResult(doc, connector, fields, nil, fn)
}

// decodeResult decodes with names mapping the connector's field names to koppel's (renamed
// fields of a customer's connector); fields and the Row use koppel's names.
func decodeResult(doc, connector string, fields Fields, names map[string]string, fn func(Row) error) (Page, error) {
	var page Page
	if strings.TrimSpace(doc) == "" {
		return page, nil
	}
	dec := xml.NewDecoder(strings.NewReader(doc))
	dropped := map[string]bool{}
	rb := newRowBuilder(fields)
	depth := 0
	inRow := false
	var field string
	var text strings.Builder
	sawRoot := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return page, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				if t.Name.Local != "AfasGetConnector" {
					return page, fmt.Errorf("%w: root element is %s, expected AfasGetConnector", ErrMalformed, t.Name.Local)
				}
				sawRoot = true
			case depth == 2 && t.Name.Local == "schema":
				sf, err := decodeSchema(dec, t, connector)
				if err != nil {
					return page, fmt.Errorf("%w: schema: %v", ErrMalformed, err)
				}
				page.Schema = sf
				depth--
			case depth == 2:
				if t.Name.Local != connector {
					return page, fmt.Errorf("%w: row element %s, expected %s", ErrMalformed, t.Name.Local, connector)
				}
				inRow = true
				rb.reset()
			case depth == 3 && inRow:
				field = t.Name.Local
				if std, ok := names[field]; ok {
					field = std
				}
				text.Reset()
			default:
				// Nested content inside a field is not part of AFAS's format.
				if err := dec.Skip(); err != nil {
					return page, fmt.Errorf("%w: %v", ErrMalformed, err)
				}
				depth--
			}
		case xml.CharData:
			if depth == 3 && field != "" {
				if _, ok := fields[field]; ok {
					text.Write(t)
				}
			}
		case xml.EndElement:
			switch {
			case depth == 3 && field != "":
				if k, ok := fields[field]; ok {
					v, err := values.ParseValue(k, text.String())
					if err != nil {
						rb.errs = append(rb.errs, FieldError{Field: field, Err: err})
						v = Value{Kind: k, Null: true}
					}
					rb.setValue(rb.lay.index(field), v)
				} else {
					dropped[field] = true
				}
				field = ""
			case depth == 2 && inRow:
				inRow = false
				page.Rows++
				if err := fn(rb.finish()); err != nil {
					return page, err
				}
			}
			depth--
		}
	}
	if !sawRoot {
		return page, fmt.Errorf("%w: no AfasGetConnector element", ErrMalformed)
	}
	if depth != 0 {
		return page, fmt.Errorf("%w: document ends inside an element", ErrMalformed)
	}
	for f := range dropped {
		page.Dropped = append(page.Dropped, f)
	}
	sort.Strings(page.Dropped)
	return page, nil
}

// decodeSchema reads the inline xs:schema and returns the fields of the connector's row element:
// every xs:element with a type below the element named after the connector.
func decodeSchema(dec *xml.Decoder, start xml.StartElement, connector string) ([]SchemaField, error) {
	var out []SchemaField
	inConnector := 0
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if t.Name.Local != "element" {
				continue
			}
			name, typ := attr(t, "name"), attr(t, "type")
			if name == connector && inConnector == 0 {
				inConnector = depth
				continue
			}
			if inConnector > 0 && typ != "" {
				out = append(out, SchemaField{Name: name, Kind: values.KindFromXSD(typ), XSD: typ})
			}
		case xml.EndElement:
			if depth == inConnector {
				inConnector = 0
			}
			depth--
		}
	}
	return out, nil
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
