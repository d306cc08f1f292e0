package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/runlog"
)

func (a *app) runsCommand() *cobra.Command {
	var jsonOut bool
	c := a.command("runs", "runs", "[NAME]")
	c.Args = a.nArgs(0, 1, "cli.args.runs")
	c.ValidArgsFunction = a.profileNames
	a.flags(c.Flags()).boolVar(&jsonOut, "json", "", "cli.flag.json_lines")
	c.RunE = func(_ *cobra.Command, args []string) error {
		name := ""
		if len(args) == 1 {
			name = args[0]
		}
		return a.runs(name, jsonOut)
	}

	var showJSON bool
	var level string
	show := a.command("runs.show", "show", "RUN")
	show.Args = a.nArgs(1, 1, "cli.args.run")
	f := a.flags(show.Flags())
	f.boolVar(&showJSON, "json", "", "cli.flag.json")
	f.stringVar(&level, "level", "Metadata", "level", "cli.flag.runs.level")
	show.RunE = func(c *cobra.Command, args []string) error {
		min, ok := parseLevel(level)
		if !ok {
			return usageFor(c, a.t("cli.runs.level", level))
		}
		return a.runShow(args[0], min, showJSON)
	}
	c.AddCommand(show)
	return c
}

// parseLevel reads a log level by its Xpert Suite name (Metadata, Melding, Waarschuwing,
// Uitval) or its English one (notice, warning, rejected).
func parseLevel(s string) (runlog.Level, bool) {
	switch strings.ToLower(s) {
	case "notice":
		return runlog.Melding, true
	case "warning":
		return runlog.Waarschuwing, true
	case "rejected":
		return runlog.Uitval, true
	}
	return runlog.ParseLevel(s)
}

func (a *app) runs(name string, jsonOut bool) (incomplete error) {
	s, err := a.openStore(false)
	if err != nil {
		return err
	}
	var runs []*store.Run
	if s == nil && name != "" {
		return usageErr(a.unknownProfile(name))
	}
	if s != nil {
		defer s.Close()
		if name != "" {
			if _, err := a.loadProfile(s, name); err != nil {
				return err
			}
		}
		runs, err = s.Runs(name)
		var partial *store.PartialError
		if errors.As(err, &partial) {
			// The other profiles' runs are listed; the list is incomplete, so exit 1 names the
			// profiles that could not be read.
			defer func() { incomplete = a.partialErr(partial) }()
		} else if err != nil {
			return failErr(err)
		}
	}
	if jsonOut {
		for _, r := range runs {
			if err := writeJSON(a.stdout, summaryJSON(r).Run); err != nil {
				return err
			}
		}
		return nil
	}
	if len(runs) == 0 {
		fmt.Fprintln(a.stdout, a.t("cli.no_runs"))
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, a.t("cli.runs_header"))
	for _, r := range runs {
		var counts []string
		for _, e := range entityOrder {
			if c := r.Entities[e]; c != nil {
				counts = append(counts, fmt.Sprintf("%s %s", a.t("entity."+e), deliveredText(r, c.Delivered)))
			}
		}
		couplings := strings.Join(r.Couplings, ",")
		if r.Kind == store.KindMatch {
			couplings, counts = a.t("cli.run_kind.match"), []string{a.matchDelivered(r)}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Profile, r.Started.Local().Format("2006-01-02 15:04"), couplings, a.statusText(r)+a.uploadSuffix(r), r.Finished.Sub(r.Started).Round(1e7), strings.Join(counts, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	a.printQueued(runs)
	return nil
}

func (a *app) runShow(id string, min runlog.Level, jsonOut bool) error {
	unknown := a.t("cli.unknown_run", id)
	s, err := a.needStore(unknown)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.Run(id)
	if errors.Is(err, store.ErrNotFound) {
		return usageErr(unknown)
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
	if changes == nil {
		changes = []store.Change{}
	}
	type logLine struct {
		runlog.Log
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	shown := []logLine{}
	for _, l := range logs {
		if l.Level >= min {
			shown = append(shown, logLine{Log: l, Level: l.Level.String(), Message: a.logText(l)})
		}
	}
	cols := a.changeColumns(s, r.Profile, changes)
	if jsonOut {
		return writeJSON(a.stdout, map[string]any{"run": summaryJSON(r).Run, "log": shown, "changes": cols})
	}
	a.printSummary(a.stdout, r, "")
	fmt.Fprintln(a.stdout)
	for _, l := range shown {
		fmt.Fprintf(a.stdout, "%-12s%s %s\n", a.t("level."+l.Level), a.logTag(l.Log), l.Message)
	}
	if len(changes) > 0 {
		fmt.Fprintf(a.stdout, "\n%s (%d)\n", a.t("cli.changes"), len(changes))
		for i, c := range changes {
			if i == 50 {
				fmt.Fprintf(a.stdout, "… %s\n", a.t("cli.more_json"))
				break
			}
			fmt.Fprintf(a.stdout, "%-10s %s %s\n", a.t("cli.kind."+c.Kind), a.t("entity."+c.Entity), c.Key)
			a.printColumns(cols[i].Fields)
		}
	}
	return nil
}

// partialErr is the error of a listing that could not read every profile: each one's reason,
// one a line.
func (a *app) partialErr(p *store.PartialError) error {
	var lines []string
	for _, e := range p.Unwrap() {
		_, msg := a.explain(e)
		lines = append(lines, msg)
	}
	return failMsg(strings.Join(lines, "\n"))
}
