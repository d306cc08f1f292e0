// Package profile is a customer's coupling configuration: the YAML contract of
// cli-and-profile.md, its validation, and the values derived from it.
package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/koppel-nl/koppel/sync/columns"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/token"
	"github.com/koppel-nl/koppel/sync/values"
)

// Profile is one customer account with its couplings. Field names follow the YAML contract.
type Profile struct {
	Name       string     `yaml:"name" json:"name"`
	Account    Account    `yaml:"account" json:"account"`
	Employer   string     `yaml:"employer" json:"employer"`
	Rewrite    Rewrite    `yaml:"rewrite,omitempty" json:"rewrite"`
	Couplings  Couplings  `yaml:"couplings" json:"couplings"`
	Flex       Flex       `yaml:"flex,omitempty" json:"flex"`
	DateFrom   string     `yaml:"date_from" json:"date_from"`
	Delivery   Delivery   `yaml:"delivery" json:"delivery"`
	Connectors Connectors `yaml:"connectors,omitempty" json:"connectors"`
	Guard      Guard      `yaml:"guard,omitempty" json:"guard"`
	History    History    `yaml:"history,omitempty" json:"history"`
	Limits     Limits     `yaml:"limits,omitempty" json:"limits"`
	// Draft marks a profile saved before its GetConnectors were all in place: kept, shown, not
	// runnable until the wizard (or an import) saves it complete.
	Draft bool `yaml:"draft,omitempty" json:"draft,omitempty"`
}

// Account is the customer account (klantaccount).
type Account struct {
	Name        string `yaml:"name" json:"name"`
	Participant string `yaml:"participant" json:"participant"`
	Environment string `yaml:"environment" json:"environment"`
	URL         string `yaml:"url,omitempty" json:"url,omitempty"`
	Token       string `yaml:"token,omitempty" json:"token,omitempty"`
	TokenEnv    string `yaml:"token_env,omitempty" json:"-"`
}

// Affix is a fixed prefix and suffix.
type Affix struct {
	Prefix string `yaml:"prefix" json:"prefix"`
	Suffix string `yaml:"suffix" json:"suffix"`
}

// Apply rewrites a code.
func (a Affix) Apply(s string) string {
	if s == "" {
		return s
	}
	return a.Prefix + s + a.Suffix
}

// Rewrite holds the rewrites of employer codes and personnel numbers.
type Rewrite struct {
	Employer Affix `yaml:"employer" json:"employer"`
	Employee Affix `yaml:"employee" json:"employee"`
}

// Couplings are the two XS Connect configurations.
type Couplings struct {
	Werknemer Werknemer `yaml:"werknemer" json:"werknemer"`
	Verzuim   Verzuim   `yaml:"verzuim" json:"verzuim"`
	// Documenten is AFAS Documenten (documents.md): the attachments of whitelisted dossier items.
	Documenten Documenten `yaml:"documenten,omitempty" json:"documenten"`
}

// Werknemer is AFAS Werknemer: departments and employees, manager accounts optional.
type Werknemer struct {
	Enabled   bool    `yaml:"enabled" json:"enabled"`
	Managers  bool    `yaml:"managers" json:"managers"`
	UserGroup string  `yaml:"user_group,omitempty" json:"user_group,omitempty"`
	Salary    *Salary `yaml:"salary,omitempty" json:"salary,omitempty"`
}

// Salary is the optional salary column of Koppel_Dienstverbanden.
type Salary struct {
	Column string `yaml:"column" json:"column"`
	Kind   string `yaml:"kind" json:"kind"`
}

// Verzuim is AFAS Verzuim: absences only.
type Verzuim struct {
	Enabled         bool              `yaml:"enabled" json:"enabled"`
	Classifications map[string]string `yaml:"classifications,omitempty" json:"classifications,omitempty"`
}

// Delivery says where and how files are delivered.
type Delivery struct {
	Outbox string `yaml:"outbox" json:"outbox"`
	Mode   string `yaml:"mode" json:"mode"`
	// Columns fit a file to the customer's Xpert Suite import configuration, per file name
	// (afdelingen, medewerkers, verzuim, gebruikers).
	Columns map[string]columns.Config `yaml:"columns,omitempty" json:"columns,omitempty"`
	// MutationColumn names the first column of a mutaties file (default Mutatie); "none" leaves
	// it out: such a delivery carries new and changed rows only.
	MutationColumn string `yaml:"mutation_column,omitempty" json:"mutation_column,omitempty"`
	// SFTP, when set, uploads every delivery to Xpert Suite's SFTP server (sftp.go).
	SFTP *SFTP `yaml:"sftp,omitempty" json:"sftp,omitempty"`
}

