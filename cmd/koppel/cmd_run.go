package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/documents"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

func (a *app) runCommand() *cobra.Command {
	c := a.command("run", "run", "NAME")
	c.Args = a.nArgs(1, 1, "cli.args.profile")
	c.ValidArgsFunction = a.profileNames
	var (
		coupling                     string
		dry, allow, jsonOut          bool
		pageSize, parallel           int
		maxAnswer, maxRows           int
		timeout, retryTime, maxRunTm time.Duration
	)
	f := a.flags(c.Flags())
	f.stringVar(&coupling, "coupling", "", "coupling", "cli.flag.run.coupling")
	f.boolVar(&dry, "dry-run", "", "cli.flag.run.dry_run")
	f.boolVar(&allow, "allow-deletes", "", "cli.flag.run.allow_deletes")
	f.boolVar(&jsonOut, "json", "", "cli.flag.run.json")
	f.intVar(&pageSize, "page-size", 0, "cli.flag.run.page_size")
	f.intVar(&parallel, "parallel", 4, "cli.flag.run.parallel")
	f.durationVar(&timeout, "timeout", time.Minute, "cli.flag.run.timeout")
	f.durationVar(&retryTime, "retry-time", 100*time.Second, "cli.flag.run.retry_time")
	f.intVar(&maxAnswer, "max-answer-mb", 64, "cli.flag.run.max_answer_mb")
	f.intVar(&maxRows, "max-rows", 5_000_000, "cli.flag.run.max_rows")
	f.durationVar(&maxRunTm, "max-run-time", 0, "cli.flag.run.max_run_time")
	f.meta("page-size", "", "", a.t("cli.help.page_size_default"))
	f.meta("max-run-time", "", "", a.t("cli.help.none"))
	c.RunE = func(c *cobra.Command, args []string) error {
		opts := engine.Options{DryRun: dry, AllowDeletes: allow, PageSize: pageSize, Parallel: parallel, RequestTimeout: timeout, MaxRetryTime: retryTime,
			MaxRunTime: maxRunTm}
		// The caps come from the flags when given, else from the profile (limits:), else the defaults.
		if c.Flags().Changed("max-answer-mb") {
			opts.MaxAnswerBytes = int64(maxAnswer) << 20
		}
		if c.Flags().Changed("max-rows") {
			opts.MaxRows = maxRows
		}
		switch coupling {
		case "":
		case "werknemer", "verzuim", "documenten":
			opts.Couplings = []string{coupling}
		default:
			return usageFor(c, a.t("cli.run.coupling", coupling))
		}
		if pageSize < 0 || pageSize > 100_000 || parallel < 1 || parallel > 8 {
			return usageFor(c, a.t("cli.run.limits"))
		}
		if maxAnswer < 1 || maxAnswer > 4096 || maxRows < 1 || maxRunTm < 0 || timeout <= 0 || retryTime < 0 {
			return usageFor(c, a.t("cli.run.caps"))
		}
		s, err := a.needStore(a.unknownProfile(args[0]))
		if err != nil {
			return a.runFailed(jsonOut, args[0], err)
		}
		defer s.Close()
		return a.runWith(s, args[0], opts, jsonOut)
	}
	return c
}

func (a *app) runWith(s *store.Store, name string, opts engine.Options, jsonOut bool) error {
	var emit func(engine.Event)
	if jsonOut {
		emit = func(ev engine.Event) {
			// The summary is written last, after a dry run's changes.
			if ev.Type != "summary" {
				_ = writeJSON(a.stdout, a.jsonEvent(ev))
			}
		}
	} else {
		emit = a.textEvents()
	}
	res, err := engine.New(s).Run(a.ctx, name, opts, a.stalling(emit))
	if ferr := a.notStarted(jsonOut, name, err, res != nil); ferr != nil {
		return ferr
	}
	errText := ""
	var qe *engine.QueueError
	if errors.As(err, &qe) {
		errText = qe.Text(a.lang)
	} else if err != nil {
		errText = a.runError(s, name, err)
	}
	if opts.DryRun && err == nil {
		a.printChanges(res, jsonOut)
	}
	if jsonOut {
		_ = writeJSON(a.stdout, summaryJSON(res.Run))
	} else {
		a.printSummary(a.stdout, res.Run, errText)
	}
	if qe != nil || (err == nil && uploadQueued(res.Run)) {
		msg := errText
		if msg == "" {
			msg = a.uploadText(res.Run)
		}
		return &exitError{code: exitQueued, err: errors.New(a.t("cli.upload.queued_exit", msg))}
	}
	if err != nil {
		return failMsg(errText)
	}
	if res.Run.Status == engine.StatusBlocked {
		return &exitError{code: exitBlocked, err: errors.New(a.t("cli.blocked"))}
	}
	return nil
}

