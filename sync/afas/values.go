package afas

import "github.com/koppel-nl/koppel/sync/values"

// The value types of the wire are those of package values; the aliases keep the client's and the
// simulator's code short.
type (
	Kind  = values.Kind
	Value = values.Value
	Dec   = values.Dec
	// FieldError is a value AFAS sent that does not fit the field's type.
	FieldError = values.FieldError
)

// The AFAS field types.
const (
	String  = values.String
	Int     = values.Int
	Decimal = values.Decimal
	Bool    = values.Bool
	Date    = values.Date
)
