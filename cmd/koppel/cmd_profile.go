package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/token"
	"github.com/koppel-nl/koppel/sync/verify"
)

func (a *app) profileCommand() *cobra.Command {
	g := a.group("profile", "profile")
	var jsonOut, yes, withToken bool
	var output string

	imp := a.command("profile.import", "import", "FILE")
	imp.Args = a.nArgs(1, 1, "cli.args.file")
	a.flags(imp.Flags()).boolVar(&yes, "yes", "y", "cli.flag.import.yes")
	a.flags(imp.Flags()).boolVar(&jsonOut, "json", "", "cli.flag.json")
	imp.RunE = func(_ *cobra.Command, args []string) error { return a.profileImport(args[0], yes, jsonOut) }

	list := a.command("profile.list", "list")
	list.Args = a.nArgs(0, 0, "cli.args.none")
	a.flags(list.Flags()).boolVar(&jsonOut, "json", "", "cli.flag.json_lines")
	list.RunE = func(*cobra.Command, []string) error { return a.profileList(jsonOut) }

	show := a.command("profile.show", "show", "NAME")
	show.Args = a.nArgs(1, 1, "cli.args.profile")
	show.ValidArgsFunction = a.profileNames
	a.flags(show.Flags()).boolVar(&jsonOut, "json", "", "cli.flag.json")
	show.RunE = func(_ *cobra.Command, args []string) error { return a.profileShow(args[0], jsonOut) }

	exp := a.command("profile.export", "export", "NAME")
	exp.Args = a.nArgs(1, 1, "cli.args.profile")
	exp.ValidArgsFunction = a.profileNames
	a.flags(exp.Flags()).boolVar(&withToken, "with-token", "", "cli.flag.export.with_token")
	exp.Flags().StringVarP(&output, "output", "o", "", a.t("cli.flag.export.output"))
	a.flags(exp.Flags()).meta("output", "file", "", "")
	exp.RunE = func(_ *cobra.Command, args []string) error { return a.profileExport(args[0], withToken, output) }

	del := a.command("profile.delete", "delete", "NAME")
	del.Args = a.nArgs(1, 1, "cli.args.profile")
	del.ValidArgsFunction = a.profileNames
	a.flags(del.Flags()).boolVar(&yes, "yes", "y", "cli.flag.delete.yes")
	a.flags(del.Flags()).boolVar(&jsonOut, "json", "", "cli.flag.json")
	del.RunE = func(_ *cobra.Command, args []string) error { return a.profileDelete(args[0], yes, jsonOut) }

	g.AddCommand(imp, list, show, exp, del)
	return g
}

// profileImport validates a profile file, checks its outbox and stores it; over an existing
// profile only when the consultant agrees (or --yes). History and delivered state stay.
func (a *app) profileImport(path string, yes, jsonOut bool) error {
	// Validate before opening the store: a rejected profile must leave nothing behind.
	p, err := a.readProfile(path)
	if err != nil {
		return err
	}
	s, err := a.openStore(true)
	if err != nil {
		return err
	}
	defer s.Close()
	old, err := s.Profile(p.Name)
	replaced := err == nil
	switch {
	case replaced:
		runs := "?"
		if rs, err := s.Runs(p.Name); err == nil {
			runs = a.plural(len(rs), "cli.n.run")
		}
		if err := a.confirm(a.t("cli.import.exists", p.Name, old.Account.Name, runs), yes); err != nil {
			return err
		}
	case !errors.Is(err, store.ErrNotFound):
		return failErr(err)
	}
	if err := s.PutProfile(p); err != nil {
		return failErr(err)
	}
	if jsonOut {
		return writeJSON(a.stdout, map[string]any{"profile": p.Name, "account": p.Account.Name, "replaced": replaced,
			"token": token.MaskToken(p.Account.Token), "outbox": p.Delivery.Outbox, "draft": p.Draft})
	}
	code := "cli.import.saved"
	if replaced {
		code = "cli.import.replaced"
	}
	fmt.Fprintln(a.stdout, a.t(code, p.Name, p.Account.Name, token.MaskToken(p.Account.Token)))
	fmt.Fprintln(a.stdout, a.t("cli.import.outbox", delivery.Dir(p.Delivery.Outbox, p.Name)))
	return nil
}

