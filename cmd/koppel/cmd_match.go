package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/matching"
	"github.com/koppel-nl/koppel/sync/matching/xsexport"
	"github.com/koppel-nl/koppel/sync/runlog"
)

func (a *app) matchCommand() *cobra.Command {
	var (
		files                   engine.MatchFiles
		decisions               string
		accept, jsonOut, dryRun bool
	)
	c := a.command("match", "match", "NAME")
	c.Args = a.nArgs(1, 1, "cli.args.profile")
	c.ValidArgsFunction = a.profileNames
	f := a.flags(c.Flags())
	f.stringVar(&files.Employees, "xs-employees", "", "file", "cli.flag.match.xs_employees")
	f.stringVar(&files.Absences, "xs-absences", "", "file", "cli.flag.match.xs_absences")
	f.stringVar(&decisions, "decisions", "", "file", "cli.flag.match.decisions")
	f.boolVar(&accept, "accept-candidates", "", "cli.flag.match.accept")
	f.boolVar(&dryRun, "dry-run", "", "cli.flag.match.dry_run")
	f.boolVar(&jsonOut, "json", "", "cli.flag.match.json")
	c.RunE = func(c *cobra.Command, args []string) error {
		if files.Employees == "" {
			return usageFor(c, a.t("cli.match.need_employees"))
		}
		mo := engine.MatchOptions{Options: engine.Options{DryRun: dryRun}, Files: files, AcceptCandidates: accept}
		var probs []xsexport.Problem
		if decisions != "" {
			ds, p, err := engine.ReadDecisionsFile(decisions)
			if err != nil {
				return a.matchFailed(jsonOut, args[0], a.exportErr(err))
			}
			mo.Decisions, probs = ds, p
		}
		s, err := a.needStore(a.unknownProfile(args[0]))
		if err != nil {
			return a.matchFailed(jsonOut, args[0], err)
		}
		defer s.Close()
		out, data, err := engine.New(s).Match(a.ctx, args[0], mo, a.matchEvents(jsonOut))
		if err != nil {
			return a.matchFailed(jsonOut, args[0], a.exportErr(err))
		}
		probs = append(probs, data.Problems...)
		return a.matchReport(out, probs, jsonOut)
	}
	return c
}

// exportErr turns the errors of a match into exit codes: a profile or export that cannot be
// used is a usage error (2), naming the file and the missing columns.
func (a *app) exportErr(err error) error {
	var ue *engine.UsageError
	var xe *engine.ExportError
	switch {
	case errors.As(err, &ue):
		return usageErr(ue.Text(a.lang))
	case errors.As(err, &xe) && xe.Missing != nil:
		return usageErr(a.t("cli.match.missing_columns", xe.File, strings.Join(xe.Missing.Columns, ", ")))
	case errors.As(err, &xe):
		return usageErr(a.t("cli.match.unreadable", xe.File, xe.Err.Error()))
	case errors.Is(err, context.Canceled):
		return failMsg(a.t("cli.match.cancelled"))
	}
	return err
}

func (a *app) matchFailed(jsonOut bool, name string, err error) error {
	code, msg := a.explain(err)
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if jsonOut {
		_ = writeJSON(a.stdout, map[string]any{"event": "error", "profile": name, "exit": code, "error": msg})
	}
	return &exitError{code: code, err: errors.New(msg)}
}

// matchEvents shows the match's progress on stderr (and, with --json, as events on stdout).
func (a *app) matchEvents(jsonOut bool) func(engine.Event) {
	text := a.textEvents()
	return func(ev engine.Event) {
		if jsonOut {
			if ev.Type != "summary" {
				_ = writeJSON(a.stdout, a.jsonEvent(ev))
			}
			return
		}
		if ev.Type == "progress" && !ev.Done {
			return
		}
		text(ev)
	}
}

// matchJSON is the summary object, the last line of --json.
type matchJSON struct {
	Event   string           `json:"event"`
	Profile string           `json:"profile"`
	Run     string           `json:"run"`
	DryRun  bool             `json:"dry_run"`
	Folder  string           `json:"folder"`
	Summary matching.Summary `json:"summary"`
	Open    int              `json:"open"`
	Skipped int              `json:"skipped_rows"`
	Exit    int              `json:"exit"`
}

