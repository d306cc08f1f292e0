package engine

import (
	"slices"
	"testing"
)

func TestPlanRangesSplitsOnlyWhileTheRoundsGoDown(t *testing.T) {
	for _, c := range []struct {
		pages []int
		slots int
		want  []int
	}{
		{[]int{1, 1, 1, 1}, 4, []int{1, 1, 1, 1}},
		{[]int{1, 20, 1, 1}, 4, []int{1, 4, 1, 1}}, // one long chain: split while calls are free
		{[]int{1, 12, 10, 12}, 4, []int{1, 1, 1, 1}},
		{[]int{30}, 1, []int{1}},
	} {
		if got := planRanges(c.pages, c.slots); !slices.Equal(got, c.want) {
			t.Errorf("planRanges(%v, %d) = %v, want %v", c.pages, c.slots, got, c.want)
		}
	}
}