// readProfile reads and validates a profile file. A relative outbox is taken relative to the
// file's folder, so the stored profile delivers to one place wherever koppel runs from; the
// outbox must be able to take deliveries.
func (a *app) readProfile(path string) (*profile.Profile, error) {
	base := filepath.Base(path)
	fi, err := os.Stat(path)
	if err == nil && fi.Size() > profile.MaxFileSize {
		return nil, usageErr(base + ":\n" + indent(profile.Errors{{Key: "(file)", Code: "file_size", Value: strconv.FormatInt(fi.Size(), 10)}}.Text(a.lang)))
	}
	var data []byte
	if err == nil {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, usageErr(a.t("cli.profile_file", path, a.fsReason(err)))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, usageErr(a.t("cli.profile_file", path, err.Error()))
	}
	p, err := profile.Parse(data, filepath.Dir(abs), a.getenv)
	var perrs profile.Errors
	switch {
	case errors.As(err, &perrs):
		return nil, usageErr(base + ":\n" + indent(a.profileErrors(perrs, data)))
	case err != nil:
		return nil, usageErr(base + ":\n" + indent(a.t("cli.profile_yaml", strings.TrimPrefix(err.Error(), "profile YAML: "))))
	}
	if problem := a.outboxProblem(p.Delivery.Outbox); problem != "" {
		return nil, usageErr(base + ":\n" + indent("delivery.outbox: "+problem+"; "+a.t("cli.outbox.form")))
	}
	return p, nil
}

// profileErrors renders a profile's problems; a token that is the masked form profile show
// prints is said to be masked.
func (a *app) profileErrors(perrs profile.Errors, data []byte) string {
	var raw struct {
		Account struct {
			Token string `yaml:"token"`
		} `yaml:"account"`
	}
	_ = yaml.Unmarshal(data, &raw)
	var lines []string
	for i, e := range perrs {
		if i == profile.MaxListed {
			lines = append(lines, a.t("profile.more_errors", strconv.Itoa(len(perrs)-profile.MaxListed)))
			break
		}
		if e.Key == "account.token" && e.Code == "token_form" && profile.Masked(raw.Account.Token) {
			lines = append(lines, "account.token: "+a.t("cli.token_masked", raw.Account.Token))
			continue
		}
		lines = append(lines, e.Text(a.lang))
	}
	return strings.Join(lines, "\n")
}

// fsReason says why a file could not be read, in the UI language.
func (a *app) fsReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return a.t("cli.fs.not_exist")
	case errors.Is(err, fs.ErrPermission):
		return a.t("cli.fs.permission")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// outboxProblem says, in the UI language, why an outbox cannot take deliveries; "" when it can.
