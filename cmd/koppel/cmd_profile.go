package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/token"
)

func (a *app) cmdProfile(args []string) error {
	if len(args) == 0 {
		return usageErr("profile: expected import FILE, list, show NAME or delete NAME")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("profile "+sub, flag.ContinueOnError)
	jsonOut := fs.Bool("json", false, "JSON output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	want := map[string]int{"import": 1, "list": 0, "show": 1, "delete": 1}
	n, ok := want[sub]
	if !ok {
		return usageErr("profile %s: unknown; expected import, list, show or delete", sub)
	}
	if len(pos) != n {
		return usageErr("profile %s: expected %d argument(s), got %d", sub, n, len(pos))
	}
	if sub == "import" {
		// Validate before opening the store: a rejected profile must leave nothing behind.
		p, err := a.readProfile(pos[0])
		if err != nil {
			return err
		}
		s, err := a.openStore()
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.PutProfile(p); err != nil {
			return failErr(err)
		}
		fmt.Fprintf(a.stdout, "%s %s (%s, token %s)\n", a.lang.T("cli.imported"), p.Name, p.Account.Name, token.MaskToken(p.Account.Token))
		return nil
	}
	s, err := a.openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	switch sub {
	case "list":
		return a.profileList(s, *jsonOut)
	case "show":
		p, err := a.loadProfile(s, pos[0])
		if err != nil {
			return err
		}
		p.Account.Token = token.MaskToken(p.Account.Token)
		if *jsonOut {
			return writeJSON(a.stdout, p)
		}
		out, err := p.Marshal()
		if err != nil {
			return failErr(err)
		}
		_, err = a.stdout.Write(out)
		return err
	default: // delete
		if err := s.DeleteProfile(pos[0]); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return usageErr("%s", a.lang.T("run.unknown_profile", pos[0]))
			}
			return failErr(err)
		}
		fmt.Fprintf(a.stdout, "%s %s\n", a.lang.T("cli.deleted"), pos[0])
		return nil
	}
}

func (a *app) readProfile(path string) (*profile.Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErr("profile file: %v", err)
	}
	wd, _ := os.Getwd()
	p, err := profile.Parse(data, wd, a.getenv)
	var perrs profile.Errors
	switch {
	case errors.As(err, &perrs):
		return nil, usageErr("%s:\n%v", filepath.Base(path), indent(perrs.Text(a.lang)))
	case err != nil:
		return nil, usageErr("%s:\n%v", filepath.Base(path), indent(err.Error()))
	}
	return p, nil
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

func (a *app) loadProfile(s *store.Store, name string) (*profile.Profile, error) {
	p, err := s.Profile(name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, usageErr("%s", a.lang.T("run.unknown_profile", name))
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
}

func (a *app) profileList(s *store.Store, jsonOut bool) error {
	names, err := s.ProfileNames()
	if err != nil {
		return failErr(err)
	}
	var lines []profileLine
	for _, n := range names {
		p, err := s.Profile(n)
		if err != nil {
			return failErr(err)
		}
		l := profileLine{Name: n, Account: p.Account.Name, Couplings: p.Enabled()}
		if r, _ := s.LastRun(n); r != nil {
			l.LastRun, l.Status = r.ID, r.Status
		}
		lines = append(lines, l)
	}
	if jsonOut {
		for _, l := range lines {
			if err := writeJSON(a.stdout, l); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, a.lang.T("cli.profile_header"))
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Name, l.Account, strings.Join(l.Couplings, ","), l.LastRun, l.Status)
	}
	return tw.Flush()
}
