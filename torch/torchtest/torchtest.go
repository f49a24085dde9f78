//go:build !notorch

package torchtest

import (
	"testing"

	"github.com/scl-dev/scl/torch"
)

// CheckLive records the number of open tensor handles now and, when the test ends, fails it if
// the count differs: every tensor the test created must have been closed by then.
func CheckLive(t testing.TB) {
	t.Helper()
	start := torch.LiveTensors()
	t.Cleanup(func() {
		if got := torch.LiveTensors(); got != start {
			t.Errorf("LiveTensors after test: got %d, want %d", got, start)
		}
	})
}