// NoMutationColumn is the mutation_column value that leaves the column out.
const NoMutationColumn = "none"

// MutationHeader is the mutaties files' first column, or "" when there is none.
func (d Delivery) MutationHeader() string {
	switch d.MutationColumn {
	case "":
		return "Mutatie"
	case NoMutationColumn:
		return ""
	}
	return d.MutationColumn
}

// Layout is a file's columns as the profile configures them.
func (d Delivery) Layout(entity string) (*columns.Layout, []columns.Problem) {
	return columns.New(mapping.Columns(entity), mapping.KeyColumns(entity), d.Columns[strings.TrimSuffix(mapping.FileOf(entity), ".csv")])
}

// Connectors rename the standard GetConnectors, and optionally their fields, for a customer who
// already has connectors with other names.
//
// In YAML the ids sit beside fields (connectors: {medewerkers: HR_Medewerkers, fields: {…}}); the
// keys are the roles of the connector table.
type Connectors struct {
	// IDs: role → the customer's GetConnector id.
	IDs map[string]string `yaml:",inline" json:"-"`
	// Fields: per role, the standard field name → the name in the customer's connector.
	Fields map[string]map[string]string `yaml:"fields,omitempty" json:"fields,omitempty"`
}

// MarshalJSON keeps the YAML's flat shape in the store.
func (c Connectors) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	for role, id := range c.IDs {
		m[role] = id
	}
	if len(c.Fields) > 0 {
		m["fields"] = c.Fields
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (c *Connectors) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*c = Connectors{}
	for k, raw := range m {
		if k == "fields" {
			if err := json.Unmarshal(raw, &c.Fields); err != nil {
				return err
			}
			continue
		}
		var id string
		if err := json.Unmarshal(raw, &id); err != nil {
			return fmt.Errorf("connectors.%s: %w", k, err)
		}
		if c.IDs == nil {
			c.IDs = map[string]string{}
		}
		c.IDs[k] = id
	}
	return nil
}

// Guard is the deletion guard: a run that would delete, archive or deactivate more than
// MaxDeletePercent of an entity's records delivered last time is blocked (only above MinRecords).
type Guard struct {
	MaxDeletePercent *float64 `yaml:"max_delete_percent,omitempty" json:"max_delete_percent,omitempty"`
}

// History says how much run history a profile keeps: the last KeepRuns runs (default 400), and
// always the last delivery.
type History struct {
	KeepRuns int `yaml:"keep_runs,omitempty" json:"keep_runs,omitempty"`
}

// Limits raise the caps on what koppel reads of AFAS for a customer whose data is larger than
// they allow (0: the defaults, 64 MiB per answer and 5 million rows per connector). A run's
// --max-answer-mb and --max-rows, when given, go first.
type Limits struct {
	MaxAnswerMB int `yaml:"max_answer_mb,omitempty" json:"max_answer_mb,omitempty"`
	MaxRows     int `yaml:"max_rows,omitempty" json:"max_rows,omitempty"`
}

// DeleteShare is the guard's share as a fraction (default 10%).
func (g Guard) DeleteShare() float64 {
	if g.MaxDeletePercent == nil {
		return 0.10
	}
	return *g.MaxDeletePercent / 100
}

// Coupling names as used on the command line.
const (
	CouplingWerknemer  = connectors.CouplingWerknemer
	CouplingVerzuim    = connectors.CouplingVerzuim
	CouplingDocumenten = connectors.CouplingDocumenten
)

// Modes of delivery.
const (
	ModeCompleet = "compleet"
	ModeMutaties = "mutaties"
)

// SalaryKinds maps the profile's salary kinds to what koppel delivers in SalarisSoort.
var salaryKinds = map[string]string{
	"maandloon":     "Bruto maandloon",
	"vierwekenloon": "Bruto vier-wekenloon",
	"svloon":        "SV-loon",
}

// SalaryKindLabel returns the delivered label of a salary kind.
func SalaryKindLabel(kind string) string { return salaryKinds[kind] }

// Classifications are AFAS's eight absence classifications.
func Classifications() []string {
	return []string{"Arbeidsongeschikt door derde", "Bedrijfsongeval", "Ziek", "Ziek agv Zwangerschap of bevalling", "Vangnetindicatie", "Pleegzorg", "Onbekend", "Overig ongeval"}
}