// runError explains why a run failed, in the UI language: the outbox or the date of the
// profile when those are the cause, AFAS's answer, or the error as it is.
func (a *app) runError(s *store.Store, name string, err error) string {
	if p, perr := s.Profile(name); perr == nil {
		if problem := a.outboxProblem(p.Delivery.Outbox); problem != "" {
			return "delivery.outbox: " + problem
		}
		if _, derr := values.ParseDay(p.DateFrom); derr != nil {
			return "date_from: " + a.t("profile.date", p.DateFrom) + "; " + a.t("profile.expected") + " " + a.t("profile.date.form")
		}
	}
	_, msg := a.explain(err)
	return msg
}

// runFailed ends a run that could not start or was cancelled; with --json the last line is still
// a JSON object, so a scheduler reading the stream always finds how it ended.
// notStarted reports, alike for every command that runs the engine, what leaves no result to
// show: a usage error, a cancelled run, a failure before anything ran. It returns nil when
// there is a result (done says so) to report.
func (a *app) notStarted(jsonOut bool, name string, err error, done bool) error {
	var ue *engine.UsageError
	switch {
	case errors.As(err, &ue):
		return a.runFailed(jsonOut, name, usageErr(ue.Text(a.lang)))
	case errors.Is(err, context.Canceled):
		return a.runFailed(jsonOut, name, failMsg(a.t("run.cancelled")))
	case !done:
		return a.runFailed(jsonOut, name, failErr(err))
	}
	return nil
}

func (a *app) runFailed(jsonOut bool, name string, err error) error {
	code, msg := a.explain(err)
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if jsonOut {
		_ = writeJSON(a.stdout, map[string]any{"event": "error", "profile": name, "status": engine.StatusFailed, "exit": code, "error": msg})
	}
	return &exitError{code: code, err: errors.New(msg)}
}

// printChanges lists what a dry run would deliver: every change as a JSON line before the
// summary, or the first ones as text.
func (a *app) printChanges(res *engine.Result, jsonOut bool) {
	for i, c := range res.Changes {
		if jsonOut {
			_ = writeJSON(a.stdout, map[string]any{"event": "change", "entity": c.Entity, "key": c.Key, "kind": c.Kind})
			continue
		}
		if i == 50 {
			fmt.Fprintf(a.stdout, "… %d %s\n", len(res.Changes)-50, a.t("cli.more_changes"))
			break
		}
		fmt.Fprintf(a.stdout, "%-10s %-16s %s\n", a.t("cli.kind."+c.Kind), a.t("entity."+c.Entity), c.Key)
	}
}

// jsonEvent is the wire form of an event for --json.
func (a *app) jsonEvent(ev engine.Event) any {
	switch ev.Type {
	case "stage":
		return map[string]any{"event": "stage", "stage": ev.Stage}
	case "progress":
		return map[string]any{"event": "progress", "connector": ev.Connector, "pages": ev.Pages, "rows": ev.Rows, "done": ev.Done}
	case "counts":
		counts := ev.Counts
		if counts == nil {
			counts = map[string]store.EntityCounts{}
		}
		return map[string]any{"event": "counts", "entities": counts}
	case "log":
		return map[string]any{"event": "log", "level": ev.Log.Level.String(), "entity": ev.Log.Entity, "key": ev.Log.Key, "code": ev.Log.Code, "message": a.logText(*ev.Log)}
	case "upload":
		return uploadJSON(ev.Upload)
	default:
		return summaryJSON(ev.Run)
	}
}

type summary struct {
	Event string `json:"event"`
	*store.Run
}

// summaryJSON is a run's record as the last line of --json; lists and maps are never null.
func summaryJSON(r *store.Run) summary {
	c := *r
	if c.Couplings == nil {
		c.Couplings = []string{}
	}
	if c.Entities == nil {
		c.Entities = map[string]*store.EntityCounts{}
	}
	if c.Upload == nil {
		c.Upload = &store.Upload{Status: store.UploadNone}
	}
	return summary{Event: "summary", Run: &c}
}

// logText renders a log entry in the UI language, with plurals koppel knows.
func (a *app) logText(l runlog.Log) string {
	switch {
	case l.Code == "run.read" && len(l.Args) == 3:
		return a.t("cli.log.read", l.Args[0], a.pluralText(l.Args[1], "cli.n.row"), a.pluralText(l.Args[2], "cli.n.page"))
	case l.Code == "run.all_rejected" && len(l.Args) == 2:
		return a.t(l.Code, l.Args[0], a.entityName(l.Args[1]))
	}
	return a.t(l.Code, l.Args...)
}

