package main

func (a *app) cmdTUI() error { return usageErr("the terminal UI is not built yet; see koppel help") }

func (a *app) cmdDemo(args []string) error {
	return usageErr("the terminal UI is not built yet; see koppel help")
}
