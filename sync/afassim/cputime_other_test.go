//go:build !unix

package afassim

import "time"

func processCPU() time.Duration { return 0 }
