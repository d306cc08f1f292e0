// Package verify checks a customer's AFAS environment against koppel's standard GetConnectors:
// the token, and per connector whether it is installed, authorised, has every required field and
// exposes nothing beyond the whitelist.
package verify

import (
	"context"
	"errors"
	"sort"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
)

// Statuses of a connector check.
const (
	OK            = "ok"
	Missing       = "missing"        // the GetConnector does not exist
	NotAuthorized = "not-authorized" // exists, but not in the App Connector
	Incomplete    = "fields-missing" // required fields missing
	Extra         = "extra-fields"   // fields beyond the whitelist (privacy)
	Failed        = "error"          // AFAS could not be asked
	Skipped       = "skipped"        // not checked, since the token was refused
)

// Connector is one connector's outcome.
type Connector struct {
	Role          string   `json:"role"`
	ID            string   `json:"connector"`
	Status        string   `json:"status"`
	MissingFields []string `json:"missing_fields,omitempty"`
	ExtraFields   []string `json:"extra_fields,omitempty"`
	Fields        []string `json:"fields,omitempty"` // what the connector has (for choosing a salary column)
	Message       string   `json:"message,omitempty"`
}

// Report is the outcome of a check.
type Report struct {
	TokenOK      bool        `json:"token_ok"`
	TokenMessage string      `json:"token_message,omitempty"`
	Connectors   []Connector `json:"connectors"`
}

// OK reports whether everything checked is in order.
func (r *Report) OK() bool {
	if !r.TokenOK {
		return false
	}
	for _, c := range r.Connectors {
		if c.Status != OK {
			return false
		}
	}
	return true
}

// Connector returns the check of a role.
func (r *Report) Connector(role string) (Connector, bool) {
	for _, c := range r.Connectors {
		if c.Role == role {
			return c, true
		}
	}
	return Connector{}, false
}

// Target names which connectors to check and how.
type Target struct {
	Roles        []string
	IDs          map[string]string // role → connector id
	SalaryColumn string
}

// Check asks AFAS for each connector's schema (Metadata=1, one row). A refused token stops the
// check: every other answer would be the same refusal.
func Check(ctx context.Context, c *afas.Client, t Target) (*Report, error) {
	rep := &Report{TokenOK: true}
	for _, role := range t.Roles {
		std, _ := connectors.ByRole(role)
		id := t.IDs[role]
		if id == "" {
			id = std.ID
		}
		cc := Connector{Role: role, ID: id}
		if !rep.TokenOK {
			cc.Status = Skipped
			rep.Connectors = append(rep.Connectors, cc)
			continue
		}
		schema, err := c.Schema(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ae *afas.Error
			switch {
			case !errors.As(err, &ae):
				cc.Status, cc.Message = Failed, err.Error()
			case ae.Kind == afas.FaultInvalidToken:
				rep.TokenOK, rep.TokenMessage = false, ae.Message
				cc.Status = Skipped
			case ae.Kind == afas.FaultConnectorMissing:
				cc.Status, cc.Message = Missing, ae.Message
			case ae.Kind == afas.FaultNotAuthorized:
				cc.Status, cc.Message = NotAuthorized, ae.Message
			default:
				cc.Status, cc.Message = Failed, err.Error()
			}
			rep.Connectors = append(rep.Connectors, cc)
			continue
		}
		want := std.Whitelist(salaryFor(role, t.SalaryColumn))
		have := map[string]bool{}
		for _, f := range schema {
			have[f.Name] = true
			cc.Fields = append(cc.Fields, f.Name)
			if _, ok := want[f.Name]; !ok {
				cc.ExtraFields = append(cc.ExtraFields, f.Name)
			}
		}
		for f := range want {
			if !have[f] {
				cc.MissingFields = append(cc.MissingFields, f)
			}
		}
		sort.Strings(cc.MissingFields)
		sort.Strings(cc.ExtraFields)
		switch {
		case len(cc.MissingFields) > 0:
			cc.Status = Incomplete
		case len(cc.ExtraFields) > 0:
			cc.Status = Extra
		default:
			cc.Status = OK
		}
		rep.Connectors = append(rep.Connectors, cc)
	}
	return rep, nil
}

func salaryFor(role, col string) string {
	if role == connectors.Dienstverbanden {
		return col
	}
	return ""
}