// Error is a profile value that is not acceptable. Key is the YAML path; Code names the problem
// and the expected form in the message catalog; Value is what was given (never a token).
type Error struct {
	Key   string
	Code  string
	Value string
}

func (e *Error) Error() string { return e.Text(i18n.EN) }

// Text renders the error in a language: the key, the problem and the expected form.
func (e *Error) Text(l i18n.Lang) string {
	form := strings.Join(Classifications(), ", ")
	if e.Code == "too_long" {
		form = e.Value // the limit
	}
	return e.Key + ": " + l.T("profile."+e.Code, e.Value) + "; " + l.T("profile.expected") + " " + l.T("profile."+e.Code+".form", form)
}

// Errors are all problems found in a profile.
type Errors []*Error

func (es Errors) Error() string { return es.Text(i18n.EN) }

// Text renders every problem, one a line; past MaxListed, the rest are counted.
func (es Errors) Text(l i18n.Lang) string {
	var lines []string
	for i, e := range es {
		if i == MaxListed {
			lines = append(lines, l.T("profile.more_errors", strconv.Itoa(len(es)-MaxListed)))
			break
		}
		lines = append(lines, e.Text(l))
	}
	return strings.Join(lines, "\n")
}

// MaxListed is how many profile problems are listed; maxEcho how much of a value is shown.
const (
	MaxListed = 30
	maxEcho   = 80
)

var (
	nameRe        = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	participantRe = regexp.MustCompile(`^[0-9]{5}$`)
)

