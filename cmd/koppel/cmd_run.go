package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
)

func (a *app) cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	coupling := fs.String("coupling", "", "run only this coupling: werknemer or verzuim")
	dry := fs.Bool("dry-run", false, "show what would be delivered; deliver nothing, change no state")
	allow := fs.Bool("allow-deletes", false, "let a run through the deletion guard, once")
	jsonOut := fs.Bool("json", false, "one JSON object per line: progress, log, summary")
	pageSize := fs.Int("page-size", 0, "rows per AFAS call (default: AFAS's guideline, 150,000 ÷ the connector's fields)")
	parallel := fs.Int("parallel", 4, "AFAS calls in flight at once, over all connectors (AFAS allows 5)")
	timeout := fs.Duration("timeout", time.Minute, "time limit per AFAS call, reading its answer included")
	retryTime := fs.Duration("retry-time", 100*time.Second, "time limit for one AFAS call with its retries")
	maxAnswer := fs.Int("max-answer-mb", 64, "the largest AFAS answer read, in MiB")
	maxRows := fs.Int("max-rows", 5_000_000, "the most rows read of one connector")
	maxRunTime := fs.Duration("max-run-time", 0, "time limit for the whole run (default: none)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("run: expected one profile name")
	}
	opts := engine.Options{DryRun: *dry, AllowDeletes: *allow, PageSize: *pageSize, Parallel: *parallel, RequestTimeout: *timeout, MaxRetryTime: *retryTime,
		MaxAnswerBytes: int64(*maxAnswer) << 20, MaxRows: *maxRows, MaxRunTime: *maxRunTime}
	switch *coupling {
	case "":
	case "werknemer", "verzuim":
		opts.Couplings = []string{*coupling}
	default:
		return usageErr("--coupling %q: expected werknemer or verzuim", *coupling)
	}
	if *pageSize < 0 || *pageSize > 100_000 || *parallel < 1 || *parallel > 8 {
		return usageErr("--page-size expects 1–100000 and --parallel 1–8 (AFAS allows at most 8 calls at once)")
	}
	if *maxAnswer < 1 || *maxAnswer > 4096 || *maxRows < 1 || *maxRunTime < 0 {
		return usageErr("--max-answer-mb expects 1–4096, --max-rows at least 1 and --max-run-time a positive duration")
	}
	s, err := a.openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	return a.runWith(s, pos[0], opts, *jsonOut)
}

// runProfile runs a profile with default options.
func (a *app) runProfile(s *store.Store, name string, jsonOut bool) error {
	return a.runWith(s, name, engine.Options{}, jsonOut)
}

func (a *app) runWith(s *store.Store, name string, opts engine.Options, jsonOut bool) error {
	var emit func(engine.Event)
	if jsonOut {
		emit = func(ev engine.Event) {
			// The summary is written last, after a dry run's changes.
			if ev.Type != "summary" {
				_ = writeJSON(a.stdout, jsonEvent(a.lang, ev))
			}
		}
	} else {
		emit = a.textEvents()
	}
	res, err := engine.New(s).Run(a.ctx, name, opts, emit)
	var ue *engine.UsageError
	var held *store.HeldError
	switch {
	case errors.As(err, &ue):
		return a.runFailed(jsonOut, name, exitUsage, errors.New(ue.Text(a.lang)))
	case errors.As(err, &held):
		since := held.Since.Local().Format("2006-01-02 15:04:05")
		return a.runFailed(jsonOut, name, exitFailed, errors.New(a.lang.T("run.held", held.Profile, fmt.Sprint(held.PID), held.Host, since)))
	case errors.Is(err, context.Canceled):
		return a.runFailed(jsonOut, name, exitFailed, errors.New(a.lang.T("run.cancelled")))
	case res == nil:
		return a.runFailed(jsonOut, name, exitFailed, err)
	}
	if opts.DryRun && err == nil {
		a.printChanges(res, jsonOut)
	}
	if jsonOut {
		_ = writeJSON(a.stdout, summaryJSON(res.Run))
	} else {
		printSummary(a.stdout, a.lang, res.Run)
	}
	if err != nil {
		return failErr(err)
	}
	if res.Run.Status == engine.StatusBlocked {
		return &exitError{exitBlocked, errors.New(a.lang.T("cli.blocked"))}
	}
	return nil
}

