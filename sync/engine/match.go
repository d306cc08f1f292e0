package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/matching"
	"github.com/koppel-nl/koppel/sync/matching/xsexport"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/token"
	"github.com/koppel-nl/koppel/sync/values"
)

// The first sync of an existing customer (spec matching.md): read AFAS as a run would, read
// Xpert Suite's exports, match (package matching), and deliver a link table. Reading AFAS goes
// through the run's own reader and mapper: the connectors a selection needs, the same ranges,
// pool, limits and rules, so what is matched is exactly what a run would deliver. A profile
// switch that changes the read (a flex mode, say) belongs in the profile's Selection and the
// mapper; the match takes it from there without a change here.

// Stages of a match, reported as "stage" events before and after the run's StageFetch.
const (
	StageMatchExports = "match_exports" // reading the Xpert Suite exports
	StageMatch        = "match"         // matching
)

// MatchFiles names Xpert Suite's exports: the employees (required) and the absences (optional).
type MatchFiles struct {
	Employees string
	Absences  string
}

// MatchData is what a match is made of: the AFAS employees as a run would deliver them, the
// exports as read (with the rows that were skipped), and the profile's stored decisions. The
// TUI keeps it to match again as the consultant decides, without reading anything again.
type MatchData struct {
	Profile  string
	Files    MatchFiles
	Input    matching.Input
	Problems []xsexport.Problem
	Stored   []matching.Decision
	// Logs are what reading AFAS logged (connectors read, Uitval of records a run would not
	// deliver either).
	Logs      []runlog.Log
	couplings []string
	started   time.Time
}

// ExportError is an export that cannot be used: it cannot be opened, or it lacks required
// columns (Missing). The CLI exits 2.
type ExportError struct {
	File    string
	Missing *xsexport.MissingColumnsError // set when required columns are missing
	Err     error
}

func (e *ExportError) Error() string {
	if e.Missing != nil {
		return e.Missing.Error()
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ExportError) Unwrap() error { return e.Err }

// ReadExports reads the Xpert Suite exports; a skipped row is a Problem, never an error.
func ReadExports(files MatchFiles) (emps []matching.XSEmployee, abs []matching.XSAbsence, probs []xsexport.Problem, err error) {
	read := func(path string, fn func(f *os.File) ([]xsexport.Problem, error)) error {
		f, err := os.Open(path)
		if err != nil {
			return &ExportError{File: path, Err: err}
		}
		defer f.Close()
		p, err := fn(f)
		var mc *xsexport.MissingColumnsError
		if errors.As(err, &mc) {
			return &ExportError{File: path, Missing: mc, Err: err}
		}
		if err != nil {
			return &ExportError{File: path, Err: err}
		}
		probs = append(probs, p...)
		return nil
	}
	err = read(files.Employees, func(f *os.File) (p []xsexport.Problem, err error) {
		emps, p, err = xsexport.ReadEmployees(f, files.Employees)
		return p, err
	})
	if err == nil && files.Absences != "" {
		err = read(files.Absences, func(f *os.File) (p []xsexport.Problem, err error) {
			abs, p, err = xsexport.ReadAbsences(f, files.Absences)
			return p, err
		})
	}
	return emps, abs, probs, err
}

// ProblemText says a skipped row or a note about an export in a language: where, then what.
func ProblemText(l i18n.Lang, p xsexport.Problem) string {
	where := l.T("xs.where", p.File, strconv.Itoa(p.Line))
	if p.Column != "" {
		where = l.T("xs.where_column", p.File, strconv.Itoa(p.Line), strconv.Itoa(p.Pos), p.Column)
	}
	what := p.Msg
	if p.Code != "" {
		what = l.T(p.Code, p.Args...)
	}
	return where + ": " + what
}

// ReadDecisionsFile reads a --decisions file.
func ReadDecisionsFile(path string) ([]matching.Decision, []xsexport.Problem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &ExportError{File: path, Err: err}
	}
	defer f.Close()
	ds, probs, err := xsexport.ReadDecisions(f, path)
	var mc *xsexport.MissingColumnsError
	if errors.As(err, &mc) {
		return nil, nil, &ExportError{File: path, Missing: mc, Err: err}
	}
	if err != nil {
		return nil, nil, &ExportError{File: path, Err: err}
	}
	return ds, probs, nil
}

