//go:build !notorch

package optim

// SetFusedUpdates turns the single-pass CPU kernels on or off for a test and returns the
// function that restores the previous setting.
func SetFusedUpdates(on bool) (restore func()) {
	prev := fusedUpdates
	fusedUpdates = on
	return func() { fusedUpdates = prev }
}
