package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/i18n"
)

// A step with more fields than the window holds shows the fields around the focused one and
// says how many more lie above and below; one that fits is shown whole.
func TestFormWindowFollowsTheFocus(t *testing.T) {
	e := &env{Deps: Deps{Lang: i18n.NL, NoColor: true}, st: newStyles(true), width: 80, height: 24}
	fm := &form{}
	for i := range 30 {
		fm.fields = append(fm.fields, &field{label: fmt.Sprintf("Type %02d", i), kind: checkField})
	}
	count := func(s string) int { return strings.Count(s, "\n") }
	if whole := fm.viewIn(e, 0); count(whole) != 30 {
		t.Fatalf("without a limit: %d lines", count(whole))
	}
	if whole := fm.viewIn(e, 30); strings.Contains(whole, "nog") {
		t.Errorf("a form that fits is windowed:\n%s", whole)
	}
	for _, focus := range []int{0, 1, 14, 28, 29} {
		fm.focus = focus
		view := fm.viewIn(e, 10)
		if count(view) != 10 {
			t.Errorf("focus %d: %d lines in a room of 10 (it should fill it)", focus, count(view))
		}
		if !strings.Contains(view, fmt.Sprintf("> Type %02d", focus)) {
			t.Errorf("focus %d not shown:\n%s", focus, view)
		}
		above, below := strings.Contains(view, "↑ nog"), strings.Contains(view, "↓ nog")
		if focus == 0 && above || focus == 29 && below || focus == 14 && !(above && below) {
			t.Errorf("focus %d: more above %v, below %v:\n%s", focus, above, below, view)
		}
		// The fields shown and the ones said to lie beyond add up to all of them.
		shown := strings.Count(view, "Type ")
		var up, down int
		fmt.Sscanf(after(view, "↑ nog "), "%d", &up)
		fmt.Sscanf(after(view, "↓ nog "), "%d", &down)
		if shown+up+down != 30 {
			t.Errorf("focus %d: %d shown, %d above, %d below", focus, shown, up, down)
		}
	}
}

func after(s, sep string) string {
	_, rest, _ := strings.Cut(s, sep)
	return rest
}
