package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/runlog"
)

func (a *app) cmdRuns(args []string) error {
	if len(args) > 0 && args[0] == "show" {
		return a.cmdRunShow(args[1:])
	}
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	jsonOut := fs.Bool("json", false, "one JSON object per run")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErr("runs: expected at most one profile name")
	}
	s, err := a.openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	name := ""
	if len(pos) == 1 {
		name = pos[0]
		if _, err := a.loadProfile(s, name); err != nil {
			return err
		}
	}
	runs, err := s.Runs(name)
	if err != nil {
		return failErr(err)
	}
	if *jsonOut {
		for _, r := range runs {
			if err := writeJSON(a.stdout, r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, a.lang.T("cli.runs_header"))
	for _, r := range runs {
		var counts []string
		for _, e := range entityOrder {
			if c := r.Entities[e]; c != nil {
				counts = append(counts, fmt.Sprintf("%s %s", a.lang.T("entity."+e), deliveredText(r, c.Delivered)))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Profile, r.Started.Local().Format("2006-01-02 15:04"), strings.Join(r.Couplings, ","), a.lang.T("status."+r.Status), r.Finished.Sub(r.Started).Round(1e7), strings.Join(counts, ", "))
	}
	return tw.Flush()
}

func (a *app) cmdRunShow(args []string) error {
	fs := flag.NewFlagSet("runs show", flag.ContinueOnError)
	jsonOut := fs.Bool("json", false, "JSON output")
	level := fs.String("level", "Metadata", "show log entries from this level up: Metadata, Melding, Waarschuwing, Uitval")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("runs show: expected one run id")
	}
	min, ok := runlog.ParseLevel(*level)
	if !ok {
		return usageErr("--level %q: expected Metadata, Melding, Waarschuwing or Uitval", *level)
	}
	s, err := a.openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.Run(pos[0])
	if errors.Is(err, store.ErrNotFound) {
		return usageErr("unknown run %q (koppel runs lists them)", pos[0])
	}
	if err != nil {
		return failErr(err)
	}
	logs, err := s.RunLogs(r.ID)
	if err != nil {
		return failErr(err)
	}
	changes, err := s.RunChanges(r.ID)
	if err != nil {
		return failErr(err)
	}
	type logLine struct {
		runlog.Log
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	var shown []logLine
	for _, l := range logs {
		if l.Level >= min {
			shown = append(shown, logLine{Log: l, Level: l.Level.String(), Message: a.lang.T(l.Code, l.Args...)})
		}
	}
	if *jsonOut {
		return writeJSON(a.stdout, map[string]any{"run": r, "log": shown, "changes": changes})
	}
	printSummary(a.stdout, a.lang, r)
	fmt.Fprintln(a.stdout)
	for _, l := range shown {
		key := ""
		if l.Key != "" {
			key = " [" + l.Entity + " " + l.Key + "]"
		}
		fmt.Fprintf(a.stdout, "%-12s%s %s\n", a.lang.T("level."+l.Level), key, l.Message)
	}
	if len(changes) > 0 {
		fmt.Fprintf(a.stdout, "\n%s (%d)\n", a.lang.T("cli.changes"), len(changes))
		for i, c := range changes {
			if i == 50 {
				fmt.Fprintf(a.stdout, "… %s\n", a.lang.T("cli.more_json"))
				break
			}
			fmt.Fprintf(a.stdout, "%-10s %s %s\n", c.Kind, a.lang.T("entity."+c.Entity), c.Key)
		}
	}
	return nil
}