// runFailed ends a run that could not start or was cancelled; with --json the last line is still
// a JSON object, so a scheduler reading the stream always finds how it ended.
func (a *app) runFailed(jsonOut bool, name string, code int, err error) error {
	if jsonOut {
		_ = writeJSON(a.stdout, map[string]any{"event": "error", "profile": name, "status": engine.StatusFailed, "exit": code, "error": err.Error()})
	}
	return &exitError{code, err}
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
			fmt.Fprintf(a.stdout, "… %d %s\n", len(res.Changes)-50, a.lang.T("cli.more_changes"))
			break
		}
		fmt.Fprintf(a.stdout, "%-10s %-16s %s\n", c.Kind, a.lang.T("entity."+c.Entity), c.Key)
	}
}

// jsonEvent is the wire form of an event for --json.
func jsonEvent(l i18n.Lang, ev engine.Event) any {
	switch ev.Type {
	case "stage":
		return map[string]any{"event": "stage", "stage": ev.Stage}
	case "progress":
		return map[string]any{"event": "progress", "connector": ev.Connector, "pages": ev.Pages, "rows": ev.Rows, "done": ev.Done}
	case "counts":
		return map[string]any{"event": "counts", "entities": ev.Counts}
	case "log":
		return map[string]any{"event": "log", "level": ev.Log.Level.String(), "entity": ev.Log.Entity, "key": ev.Log.Key, "code": ev.Log.Code, "message": l.T(ev.Log.Code, ev.Log.Args...)}
	default:
		return summaryJSON(ev.Run)
	}
}

type summary struct {
	Event string `json:"event"`
	*store.Run
}

func summaryJSON(r *store.Run) summary { return summary{Event: "summary", Run: r} }

// textEvents prints a run for people: stages, finished reads, and the serious log entries.
func (a *app) textEvents() func(engine.Event) {
	const maxLines = 20 // the rest is in the run's log
	shown := 0
	return func(ev engine.Event) {
		switch ev.Type {
		case "stage":
			if ev.Stage != engine.StageDone {
				fmt.Fprintf(a.stderr, "» %s\n", a.lang.T("stage."+ev.Stage))
			}
		case "log":
			if ev.Log.Level >= runlog.Waarschuwing || ev.Log.Code == "run.retry" {
				shown++
				if shown > maxLines {
					if shown == maxLines+1 {
						fmt.Fprintf(a.stderr, "  … %s\n", a.lang.T("cli.more_in_log"))
					}
					return
				}
				key := ""
				if ev.Log.Key != "" {
					key = " [" + ev.Log.Entity + " " + ev.Log.Key + "]"
				}
				fmt.Fprintf(a.stderr, "  %-12s%s %s\n", a.lang.T("level."+ev.Log.Level.String()), key, a.lang.T(ev.Log.Code, ev.Log.Args...))
			} else if ev.Log.Code == "run.read" {
				fmt.Fprintf(a.stderr, "  %s\n", a.lang.T(ev.Log.Code, ev.Log.Args...))
			}
		}
	}
}

var entityOrder = []string{mapping.Departments, mapping.Employees, mapping.Employments, mapping.Absences, mapping.Users}

// deliveredText is a delivered count, or "—" for a run that delivered nothing (failed, blocked,
// preview): a count there would read as delivered.
func deliveredText(r *store.Run, n int) string {
	if !r.HasDelivery() {
		return "—"
	}
	return strconv.Itoa(n)
}

func printSummary(w io.Writer, l i18n.Lang, r *store.Run) {
	fmt.Fprintf(w, "\nrun %s  %s  %s  %s\n", r.ID, r.Profile, l.T("status."+r.Status), r.Mode)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, l.T("cli.counts_header"))
	for _, e := range entityOrder {
		c := r.Entities[e]
		if c == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t\n", l.T("entity."+e), c.Fetched, deliveredText(r, c.Delivered), c.Rejected, c.New, c.Changed, c.Unchanged, c.Deleted)
	}
	tw.Flush()
	for _, b := range r.Blocked {
		fmt.Fprintf(w, "%s: %s\n", l.T("entity."+b.Entity), l.T("run.guard", fmt.Sprint(b.Deleted), fmt.Sprint(b.Previous), fmt.Sprint(b.Limit)))
	}
	if len(r.Levels) > 0 {
		var parts []string
		for _, lv := range []string{"Uitval", "Waarschuwing", "Melding"} {
			if n := r.Levels[lv]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d× %s", n, l.T("level."+lv)))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "log: %s (koppel runs show %s)\n", strings.Join(parts, ", "), r.ID)
		}
	}
	if r.Error != "" {
		fmt.Fprintln(w, l.T("run.failed", r.Error))
	}
	if r.Delivery != "" {
		fmt.Fprintln(w, l.T("run.delivered", r.Delivery))
	} else if r.DryRun {
		fmt.Fprintln(w, l.T("run.dry"))
	}
}