// MatchRead reads what a match needs: the exports first (a bad export fails before AFAS is
// asked anything), then AFAS as a run of the profile would read it. It holds the profile while
// it reads, so no run of it overlaps. Nothing is stored.
func (e *Engine) MatchRead(ctx context.Context, name string, files MatchFiles, opts Options, emit func(Event)) (*MatchData, error) {
	p, err := e.Store.Profile(name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &UsageError{Code: "run.unknown_profile", Args: []string{name}}
		}
		return nil, err
	}
	if p.Draft {
		return nil, &UsageError{Code: "run.draft", Args: []string{name}}
	}
	if files.Absences != "" && !p.Couplings.Verzuim.Enabled {
		return nil, &UsageError{Code: "match.no_verzuim", Args: []string{name}}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &MatchData{Profile: name, Files: files, started: opts.Now()}
	emitStage := func(s string) {
		if emit != nil {
			emit(Event{Type: "stage", Stage: s})
		}
	}
	emitStage(StageMatchExports)
	xs, xsAbs, probs, err := ReadExports(files)
	if err != nil {
		return nil, err
	}
	d.Input.XS, d.Input.XSAbsences, d.Problems = xs, xsAbs, probs
	d.Input.WithAbsences = files.Absences != ""

	held, err := e.Store.Hold(name)
	if err != nil {
		return nil, err
	}
	defer held.Close()
	stored, err := held.MatchDecisions()
	if err != nil {
		return nil, err
	}
	d.Stored = fromStored(stored)
	emitStage(StageFetch)
	d.Input.AFAS, d.Logs, d.couplings, err = e.readForMatch(ctx, p, held, opts, d.Input.WithAbsences, emit)
	if err != nil && ctx.Err() == nil {
		// A match that could not read AFAS is on record like a failed run; a cancelled one
		// leaves nothing.
		rec := &store.Run{ID: NewRunID(d.started), Profile: name, Kind: store.KindMatch, Status: StatusFailed, Mode: p.Delivery.Mode,
			DateFrom: p.DateFrom, Started: d.started.UTC(), Finished: opts.Now().UTC(), Error: token.Clean(err.Error(), 4<<10)}
		rec.ErrorCode, rec.ErrorArgs = failure(err)
		if serr := held.RecordRun(rec, d.Logs, nil); serr != nil {
			return nil, errors.Join(err, serr)
		}
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// readForMatch reads and maps AFAS with the run's reader and rules and returns the employees
// a run would deliver, each with its delivered absences when withAbsences.
func (e *Engine) readForMatch(ctx context.Context, p *profile.Profile, held Session, opts Options, withAbsences bool, emit func(Event)) ([]matching.Employee, []runlog.Log, []string, error) {
	dateFrom, err := values.ParseDay(p.DateFrom)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("date_from: %w", err)
	}
	// The read is the run's, salary column included (a run warns about a field beyond the
	// whitelist the same way); the match derives no manager accounts.
	pc := *p
	pc.Couplings.Werknemer.Managers = false
	couplings := []string{connectors.CouplingWerknemer}
	if withAbsences {
		couplings = append(couplings, connectors.CouplingVerzuim)
	}
	sel := pc.Selection(couplings)
	r := &run{e: e, sess: held, p: &pc, opts: opts, emitFn: emit,
		rec: &store.Run{Profile: p.Name, Entities: map[string]*store.EntityCounts{}}}
	m := mapping.NewMapper(mappingConfig(&pc, sel, dateFrom), r.log)

	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	pool := afas.NewPool(parallel)
	if opts.MaxAnswerBytes <= 0 && p.Limits.MaxAnswerMB > 0 {
		r.opts.MaxAnswerBytes = int64(p.Limits.MaxAnswerMB) << 20
	}
	if opts.MaxRows <= 0 && p.Limits.MaxRows > 0 {
		r.opts.MaxRows = p.Limits.MaxRows
	}
	client, err := afas.New(afas.Config{
		URL: p.URL(), Token: p.Account.Token, PageSize: opts.PageSize, RequestTimeout: opts.RequestTimeout,
		MaxRetryTime: opts.MaxRetryTime, RetryBase: opts.RetryBase, HTTPClient: opts.HTTPClient,
		MaxAnswerBytes: r.opts.MaxAnswerBytes, MaxRows: r.opts.MaxRows, Pool: pool,
		OnRetry: func(connector string, attempt int, wait time.Duration, err error) {
			r.log(runlog.Log{Level: runlog.Melding, Entity: connector, Code: "run.retry", Args: []string{connector, strconv.Itoa(attempt), err.Error(), wait.Round(time.Millisecond).String()}})
		},
	})
	if err != nil {
		return nil, nil, nil, err
	}
	maxRows := r.opts.MaxRows
	if maxRows <= 0 {
		maxRows = afas.DefaultMaxRows
	}
	rd := &reader{r: r, client: client, pool: pool, dateFrom: dateFrom, maxRows: maxRows}
	// The match is a one-off of a customer's size: the typed rows are kept per connector and
	// taken through the rules in the run's order once everything is read.
	var mu sync.Mutex
	byRole := map[string][]any{}
	feed := func(role string, page []any) error {
		mu.Lock()
		byRole[role] = append(byRole[role], page...)
		mu.Unlock()
		return nil
	}
	prev := func(id string) []string {
		b, _ := held.Bounds(id)
		return b
	}
	rctx, cancel := runDeadline(ctx, opts.MaxRunTime)
	defer cancel()
	if _, err := rd.read(rctx, connectors.Needed(sel), prev, feed, func(string) {}); err != nil {
		return nil, nil, nil, err
	}

	var units []mapping.Unit
	for _, v := range byRole[connectors.Organisatie] {
		units = append(units, v.(mapping.Unit))
	}
	m.Units(units)
	raw := map[string]mapping.Employee{}
	for _, v := range byRole[connectors.Medewerkers] {
		emp := recordOf[mapping.Employee](v)
		m.Employee(emp)
		if _, dup := raw[emp.Medewerker]; !dup {
			raw[emp.Medewerker] = emp
		}
	}
	var out []matching.Employee
	at := map[matching.Key]int{}
	byPN := map[string]int{} // delivered Personeelsnummer → first employee with it
	for _, v := range byRole[connectors.Dienstverbanden] {
		dv := recordOf[mapping.Employment](v)
		rec, ok := m.Employment(dv)
		if !ok {
			continue
		}
		k := matching.Key{WerkgeverCode: rec.Values[0], Personeelsnummer: rec.Values[1]}
		if _, seen := at[k]; seen {
			continue
		}
		src := raw[dv.Medewerker]
		at[k] = len(out)
		if _, ok := byPN[k.Personeelsnummer]; !ok {
			byPN[k.Personeelsnummer] = len(out)
		}
		out = append(out, matching.Employee{
			WerkgeverCode: k.WerkgeverCode, Personeelsnummer: k.Personeelsnummer, Persoonsnummer: src.Persoonsnummer,
			BSN: src.BSN, Voorletters: src.Voorletters, Voornaam: src.Voornaam, Roepnaam: src.Roepnaam,
			Voorvoegsel: src.Voorvoegsel, Geboortenaam: src.Geboortenaam,
			VoorvoegselPartner: src.VoorvoegselPartner, GeboortenaamPartner: src.GeboortenaamPartner,
			Naamgebruik: src.Naamgebruik, Geboortedatum: src.Geboortedatum,
		})
	}
	m.EmploymentsDone()
	if withAbsences {
		for _, v := range byRole[connectors.Verzuim] {
			a := recordOf[mapping.Absence](v)
			if m.IsHistory(a) {
				continue
			}
			rec, ok := m.Absence(a)
			if !ok {
				continue
			}
			k := matching.Key{WerkgeverCode: rec.Values[0], Personeelsnummer: rec.Values[1]}
			i, ok := at[k]
			if !ok {
				// An absence booked on another employer than its employment: its employee.
				if i, ok = byPN[k.Personeelsnummer]; !ok {
					continue
				}
			}
			first, _ := time.Parse("2006-01-02", rec.Values[4])
			out[i].Absences = append(out[i].Absences, matching.Absence{VerzuimID: rec.Values[2], EersteVerzuimdag: first})
		}
	}
	return out, r.logs, couplings, nil
}

// Match matches the data with the stored decisions, the newer ones (from a --decisions file or
// the screen) applied over them. It returns the result and the decisions to keep: the merged
// ones whose records both still exist.
func (d *MatchData) Match(newer []matching.Decision, acceptCandidates bool) (*matching.Result, []matching.Decision, error) {
	all := matching.MergeDecisions(d.Stored, newer)
	res, err := matching.Match(d.Input, matching.Options{AcceptCandidates: acceptCandidates, Decisions: all})
	if err != nil {
		return nil, nil, err
	}
	stale := map[matching.Decision]bool{}
	for _, s := range res.Stale {
		stale[s] = true
	}
	keep := make([]matching.Decision, 0, len(all))
	for _, dc := range all {
		if !stale[dc] {
			keep = append(keep, dc)
		}
	}
	return res, keep, nil
}

// MatchOutcome is a finished match.
type MatchOutcome struct {
	Run    *store.Run
	Result *matching.Result
	// Folder is the published koppeltabel folder; empty for a preview.
	Folder string
	Logs   []runlog.Log
}

// MatchDeliver writes the koppeltabel folder (unless dryRun) like a delivery — under a hidden
// name, sealed with its manifest, published by a rename once the store has recorded the match
// — and records the match in the history (Kind store.KindMatch) with the decisions to keep and
// how many records still wait. A preview writes nothing and keeps the stored decisions.
func (e *Engine) MatchDeliver(ctx context.Context, d *MatchData, res *matching.Result, keep []matching.Decision, dryRun bool, now func() time.Time) (*MatchOutcome, error) {
	if now == nil {
		now = time.Now
	}
	p, err := e.Store.Profile(d.Profile)
	if err != nil {
		return nil, err
	}
	held, err := e.Store.Hold(d.Profile)
	if err != nil {
		return nil, err
	}
	defer held.Close()
	started := d.started
	if started.IsZero() {
		started = now()
	}
	rec := &store.Run{
		ID: NewRunID(started), Profile: d.Profile, Kind: store.KindMatch, Status: StatusOK, Mode: p.Delivery.Mode,
		Couplings: d.couplings, DateFrom: p.DateFrom, DryRun: dryRun, Started: started.UTC(),
		Entities: map[string]*store.EntityCounts{mapping.Employees: {Fetched: len(d.Input.AFAS)}},
	}
	logs := append([]runlog.Log(nil), d.Logs...)
	for _, pr := range d.Problems {
		// Said in the catalog's terms, so the match's log reads in any language; the entity
		// is the file and the key its line.
		logs = append(logs, runlog.Log{Level: runlog.Waarschuwing, Entity: pr.File, Key: strconv.Itoa(pr.Line), Code: pr.Code, Args: pr.Args})
	}
	logs = append(logs, res.Logs...)
	out := &MatchOutcome{Run: rec, Result: res}
	var folder *delivery.Folder
	if !dryRun {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if folder, err = writeMatchFolder(p, rec, res, now); err != nil {
			return nil, err
		}
		rec.Delivery = folder.Final
		logs = append(logs, runlog.Log{Level: runlog.Metadata, Code: "match.delivered", Args: []string{folder.Final}})
	} else {
		logs = append(logs, runlog.Log{Level: runlog.Metadata, Code: "match.dry"})
	}
	rec.Finished = now().UTC()
	rec.Levels = map[string]int{}
	for _, l := range logs {
		rec.Levels[l.Level.String()]++
	}
	m := res.Summary.Medewerkers
	status := store.MatchStatus{Run: rec.ID, Finished: rec.Finished, Open: m.Kandidaat + m.Conflict + m.Dubbelzinnig}
	var pend *store.Pending
	if folder != nil {
		pend = &store.Pending{Temp: folder.Temp, Final: folder.Final}
	}
	if err := held.RecordMatch(rec, logs, toStored(keep), status, pend); err != nil {
		if folder != nil {
			folder.Discard()
		}
		return nil, err
	}
	if folder != nil {
		// As after a delivery's commit: the rename is all that is left, and the next run
		// completes it if this fails or the process dies first.
		if err := delivery.Publish(folder.Temp, folder.Final); err != nil {
			return nil, fmt.Errorf("match %s is recorded but its folder could not be renamed from %s (the next run completes it): %w", rec.ID, folder.Temp, err)
		}
		if err := held.ClearPending(); err != nil {
			return nil, err
		}
		out.Folder = folder.Final
	}
	out.Logs = logs
	return out, nil
}

// writeMatchFolder writes koppeltabel.csv and matchrapport.csv into a sealed hidden folder.
func writeMatchFolder(p *profile.Profile, rec *store.Run, res *matching.Result, now func() time.Time) (*delivery.Folder, error) {
	folder, err := delivery.Create(p.Delivery.Outbox, p.Name, rec.ID+"-koppeltabel")
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			folder.Discard()
		}
	}()
	err = folder.WriteCSV(matching.KoppeltabelFile, matching.KoppeltabelColumns(), func(emit func([]string) error) error {
		for _, r := range res.Koppeltabel() {
			if err := emit([]string{r.Entiteit, r.WerkgeverCodeXS, r.PersoneelsnummerXS, r.VerzuimIdXS, r.WerkgeverCode, r.Personeelsnummer, r.VerzuimId, string(r.Methode)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = folder.WriteCSV(matching.RapportFile, matching.RapportColumns(), func(emit func([]string) error) error {
		for _, r := range res.Rapport() {
			if err := emit([]string{string(r.Bron), r.WerkgeverCode, r.Personeelsnummer, string(r.Uitkomst), string(r.Methode), r.WerkgeverCodeAnder, r.PersoneelsnummerAnder}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := folder.Seal(delivery.Manifest{Profile: p.Name, Run: rec.ID, Couplings: rec.Couplings, Mode: store.KindMatch, DateFrom: p.DateFrom, Created: now().UTC()}); err != nil {
		return nil, err
	}
	ok = true
	return folder, nil
}

// MatchOptions are the CLI's match: the exports, the decisions from a file, and the run's
// AFAS options.
type MatchOptions struct {
	Options
	Files            MatchFiles
	Decisions        []matching.Decision
	AcceptCandidates bool
}

// Match reads, matches and delivers in one go (koppel match).
func (e *Engine) Match(ctx context.Context, name string, mo MatchOptions, emit func(Event)) (*MatchOutcome, *MatchData, error) {
	d, err := e.MatchRead(ctx, name, mo.Files, mo.Options, emit)
	if err != nil {
		return nil, nil, err
	}
	if emit != nil {
		emit(Event{Type: "stage", Stage: StageMatch})
	}
	res, keep, err := d.Match(mo.Decisions, mo.AcceptCandidates)
	if err != nil {
		return nil, d, err
	}
	if !mo.DryRun && emit != nil {
		emit(Event{Type: "stage", Stage: StageDeliver})
	}
	out, err := e.MatchDeliver(ctx, d, res, keep, mo.DryRun, mo.Now)
	return out, d, err
}

// warnOpenMatch logs a Waarschuwing on a run of a profile whose first-sync match still waits
// for decisions: going live now may duplicate what Xpert Suite already holds. It never blocks.
func (r *run) warnOpenMatch() {
	ms, ok := r.sess.(interface {
		MatchStatus() (*store.MatchStatus, error)
	})
	if !ok {
		return
	}
	st, err := ms.MatchStatus()
	if err != nil || !st.Waiting() {
		return
	}
	r.log(runlog.Log{Level: runlog.Waarschuwing, Code: "run.match_open", Args: []string{strconv.Itoa(st.Open), r.p.Name}})
}

func fromStored(ds []store.MatchDecision) []matching.Decision {
	out := make([]matching.Decision, len(ds))
	for i, d := range ds {
		out[i] = matching.Decision{
			XS:   matching.Key{WerkgeverCode: d.XSWerkgeverCode, Personeelsnummer: d.XSPersoneelsnummer},
			AFAS: matching.Key{WerkgeverCode: d.AFASWerkgeverCode, Personeelsnummer: d.AFASPersoneelsnummer},
		}
	}
	return out
}

func toStored(ds []matching.Decision) []store.MatchDecision {
	out := make([]store.MatchDecision, len(ds))
	for i, d := range ds {
		out[i] = store.MatchDecision{XSWerkgeverCode: d.XS.WerkgeverCode, XSPersoneelsnummer: d.XS.Personeelsnummer,
			AFASWerkgeverCode: d.AFAS.WerkgeverCode, AFASPersoneelsnummer: d.AFAS.Personeelsnummer}
	}
	return out
}
