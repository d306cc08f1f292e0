package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
)

// demo starts the simulator on loopback and creates or refreshes the demo profile pointing at it.
// It returns the profile and a stop function.
func (a *app) startDemo(s *store.Store, employees int, flex bool) (*profile.Profile, func(), error) {
	sim := afassim.New(afassim.Options{Seed: 1, Employees: employees, Flex: flex})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, errors.New(a.t("cli.demo.listen", err.Error()))
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	outbox := filepath.Join(filepath.Dir(s.Path()), "outbox")
	p := &profile.Profile{
		Name: "demo",
		Account: profile.Account{
			Name: "Zorggroep Voorbeeld (demo)", Participant: "12345", Environment: "test",
			URL: "http://" + ln.Addr().String() + afassim.Path, Token: sim.Token(),
		},
		Employer: sim.Employers()[0],
		Couplings: profile.Couplings{
			Werknemer: profile.Werknemer{Enabled: true, Managers: true, Salary: &profile.Salary{Column: afassim.SalaryColumn, Kind: "maandloon"}},
			Verzuim:   profile.Verzuim{Enabled: true},
		},
		DateFrom: "2024-01-01",
		Delivery: profile.Delivery{Outbox: outbox, Mode: profile.ModeCompleet},
	}
	if flex {
		flexDemo(p)
	}
	if old, err := s.Profile(p.Name); err == nil {
		// Keep what the user changed in the demo profile; only the simulator's address is new.
		old.Account.URL, old.Account.Token = p.Account.URL, p.Account.Token
		p = old
	}
	p.Defaults()
	if err := s.PutProfile(p); err != nil {
		_ = srv.Close()
		return nil, nil, err
	}
	return p, func() { _ = srv.Close() }, nil
}

func (a *app) demoCommand() *cobra.Command {
	var employees int
	var headless, flex bool
	c := a.command("demo", "demo")
	c.Args = a.nArgs(0, 0, "cli.args.none")
	f := a.flags(c.Flags())
	f.intVar(&employees, "employees", 400, "cli.flag.demo.employees")
	f.boolVar(&headless, "headless", "", "cli.flag.demo.headless")
	f.boolVar(&flex, "flex", "", "cli.flag.demo.flex")
	c.RunE = func(c *cobra.Command, _ []string) error {
		if employees < 1 || employees > 200_000 {
			return usageFor(c, a.t("cli.employees", fmt.Sprint(employees)))
		}
		return a.demo(employees, headless, flex)
	}
	return c
}

func (a *app) demo(employees int, headless, flex bool) error {
	s, err := a.openStore(true)
	if err != nil {
		return err
	}
	defer s.Close()
	p, stop, err := a.startDemo(s, employees, flex)
	if err != nil {
		return failErr(err)
	}
	defer stop()
	if headless || !isTerminal(os.Stdout) {
		fmt.Fprintln(a.stdout, a.t("cli.demo.headless", p.Name, p.Account.URL))
		return a.runWith(s, p.Name, engine.Options{}, false)
	}
	return a.openTUI(s, p.Name)
}