// Parse reads a profile from YAML, resolves token_env and relative outbox paths (against baseDir),
// fills defaults and validates. getenv is os.Getenv in production.
//
// A profile file is input from outside: it is refused above MaxFileSize before parsing, YAML
// anchors and aliases are refused (a few kilobytes of aliases expand to gigabytes), and every
// value it echoes in an error is cut.
func Parse(data []byte, baseDir string, getenv func(string) string) (*Profile, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{{Key: "(file)", Code: "file_size", Value: strconv.Itoa(len(data))}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("profile YAML: %s", clip(strings.TrimPrefix(err.Error(), "yaml: "), 200))
	}
	if key, ok := findAlias(&doc, ""); ok {
		return nil, Errors{{Key: key, Code: "alias"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("profile YAML: %s", clip(strings.TrimPrefix(err.Error(), "yaml: "), 200))
	}
	if p.Account.TokenEnv != "" {
		if p.Account.Token != "" {
			return nil, Errors{{Key: "account.token_env", Code: "token_env_both"}}
		}
		p.Account.Token = getenv(p.Account.TokenEnv)
		if p.Account.Token == "" {
			return nil, Errors{{Key: "account.token_env", Code: "token_env_empty", Value: p.Account.TokenEnv}}
		}
		p.Account.TokenEnv = ""
	}
	if err := p.resolveSFTP(baseDir, getenv); err != nil {
		return nil, err
	}
	if p.Delivery.Outbox != "" && !filepath.IsAbs(p.Delivery.Outbox) && baseDir != "" {
		p.Delivery.Outbox = filepath.Join(baseDir, p.Delivery.Outbox)
	}
	p.Defaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// MaxFileSize is the largest profile file read: real ones are a few kilobytes.
const MaxFileSize = 1 << 20

// findAlias reports the first node that is an alias or carries an anchor, by its key path.
func findAlias(n *yaml.Node, path string) (string, bool) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		if path == "" {
			path = "(file)"
		}
		return path, true
	}
	for i, c := range n.Content {
		child := path
		if n.Kind == yaml.MappingNode && i%2 == 1 {
			key := n.Content[i-1].Value
			if child == "" {
				child = key
			} else {
				child += "." + key
			}
		}
		if p, ok := findAlias(c, child); ok {
			return p, true
		}
	}
	return "", false
}

// clip cuts a text from outside to n characters.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Defaults fills what a profile may leave out.
func (p *Profile) Defaults() {
	if p.Delivery.Mode == "" {
		p.Delivery.Mode = ModeCompleet
	}
	if p.Delivery.Outbox == "" {
		p.Delivery.Outbox = "outbox"
	}
	p.Couplings.Documenten.defaults()
	if p.Couplings.Werknemer.UserGroup == "" {
		p.Couplings.Werknemer.UserGroup = "Leidinggevenden"
	}
	if p.Account.Environment == "" {
		p.Account.Environment = "production"
	}
	if tok, _, err := token.NormalizeToken(p.Account.Token); err == nil {
		p.Account.Token = tok
	}
}

// Validate checks every value and returns all problems at once.
func (p *Profile) Validate() error {
	var es Errors
	add := func(key, code, value string) { es = append(es, &Error{clip(key, 80), code, clip(value, maxEcho)}) }
	for key, v := range map[string]struct {
		s   string
		max int
	}{
		"name": {p.Name, 40}, "account.name": {p.Account.Name, 100}, "account.url": {p.Account.URL, 300},
		"employer": {p.Employer, 40}, "delivery.outbox": {p.Delivery.Outbox, 1024},
		"rewrite.employer.prefix": {p.Rewrite.Employer.Prefix, 20}, "rewrite.employer.suffix": {p.Rewrite.Employer.Suffix, 20},
		"rewrite.employee.prefix": {p.Rewrite.Employee.Prefix, 20}, "rewrite.employee.suffix": {p.Rewrite.Employee.Suffix, 20},
	} {
		if n := len([]rune(v.s)); n > v.max {
			add(key, "too_long", strconv.Itoa(v.max))
		}
	}
	if !nameRe.MatchString(p.Name) {
		add("name", "name", p.Name)
	}
	if strings.TrimSpace(p.Account.Name) == "" {
		add("account.name", "account_name", "")
	}
	if !participantRe.MatchString(p.Account.Participant) {
		add("account.participant", "participant", p.Account.Participant)
	}
	switch p.Account.Environment {
	case "production", "test", "accept":
	default:
		add("account.environment", "environment", p.Account.Environment)
	}
	if p.Account.URL != "" {
		if checkURL(p.Account.URL) != nil {
			add("account.url", "url", p.Account.URL)
		}
	}
	if p.Account.Token == "" {
		add("account.token", "token_missing", "")
	} else if _, _, err := token.NormalizeToken(p.Account.Token); err != nil {
		add("account.token", "token_form", "")
	}
	if _, err := values.ParseDay(p.DateFrom); err != nil {
		add("date_from", "date", p.DateFrom)
	}
	es = append(es, p.Couplings.Documenten.validate()...)
	if !p.Couplings.Werknemer.Enabled && !p.Couplings.Verzuim.Enabled && !p.Couplings.Documenten.Enabled {
		add("couplings", "couplings", "")
	}
	if s := p.Couplings.Werknemer.Salary; s != nil {
		if !fieldRe.MatchString(s.Column) {
			add("couplings.werknemer.salary.column", "salary_column", s.Column)
		}
		if _, ok := salaryKinds[s.Kind]; !ok {
			add("couplings.werknemer.salary.kind", "salary_kind", s.Kind)
		}
	}
	if p.Couplings.Werknemer.Managers && len(p.Couplings.Werknemer.UserGroup) > 100 {
		add("couplings.werknemer.user_group", "user_group", "")
	}
	codes := slices.Sorted(maps.Keys(p.Couplings.Verzuim.Classifications))
	for _, code := range codes {
		if !isClassification(p.Couplings.Verzuim.Classifications[code]) {
			add("couplings.verzuim.classifications."+code, "classification", p.Couplings.Verzuim.Classifications[code])
		}
	}
	if strings.TrimSpace(p.Employer) == "" {
		add("employer", "employer", "")
	}
	switch p.Delivery.Mode {
	case ModeCompleet, ModeMutaties:
	default:
		add("delivery.mode", "mode", p.Delivery.Mode)
	}
	idRoles := slices.Sorted(maps.Keys(p.Connectors.IDs))
	for _, role := range idRoles {
		id := p.Connectors.IDs[role]
		if _, ok := connectors.ByRole(role); !ok {
			add("connectors."+role, "field_role", role)
		} else if id != "" && !fieldRe.MatchString(id) {
			add("connectors."+role, "connector_id", id)
		}
	}
	roles := slices.Sorted(maps.Keys(p.Connectors.Fields))
	for _, role := range roles {
		std, ok := connectors.ByRole(role)
		if !ok {
			add("connectors.fields."+role, "field_role", role)
			continue
		}
		names := slices.Sorted(maps.Keys(p.Connectors.Fields[role]))
		for _, f := range names {
			key := "connectors.fields." + role + "." + f
			if _, ok := std.Whitelist("")[f]; !ok {
				add(key, "field_standard", f)
			}
			if w := p.Connectors.Fields[role][f]; !fieldRe.MatchString(w) {
				add(key, "field_name", w)
			}
		}
	}
	files := slices.Sorted(maps.Keys(p.Delivery.Columns))
	for _, f := range files {
		ent, ok := mapping.EntityOfFile(f)
		if !ok {
			add("delivery.columns."+f, "columns_file", f)
			continue
		}
		_, problems := p.Delivery.Layout(ent)
		for _, pr := range problems {
			key := "delivery.columns." + f
			if pr.Key != "" {
				key += "." + pr.Key
			}
			add(key, "columns_"+pr.Code, pr.Value)
		}
	}
	if mc := p.Delivery.MutationColumn; mc != "" && mc != NoMutationColumn && !fieldRe.MatchString(mc) {
		add("delivery.mutation_column", "mutation_column", mc)
	}
	if m := p.Limits.MaxAnswerMB; m < 0 || m > 4096 {
		add("limits.max_answer_mb", "max_answer_mb", strconv.Itoa(m))
	}
	if m := p.Limits.MaxRows; m < 0 {
		add("limits.max_rows", "max_rows", strconv.Itoa(m))
	}
	if k := p.History.KeepRuns; k < 0 || k > 100_000 {
		add("history.keep_runs", "keep_runs", strconv.Itoa(k))
	}
	if g := p.Guard.MaxDeletePercent; g != nil && (*g < 0 || *g > 100) {
		add("guard.max_delete_percent", "guard", strconv.FormatFloat(*g, 'f', -1, 64))
	}
	es = append(es, p.Flex.validate()...)
	es = append(es, p.validateSFTP()...)
	if len(es) == 0 {
		return nil
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].Key < es[j].Key })
	return es
}

var fieldRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkURL(s string) error {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return errors.New("is not an http(s) URL")
	}
	if strings.ContainsAny(s, " \t\n") {
		return errors.New("contains white space")
	}
	return nil
}

func isClassification(s string) bool {
	for _, c := range Classifications() {
		if c == s {
			return true
		}
	}
	return false
}

// URL is the SOAP endpoint: the override, or the one AFAS derives from participant and environment.
func (p *Profile) URL() string {
	if p.Account.URL != "" {
		return p.Account.URL
	}
	host := map[string]string{"production": "soap", "test": "soaptest", "accept": "soapaccept"}[p.Account.Environment]
	return fmt.Sprintf("https://%s.%s.afas.online/ProfitServices/AppConnectorGet.asmx", p.Account.Participant, host)
}

// ConnectorID returns the GetConnector id the profile uses for a role.
func (p *Profile) ConnectorID(role string) string {
	if id := p.Connectors.IDs[role]; id != "" {
		return id
	}
	c, _ := connectors.ByRole(role)
	return c.ID
}

// FieldRenames returns, for a connector role, the standard field names the customer's connector
// calls differently (nil when none).
func (p *Profile) FieldRenames(role string) map[string]string { return p.Connectors.Fields[role] }

// SalaryColumn is the mapped salary field, or "".
func (p *Profile) SalaryColumn() string {
	if s := p.Couplings.Werknemer.Salary; s != nil {
		return s.Column
	}
	return ""
}

// Roles lists the connector roles the enabled couplings need.
func (p *Profile) Roles(couplings []string) []string {
	var roles []string
	for _, c := range connectors.Needed(p.Selection(couplings)) {
		roles = append(roles, c.Role)
	}
	return roles
}

// Selection is what a run of these couplings covers, for the connector table.
func (p *Profile) Selection(couplings []string) connectors.Selection {
	sel := connectors.SelectionOf(couplings)
	sel.Flex = p.Flex.Enabled
	return sel
}

// Enabled lists the enabled couplings, werknemer first.
func (p *Profile) Enabled() []string {
	var cs []string
	if p.Couplings.Werknemer.Enabled {
		cs = append(cs, CouplingWerknemer)
	}
	if p.Couplings.Verzuim.Enabled {
		cs = append(cs, CouplingVerzuim)
	}
	if p.Couplings.Documenten.Enabled {
		cs = append(cs, CouplingDocumenten)
	}
	return cs
}

// Marshal writes the profile as YAML (the token included: callers mask or drop it).
func (p *Profile) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	err := enc.Close()
	return b.Bytes(), err
}
