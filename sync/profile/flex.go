package profile

import "strconv"

// Flex is AFAS Flex (shared spec flex.md): every person (Persoonsnummer) is delivered once,
// under one employer code, with all the absences and placements of its employee records.
type Flex struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Employer is the WerkgeverCode every person is registered under (rewritten with the
	// employer prefix and suffix like every WerkgeverCode); required when enabled.
	Employer string `yaml:"employer,omitempty" json:"employer,omitempty"`
}

func (f Flex) validate() Errors {
	var es Errors
	switch n := len([]rune(f.Employer)); {
	case n > 40:
		es = append(es, &Error{Key: "flex.employer", Code: "too_long", Value: strconv.Itoa(40)})
	case f.Enabled && n == 0:
		es = append(es, &Error{Key: "flex.employer", Code: "flex_employer"})
	}
	return es
}
