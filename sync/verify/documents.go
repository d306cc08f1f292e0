package verify

import (
	"context"
	"fmt"
	"sort"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/profile"
)

// TypeCount is a dossier item type AFAS has, with the number of attachments of that type.
type TypeCount struct {
	Code, Description string
	Count             int
}

// DossierTypes reads the type fields of the profile's Koppel_Dossieritems and counts its rows
// per type, sorted on code: what the wizard offers to whitelist. Only the two type fields are
// read and no attachment is downloaded.
func DossierTypes(ctx context.Context, p *profile.Profile) ([]TypeCount, error) {
	c, err := NewClient(p)
	if err != nil {
		return nil, err
	}
	con, _ := connectors.ByRole(connectors.Dossieritems)
	q := afas.Query{
		Connector: p.ConnectorID(con.Role), Sort: con.Sort, Rename: p.FieldRenames(con.Role),
		Fields: afas.Fields{connectors.FTypeDossieritem: afas.String, connectors.FTypeOmschrijving: afas.String},
	}
	byCode := map[string]*TypeCount{}
	_, err = c.Read(ctx, q, func(r afas.Row) error {
		code := r.Get(connectors.FTypeDossieritem, afas.String).Str
		tc := byCode[code]
		if tc == nil {
			tc = &TypeCount{Code: code, Description: r.Get(connectors.FTypeOmschrijving, afas.String).Str}
			byCode[code] = tc
		}
		tc.Count++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dossier item types: %w", err)
	}
	out := make([]TypeCount, 0, len(byCode))
	for _, tc := range byCode {
		out = append(out, *tc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}