func (a *app) outboxProblem(dir string) string {
	err := verify.CheckOutbox(dir)
	if err == nil {
		return ""
	}
	if dir == "" {
		return a.t("cli.outbox.empty")
	}
	probe := dir
	for {
		fi, serr := os.Stat(probe)
		switch {
		case serr == nil && !fi.IsDir():
			return a.t("cli.outbox.file", probe)
		case serr == nil:
			return a.t("cli.outbox.not_writable", probe)
		case (errors.Is(serr, fs.ErrNotExist) || errors.Is(serr, syscall.ENOTDIR)) && probe != filepath.Dir(probe):
			probe = filepath.Dir(probe)
			continue
		case errors.Is(serr, fs.ErrPermission):
			return a.t("cli.outbox.not_writable", probe)
		}
		return a.t("cli.outbox.other", dir, err.Error())
	}
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

func (a *app) unknownProfile(name string) string { return a.t("run.unknown_profile", name) }

// openProfile opens the store and reads a profile from it, for a command on one profile: no store
// or an unknown profile is a usage error naming the profile. The caller closes the store.
func (a *app) openProfile(name string) (*store.Store, *profile.Profile, error) {
	s, err := a.needStore(a.unknownProfile(name))
	if err != nil {
		return nil, nil, err
	}
	p, err := a.loadProfile(s, name)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, p, nil
}

// loadProfile reads a profile from the store; an unknown one is a usage error.
func (a *app) loadProfile(s *store.Store, name string) (*profile.Profile, error) {
	p, err := s.Profile(name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, usageErr(a.unknownProfile(name))
	}
	if err != nil {
		return nil, failErr(err)
	}
	return p, nil
}

type profileLine struct {
	Name      string   `json:"name"`
	Account   string   `json:"account"`
	Couplings []string `json:"couplings"`
	LastRun   string   `json:"last_run,omitempty"`
	Status    string   `json:"status,omitempty"`
	Preview   bool     `json:"preview,omitempty"`
	Draft     bool     `json:"draft,omitempty"`
	statusTxt string
}

func (a *app) profileList(jsonOut bool) error {
	s, err := a.openStore(false)
	if err != nil {
		return err
	}
	var lines []profileLine
	var partial *store.PartialError
	if s != nil {
		defer s.Close()
		names, err := s.ProfileNames()
		if err != nil {
			return failErr(err)
		}
		lasts, lastErr := s.LastRuns()
		if lastErr != nil && !errors.As(lastErr, &partial) {
			return failErr(lastErr)
		}
		for _, n := range names {
			p, err := s.Profile(n)
			if err != nil {
				return failErr(err)
			}
			l := profileLine{Name: n, Account: p.Account.Name, Couplings: p.Enabled(), Draft: p.Draft}
			if l.Couplings == nil {
				l.Couplings = []string{}
			}
			if r := lasts[n]; r != nil {
				l.LastRun, l.Status, l.Preview, l.statusTxt = r.ID, r.Status, r.DryRun, a.statusText(r)
			} else if partial != nil && partial.Held[n] != nil {
				l.statusTxt = a.t("cli.status.in_use")
			}
			if p.Draft {
				l.statusTxt = strings.TrimSpace(a.t("cli.status.draft") + " " + l.statusTxt)
			}
			lines = append(lines, l)
		}
	}
	if jsonOut {
		for _, l := range lines {
			if err := writeJSON(a.stdout, l); err != nil {
				return err
			}
		}
	} else if len(lines) == 0 {
		fmt.Fprintln(a.stdout, a.t("cli.no_profiles"))
	} else {
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, a.t("cli.profile_header"))
		for _, l := range lines {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Name, l.Account, strings.Join(l.Couplings, ","), l.LastRun, l.statusTxt)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	// A profile a run holds just has no last run to show; a damaged one is an error.
	if partial != nil && len(partial.Failed) > 0 {
		return a.partialErr(&store.PartialError{Failed: partial.Failed})
	}
	return nil
}

func (a *app) profileShow(name string, jsonOut bool) error {
	s, p, err := a.openProfile(name)
	if err != nil {
		return err
	}
	defer s.Close()
	p.Account.Token = token.MaskToken(p.Account.Token)
	if jsonOut {
		return writeJSON(a.stdout, p)
	}
	out, err := p.MarshalCommented("", append([]profile.Comment{{Key: "account.token", Line: a.t("cli.show.masked", name)}}, a.showSFTP(p)...))
	if err != nil {
		return failErr(err)
	}
	_, err = a.stdout.Write(out)
	return err
}

// profileExport writes a profile as a file that profile import reads back into the same
// profile: the token as token_env unless withToken.
func (a *app) profileExport(name string, withToken bool, output string) error {
	s, p, err := a.openProfile(name)
	if err != nil {
		return err
	}
	s.Close()
	head := a.t("cli.export.head", name, time.Now().Format("2006-01-02"))
	comments := []profile.Comment{{Key: "delivery.outbox", Head: a.t("cli.export.outbox")}}
	if withToken {
		comments = append(comments, profile.Comment{Key: "account.token", Head: a.t("cli.export.token")})
		fmt.Fprintln(a.stderr, "koppel:", a.t("cli.export.token_warning"))
	} else {
		env := profile.TokenEnvName(name)
		p.Account.Token, p.Account.TokenEnv = "", env
		comments = append(comments, profile.Comment{Key: "account.token_env", Head: a.t("cli.export.token_env", env)})
	}
	comments = append(comments, a.exportSFTP(p)...)
	out, err := p.MarshalCommented(head, comments)
	if err != nil {
		return failErr(err)
	}
	if output == "" || output == "-" {
		_, err = a.stdout.Write(out)
		return err
	}
	if err := writePrivate(output, out); err != nil {
		return failMsg(a.t("cli.write_failed", output, a.fsReason(err)))
	}
	fmt.Fprintln(a.stderr, a.t("cli.export.written", output))
	return nil
}

// writePrivate writes a file only its owner can read: it may hold a token.
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// profileDelete erases a profile with its history and delivered state, after saying what goes
// (and asking, unless --yes). The outbox is left alone.
func (a *app) profileDelete(name string, yes, jsonOut bool) error {
	s, p, err := a.openProfile(name)
	if err != nil {
		return err
	}
	defer s.Close()
	runs, err := s.Runs(name)
	if err != nil {
		return failErr(err)
	}
	records := 0
	for _, ent := range entityOrder {
		err := s.EachState(name, ent, func(string, []string) error { records++; return nil })
		if err != nil {
			return failErr(err)
		}
	}
	outbox := delivery.Dir(p.Delivery.Outbox, name)
	q := a.t("cli.delete.confirm", name, p.Account.Name, a.plural(len(runs), "cli.n.run"), a.plural(records, "cli.n.record"), outbox)
	if err := a.confirm(q, yes); err != nil {
		return err
	}
	erased, err := s.DeleteProfileInfo(name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return usageErr(a.unknownProfile(name))
		}
		return failErr(err)
	}
	if jsonOut {
		return writeJSON(a.stdout, map[string]any{"profile": name, "runs": erased.Runs, "state_records": erased.StateRecords, "outbox_kept": outbox})
	}
	fmt.Fprintln(a.stdout, a.t("cli.delete.done", name, a.plural(erased.Runs, "cli.n.run"), a.plural(erased.StateRecords, "cli.n.record"), outbox))
	return nil
}

// plural renders a count with its noun: "cli.n.X.one" for 1, "cli.n.X" otherwise.
func (a *app) plural(n int, code string) string { return a.lang.N(n, code) }
