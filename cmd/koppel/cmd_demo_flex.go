package main

import "github.com/koppel-nl/koppel/sync/profile"

// flexDemo makes the demo profile an AFAS Flex customer: its own name, so the standard demo's
// state stays as it is, and every person once under the flex employer code.
func flexDemo(p *profile.Profile) {
	p.Name = "demo-flex"
	p.Account.Name = "Uitzendbureau Voorbeeld (demo, AFAS Flex)"
	p.Flex = profile.Flex{Enabled: true, Employer: "UZB"}
}
