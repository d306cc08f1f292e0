package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/store"
)

func (a *app) storeCommand() *cobra.Command {
	g := a.group("store", "store")
	check := a.command("store.check", "check")
	check.Args = a.nArgs(0, 0, "cli.args.none")
	check.RunE = func(*cobra.Command, []string) error { return a.storeCheck() }
	backup := a.command("store.backup", "backup", "FILE")
	backup.Args = a.nArgs(1, 1, "cli.args.file")
	backup.RunE = func(_ *cobra.Command, args []string) error { return a.storeBackup(args[0]) }
	g.AddCommand(check, backup)
	return g
}

// storeCheck runs the store's full consistency check: exit 0 when every file is sound, 1 with
// each damaged file named.
func (a *app) storeCheck() error {
	s, err := a.needStore(a.t("cli.no_store", a.dbPath()))
	if err != nil {
		return err
	}
	defer s.Close()
	names, err := s.ProfileNames()
	if err != nil {
		return failErr(err)
	}
	if err := s.Check(); err != nil {
		var lines []string
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				_, msg := a.explain(e)
				lines = append(lines, msg)
			}
		} else {
			_, msg := a.explain(err)
			lines = append(lines, msg)
		}
		return failMsg(strings.Join(lines, "\n"))
	}
	fmt.Fprintln(a.stdout, a.t("cli.store.ok", s.Path(), a.plural(len(names), "cli.n.profile")))
	return nil
}

// storeBackup writes a consistent copy of the store, while runs may go on; "-" writes it to
// stdout.
func (a *app) storeBackup(path string) error {
	s, err := a.needStore(a.t("cli.no_store", a.dbPath()))
	if err != nil {
		return err
	}
	defer s.Close()
	// A customer whose run holds its file is left out; the archive of the others is written and
	// exit 1 names who is missing, so a scheduler notices.
	var partial *store.PartialError
	if path == "-" {
		if err := s.Backup(a.stdout); errors.As(err, &partial) {
			return a.partialErr(partial)
		} else if err != nil {
			return failErr(err)
		}
		return nil
	}
	err = s.BackupTo(path)
	var damaged *store.DamagedError
	switch {
	case errors.As(err, &partial):
	case errors.As(err, &damaged):
		return failErr(err)
	case err != nil:
		return failMsg(a.t("cli.write_failed", path, a.fsReason(err)))
	}
	fmt.Fprintln(a.stdout, a.t("cli.store.backup_done", path, a.dbPath()+".key"))
	if partial != nil {
		return a.partialErr(partial)
	}
	return nil
}
