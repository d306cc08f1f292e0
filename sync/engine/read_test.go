package engine

import "testing"

func TestPlanRangesSplitsOnlyWhenTheRoundsGoDown(t *testing.T) {
	for _, c := range []struct {
		pages []int
		slots int
		want  []int
	}{
		{[]int{1, 1, 1, 1}, 4, []int{1, 1, 1, 1}},
		{[]int{1, 20, 1, 1}, 4, []int{1, 4, 1, 1}}, // one long chain: split until the slots are full
		{[]int{1, 12, 10, 12}, 4, []int{1, 1, 1, 1}},
		{[]int{30}, 1, []int{1}},
	} {
		got := planRanges(c.pages, c.slots)
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("planRanges(%v, %d) = %v, want %v", c.pages, c.slots, got, c.want)
				break
			}
		}
	}
}

func TestGatingConnectorIsReadInAllCallsButOne(t *testing.T) {
	for _, c := range []struct{ planned, pages, slots, want int }{
		{1, 12, 4, 3},
		{1, 2, 4, 2}, // no more ranges than pages
		{1, 1, 4, 1},
		{5, 20, 4, 5}, // the plan's own split stays when larger
		{1, 12, 1, 1}, // one call in flight: one range
	} {
		if got := gateRanges(c.planned, c.pages, c.slots); got != c.want {
			t.Errorf("gateRanges(%d, %d, %d) = %d, want %d", c.planned, c.pages, c.slots, got, c.want)
		}
	}
}
