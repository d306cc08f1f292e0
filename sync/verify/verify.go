// Package verify checks a customer's AFAS environment against koppel's standard GetConnectors:
// the token, and per connector whether it is installed, authorised, has every required field and
// exposes nothing beyond the whitelist.
package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/values"
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
	TokenOK      bool   `json:"token_ok"`
	TokenMessage string `json:"token_message,omitempty"`
	// Unreachable says why AFAS could not be asked at all (wrong URL, no connection); the token
	// is then not judged.
	Unreachable string      `json:"unreachable,omitempty"`
	Connectors  []Connector `json:"connectors"`
	// Outbox says why the profile's outbox cannot take deliveries; empty when it can (or when
	// the check did not cover it).
	Outbox string `json:"outbox_problem,omitempty"`
	// SFTP is the check of the SFTP upload (sftp.go); nil when the profile has none.
	SFTP *SFTP `json:"sftp,omitempty"`
}

// OK reports whether everything checked is in order.
func (r *Report) OK() bool {
	if !r.TokenOK || r.Outbox != "" || (r.SFTP != nil && !r.SFTP.OK) {
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
	// Renames are, per role, the standard field names the customer's connector calls differently.
	Renames map[string]map[string]string
	// Progress, when set, is told about each connector as its check ends (from several
	// goroutines, one at a time).
	Progress func(Connector)
}

// parallel is how many connectors are checked at once: AFAS allows 5 calls per environment.
const parallel = 4

// Check asks AFAS for each connector's schema (Metadata=1, one row). The first connector is
// asked alone: its answer tells whether URL and token work, and a refused token stops the check
// (every other answer would be the same refusal). The others are then asked side by side.
func Check(ctx context.Context, c *afas.Client, t Target) (*Report, error) {
	rep := &Report{TokenOK: true, Connectors: make([]Connector, len(t.Roles))}
	if len(t.Roles) == 0 {
		return rep, nil
	}
	var mu sync.Mutex
	done := func(i int, cc Connector) {
		mu.Lock()
		defer mu.Unlock()
		rep.Connectors[i] = cc
		if t.Progress != nil {
			t.Progress(cc)
		}
	}
	first, verdict, err := checkOne(ctx, c, t, t.Roles[0])
	if err != nil {
		return nil, err
	}
	switch verdict.kind {
	case unreachable:
		rep.TokenOK, rep.Unreachable = false, verdict.message
	case tokenRefused:
		rep.TokenOK, rep.TokenMessage = false, verdict.message
	}
	done(0, first)
	if !rep.TokenOK {
		for i, role := range t.Roles[1:] {
			done(i+1, Connector{Role: role, ID: idOf(t, role), Status: Skipped})
		}
		return rep, nil
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var firstErr error
	for i, role := range t.Roles[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cc, v, err := checkOne(ctx, c, t, role)
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			if v.kind == tokenRefused || v.kind == unreachable {
				// AFAS answered the first call; a refusal now is this connector's failure.
				cc.Status, cc.Message = Failed, v.message
			}
			done(i+1, cc)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return rep, nil
}

type verdictKind int

const (
	answered verdictKind = iota
	unreachable
	tokenRefused
)

type verdict struct {
	kind    verdictKind
	message string
}

func idOf(t Target, role string) string {
	if id := t.IDs[role]; id != "" {
		return id
	}
	std, _ := connectors.ByRole(role)
	return std.ID
}

// checkOne asks for one connector's schema and judges it.
func checkOne(ctx context.Context, c *afas.Client, t Target, role string) (Connector, verdict, error) {
	std, _ := connectors.ByRole(role)
	cc := Connector{Role: role, ID: idOf(t, role)}
	schema, err := c.Schema(ctx, cc.ID)
	if err != nil {
		if ctx.Err() != nil {
			return cc, verdict{}, ctx.Err()
		}
		var ae *afas.Error
		switch {
		case !errors.As(err, &ae) || ae.Kind == afas.FaultEndpoint || ae.Kind == afas.FaultTransport || ae.Kind == afas.FaultRedirect:
			cc.Status = Skipped
			return cc, verdict{unreachable, err.Error()}, nil
		case ae.Kind == afas.FaultInvalidToken:
			cc.Status = Skipped
			return cc, verdict{tokenRefused, ae.Message}, nil
		case ae.Kind == afas.FaultConnectorMissing:
			cc.Status, cc.Message = Missing, ae.Message
		case ae.Kind == afas.FaultNotAuthorized:
			cc.Status, cc.Message = NotAuthorized, ae.Message
		default:
			cc.Status, cc.Message = Failed, err.Error()
		}
		return cc, verdict{}, nil
	}
	want := std.Whitelist(t.SalaryColumn)
	toStd := map[string]string{}
	for s, w := range t.Renames[role] {
		toStd[w] = s
	}
	have := map[string]bool{}
	for _, f := range schema {
		name := f.Name
		if s, ok := toStd[name]; ok {
			name = s
		}
		have[name] = true
		cc.Fields = append(cc.Fields, f.Name)
		if _, ok := want[name]; !ok {
			cc.ExtraFields = append(cc.ExtraFields, f.Name)
		}
	}
	for f := range want {
		if !have[f] {
			if w, ok := t.Renames[role][f]; ok {
				f = w // name it as the customer's connector should have it
			}
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
	return cc, verdict{}, nil
}

// CheckOutbox tells whether a folder can take deliveries: it exists, or can be created under a
// folder that exists, and koppel can write in it (a probe file is written and removed).
func CheckOutbox(dir string) error {
	if dir == "" {
		return errors.New("no outbox folder")
	}
	probeIn := dir
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is a file, not a folder", dir)
		}
	} else if errors.Is(err, os.ErrNotExist) {
		// It is created at the first delivery; the nearest existing parent must take it.
		parent := filepath.Dir(dir)
		for {
			fi, err := os.Stat(parent)
			if err == nil {
				if !fi.IsDir() {
					return fmt.Errorf("%s is a file, not a folder", parent)
				}
				break
			}
			if !errors.Is(err, os.ErrNotExist) || parent == filepath.Dir(parent) {
				return fmt.Errorf("%s: %w", parent, err)
			}
			parent = filepath.Dir(parent)
		}
		probeIn = parent
	} else {
		return err
	}
	f, err := os.CreateTemp(probeIn, ".koppel-probe-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", probeIn, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// NewClient returns an AFAS client for a profile that retries briefly: a consultant is waiting.
func NewClient(p *profile.Profile) (*afas.Client, error) {
	return afas.New(afas.Config{URL: p.URL(), Token: p.Account.Token, RequestTimeout: 30 * time.Second, MaxRetryTime: 10 * time.Second, MaxAttempts: 3})
}

// Profile checks a profile's outbox, token and the connectors of its enabled couplings.
func Profile(ctx context.Context, p *profile.Profile) (*Report, error) {
	rep, err := Roles(ctx, p, p.Roles(p.Enabled()))
	if err != nil {
		return nil, err
	}
	if err := CheckOutbox(p.Delivery.Outbox); err != nil {
		rep.Outbox = err.Error()
	}
	if p.Delivery.SFTP != nil {
		rep.SFTP = CheckSFTP(ctx, p.Delivery.SFTP)
	}
	return rep, nil
}

// Roles checks the token and the given connector roles (all four: connectors.Standard).
func Roles(ctx context.Context, p *profile.Profile, roles []string) (*Report, error) {
	c, err := NewClient(p)
	if err != nil {
		return nil, err
	}
	t := Target{Roles: roles, IDs: map[string]string{}, SalaryColumn: p.SalaryColumn(), Renames: p.Connectors.Fields}
	for _, r := range roles {
		t.IDs[r] = p.ConnectorID(r)
	}
	return Check(ctx, c, t)
}

// SalaryPreview reads the first n values of a salary column, as AFAS sends them.
func SalaryPreview(ctx context.Context, p *profile.Profile, column string, n int) ([]string, error) {
	c, err := NewClient(p)
	if err != nil {
		return nil, err
	}
	std := salaryConnector()
	fields := afas.Fields{column: afas.Decimal}
	for _, k := range std.Keys() {
		fields[k.Name] = k.Kind
	}
	var out []string
	_, err = c.Read(ctx, afas.Query{
		Connector: p.ConnectorID(std.Role), Sort: std.Sort, Limit: n, Rename: p.FieldRenames(std.Role), Fields: fields,
	}, func(r afas.Row) error {
		v := r.Get(column, afas.Decimal)
		text := v.Text()
		for _, fe := range r.Errs {
			text = "? " + fe.Err.Error()
		}
		var key []string
		for _, k := range std.Keys() {
			key = append(key, r.Get(k.Name, k.Kind).Text())
		}
		out = append(out, strings.Join(key, "/")+": "+text)
		return nil
	})
	return out, err
}

// salaryConnector is the connector that carries the profile's salary column.
func salaryConnector() connectors.Connector {
	for _, c := range connectors.Standard() {
		if c.Salary {
			return c
		}
	}
	return connectors.Connector{}
}

// Excluded counts, at AFAS, the employments that ended and the absences that recovered before
// day: what a date-from leaves out. Only the keys are decoded. Absences are counted only when
// the profile couples them (-1 otherwise).
func Excluded(ctx context.Context, p *profile.Profile, day time.Time) (employments, absences int, err error) {
	c, err := NewClient(p)
	if err != nil {
		return 0, 0, err
	}
	// What date-from leaves out is what the connector table filters on it: the rows whose
	// date-from field lies before the day.
	count := func(role string) (int, error) {
		std, _ := connectors.ByRole(role)
		st, err := c.Read(ctx, afas.Query{
			Connector: p.ConnectorID(role), Sort: std.Sort, Fields: afas.Fields{}, Rename: p.FieldRenames(role),
			Filters: []afas.Filter{{{Field: std.DateFilter, Op: afas.OpLess, Value: values.FormatDateTime(day)}}},
		}, func(afas.Row) error { return nil })
		return st.Rows, err
	}
	if employments, err = count(connectors.Dienstverbanden); err != nil {
		return 0, 0, err
	}
	if !p.Couplings.Verzuim.Enabled {
		return employments, -1, nil
	}
	absences, err = count(connectors.Verzuim)
	return employments, absences, err
}