func (a *app) matchReport(out *engine.MatchOutcome, probs []xsexport.Problem, jsonOut bool) error {
	res := out.Result
	m := res.Summary.Medewerkers
	open := m.Kandidaat + m.Conflict + m.Dubbelzinnig
	exit := exitOK
	if res.Pending() {
		exit = exitFailed
	}
	skipped := 0
	for _, p := range probs {
		if p.Line > 1 || p.Column != "" {
			skipped++
		}
	}
	if jsonOut {
		for _, p := range probs {
			_ = writeJSON(a.stdout, map[string]any{"event": "skipped", "file": p.File, "line": p.Line, "column": p.Column, "code": p.Code, "message": engine.ProblemText(a.lang, p)})
		}
		for _, l := range res.Logs {
			if l.Level >= runlog.Waarschuwing {
				_ = writeJSON(a.stdout, map[string]any{"event": "log", "level": l.Level.String(), "entity": l.Entity, "key": l.Key, "code": l.Code, "message": a.logText(l)})
			}
		}
		_ = writeJSON(a.stdout, matchJSON{Event: "summary", Profile: out.Run.Profile, Run: out.Run.ID, DryRun: out.Run.DryRun,
			Folder: out.Folder, Summary: res.Summary, Open: open, Skipped: skipped, Exit: exit})
	} else {
		for _, p := range probs {
			fmt.Fprintf(a.stderr, "  %-12s %s\n", a.t("level.Waarschuwing"), engine.ProblemText(a.lang, p))
		}
		// The match's own warnings (XS only, absences XS would lose); the rest is in its log.
		shown := 0
		for _, l := range res.Logs {
			if l.Level < runlog.Waarschuwing {
				continue
			}
			if shown++; shown > 20 {
				fmt.Fprintf(a.stderr, "  … %s\n", a.t("cli.more_in_log"))
				break
			}
			fmt.Fprintf(a.stderr, "  %-12s%s %s\n", a.t("level."+l.Level.String()), a.logTag(l), a.logText(l))
		}
		a.printMatch(a.stdout, out, open, skipped)
	}
	if exit != exitOK {
		return &exitError{code: exit, err: errors.New(a.t("cli.match.open", strconv.Itoa(open)))}
	}
	return nil
}

func (a *app) printMatch(w io.Writer, out *engine.MatchOutcome, open, skipped int) {
	res := out.Result
	m := res.Summary.Medewerkers
	fmt.Fprintln(w, a.t("cli.match.title", out.Run.Profile, out.Run.ID))
	fmt.Fprintln(w, "  "+a.t("cli.match.employees", strconv.Itoa(m.Gekoppeld), strconv.Itoa(m.PerMethode[matching.Sleutel]),
		strconv.Itoa(m.PerMethode[matching.BSN]), strconv.Itoa(m.PerMethode[matching.Naam]), strconv.Itoa(m.PerMethode[matching.Besluit])))
	fmt.Fprintln(w, "  "+a.t("cli.match.open_counts", strconv.Itoa(m.Kandidaat), strconv.Itoa(m.Conflict), strconv.Itoa(m.Dubbelzinnig)))
	fmt.Fprintln(w, "  "+a.t("cli.match.rest", strconv.Itoa(m.AlleenAFAS), strconv.Itoa(m.AlleenXS)))
	if v := res.Summary.Verzuim; v != nil {
		fmt.Fprintln(w, "  "+a.t("cli.match.absences", strconv.Itoa(v.Gekoppeld), strconv.Itoa(v.Dubbelzinnig), strconv.Itoa(v.AlleenAFAS), strconv.Itoa(v.AlleenXS)))
	}
	b := res.Summary.Besluiten
	fmt.Fprintln(w, "  "+a.t("cli.match.decisions", strconv.Itoa(b.Toegepast), strconv.Itoa(b.Vervallen), strconv.Itoa(b.Genegeerd)))
	if skipped > 0 {
		fmt.Fprintln(w, "  "+a.t("cli.match.skipped", strconv.Itoa(skipped)))
	}
	shown := 0
	for _, e := range res.Employees {
		if e.Bron != matching.FromXS || (e.Uitkomst != matching.Kandidaat && e.Uitkomst != matching.Conflict && e.Uitkomst != matching.Dubbelzinnig) {
			continue
		}
		if shown == 0 {
			fmt.Fprintln(w, "\n"+a.t("cli.match.open_title"))
		}
		shown++
		if shown > 30 {
			continue
		}
		var others []string
		for _, k := range e.Ander {
			others = append(others, k.String())
		}
		fmt.Fprintf(w, "  %-13s XS %-14s AFAS %s (%s)\n", a.t("match.outcome."+string(e.Uitkomst)), e.Key, strings.Join(others, ", "), e.Methode)
	}
	if shown > 30 {
		fmt.Fprintf(w, "  … %d %s\n", shown-30, a.t("cli.more_json"))
	}
	fmt.Fprintln(w)
	if out.Folder != "" {
		fmt.Fprintln(w, a.t("cli.match.folder", out.Folder))
	} else {
		fmt.Fprintln(w, a.t("cli.match.dry"))
	}
	if open > 0 {
		fmt.Fprintln(w, a.t("cli.match.next", strconv.Itoa(open), out.Run.Profile))
	}
}

// matchDelivered is what a match run delivered, for the runs list.
func (a *app) matchDelivered(r *store.Run) string {
	if !r.HasDelivery() {
		return "—"
	}
	return matching.KoppeltabelFile
}
