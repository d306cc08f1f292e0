package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/tui"
)

func (a *app) cmdTUI() error {
	if !isTerminal(os.Stdout) {
		return usageErr(a.t("cli.tui_needs_terminal"))
	}
	s, err := a.openStore(true) // the wizard creates profiles
	if err != nil {
		return err
	}
	defer s.Close()
	return a.openTUI(s, "")
}

func (a *app) openTUI(s *store.Store, selected string) error {
	if !isTerminal(os.Stdout) {
		return usageErr(a.t("cli.tui_needs_terminal"))
	}
	// The colours are decided once, here, without asking the terminal (see quietterm).
	lipgloss.SetHasDarkBackground(darkBackground(a.getenv("COLORFGBG")))
	wd, _ := os.Getwd()
	err := tui.Run(a.ctx, tui.Deps{Store: s, Lang: a.lang, NoColor: a.getenv("NO_COLOR") != "", WorkDir: wd}, selected)
	if err != nil {
		return failErr(err)
	}
	return nil
}

// darkBackground reads the terminal's background from COLORFGBG ("15;0": light text on colour
// 0), as terminals that set it mean it; without it, dark, as most terminals are.
func darkBackground(colorfgbg string) bool {
	parts := strings.Split(colorfgbg, ";")
	bg, err := strconv.Atoi(parts[len(parts)-1])
	if len(parts) < 2 || err != nil {
		return true
	}
	return bg < 7 || bg == 8
}