func (a *app) pluralText(n, code string) string {
	if v, err := strconv.Atoi(n); err == nil {
		return a.plural(v, code)
	}
	return a.t(code, n)
}

// entityName is an entity in the UI language; a connector id stays as it is.
func (a *app) entityName(e string) string {
	if a.has("entity." + e) {
		return a.t("entity." + e)
	}
	return e
}

// logTag is the record a log entry is about: [Dienstverbanden 1001-1].
func (a *app) logTag(l runlog.Log) string {
	if l.Key == "" {
		return ""
	}
	return " [" + a.entityName(l.Entity) + " " + l.Key + "]"
}

// textEvents prints a run for people: stages, finished reads, and the serious log entries.
func (a *app) textEvents() func(engine.Event) {
	const maxLines = 20 // the rest is in the run's log
	shown := 0
	return func(ev engine.Event) {
		switch ev.Type {
		case "stage":
			if ev.Stage != engine.StageDone {
				fmt.Fprintf(a.stderr, "» %s\n", a.t("stage."+ev.Stage))
			}
		case "log":
			if ev.Log.Level >= runlog.Waarschuwing || ev.Log.Code == "run.retry" {
				shown++
				if shown > maxLines {
					if shown == maxLines+1 {
						fmt.Fprintf(a.stderr, "  … %s\n", a.t("cli.more_in_log"))
					}
					return
				}
				fmt.Fprintf(a.stderr, "  %-12s%s %s\n", a.t("level."+ev.Log.Level.String()), a.logTag(*ev.Log), a.logText(*ev.Log))
			} else if ev.Log.Code == "run.read" {
				fmt.Fprintf(a.stderr, "  %s\n", a.logText(*ev.Log))
			}
		case "upload":
			a.uploadProgress(ev.Upload)
		}
	}
}

var entityOrder = []string{mapping.Departments, mapping.Employees, mapping.Employments, mapping.Absences, mapping.Users, mapping.Placements, mapping.Documents}

// deliveredText is a delivered count, or "—" for a run that delivered nothing (failed, blocked,
// preview): a count there would read as delivered.
func deliveredText(r *store.Run, n int) string {
	if !r.HasDelivery() {
		return "—"
	}
	return strconv.Itoa(n)
}

// statusText is a run's status in the UI language; a preview says so.
func (a *app) statusText(r *store.Run) string {
	st := a.t("status." + r.Status)
	if !r.DryRun {
		return st
	}
	if r.Status == engine.StatusOK {
		return a.t("cli.status.preview")
	}
	return a.t("cli.status.preview_of", st)
}

// printSummary writes a run's summary; errText, when given, says why it failed in the UI
// language (the record keeps the error as the engine wrote it).
func (a *app) printSummary(w io.Writer, r *store.Run, errText string) {
	fmt.Fprintf(w, "\n%s %s  %s  %s  %s\n", a.t("cli.summary.run"), r.ID, r.Profile, a.statusText(r), r.Mode)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, a.t("cli.counts_header"))
	for _, e := range entityOrder {
		c := r.Entities[e]
		if c == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t\n", a.t("entity."+e), c.Fetched, deliveredText(r, c.Delivered), c.Rejected, c.New, c.Changed, c.Unchanged, c.Deleted)
	}
	tw.Flush()
	if c := r.Entities[mapping.Documents]; c != nil && c.Bytes > 0 && r.HasDelivery() {
		fmt.Fprintln(w, a.t("doc.bytes", documents.SizeText(c.Bytes)))
	}
	for _, b := range r.Blocked {
		fmt.Fprintf(w, "%s: %s\n", a.t("entity."+b.Entity), a.t("run.guard", fmt.Sprint(b.Deleted), fmt.Sprint(b.Previous), strconv.FormatFloat(b.Limit, 'f', -1, 64)))
	}
	var parts []string
	for _, lv := range []string{"Uitval", "Waarschuwing", "Melding"} {
		if n := r.Levels[lv]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d× %s", n, a.t("level."+lv)))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintln(w, a.t("cli.summary.log", strings.Join(parts, ", "), r.ID))
	}
	switch {
	case errText != "":
		fmt.Fprintln(w, a.t("run.failed", errText))
	case r.Error != "":
		fmt.Fprintln(w, a.t("run.failed", r.ErrorText(a.lang.T)))
	}
	if r.Delivery != "" && r.HasDelivery() {
		fmt.Fprintln(w, a.t("run.delivered", r.Delivery))
		a.printUpload(w, r)
	} else if r.DryRun {
		fmt.Fprintln(w, a.t("run.dry"))
		fmt.Fprintln(w, a.t("cli.summary.preview", r.ID))
	}
}
