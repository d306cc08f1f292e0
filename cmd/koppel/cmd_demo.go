package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/profile"
)

// demo starts the simulator on loopback and creates or refreshes the demo profile pointing at it.
// It returns the profile and a stop function.
func (a *app) startDemo(s *store.Store, employees int) (*profile.Profile, func(), error) {
	sim := afassim.New(afassim.Options{Seed: 1, Employees: employees})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("start the AFAS simulator: %w", err)
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
	if old, err := s.Profile("demo"); err == nil {
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

func (a *app) cmdDemo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	employees := fs.Int("employees", 400, "employees in the simulated AFAS environment")
	headless := fs.Bool("headless", false, "run the demo profile once without the terminal UI")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	s, err := a.openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	p, stop, err := a.startDemo(s, *employees)
	if err != nil {
		return failErr(err)
	}
	defer stop()
	if *headless || !isTerminal(os.Stdout) {
		fmt.Fprintf(a.stdout, "demo profile %q → %s\n", p.Name, p.Account.URL)
		return a.runProfile(s, p.Name, false)
	}
	return a.openTUI(s, "demo")
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
