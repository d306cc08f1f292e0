package main

import (
	"errors"

	"github.com/koppel-nl/koppel/store"
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
	return usageErr("%v", errors.New("the terminal UI is not built yet; try: koppel demo --headless"))
}
