package main

import (
	"os"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/tui"
)

func (a *app) cmdTUI() error {
	s, err := a.openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	return a.openTUI(s, "")
}

func (a *app) openTUI(s *store.Store, selected string) error {
	if !isTerminal(os.Stdout) {
		return usageErr("the terminal UI needs a terminal; for scripts use koppel run NAME (see koppel help)")
	}
	wd, _ := os.Getwd()
	err := tui.Run(a.ctx, tui.Deps{Store: s, Lang: a.lang, NoColor: a.getenv("NO_COLOR") != "", WorkDir: wd}, selected)
	if err != nil {
		return failErr(err)
	}
	return nil
}
