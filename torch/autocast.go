//go:build !notorch

package torch

// #include "shim.h"
import "C"

import "runtime"

// HoldAutocastCache keeps autocast's cache of low-precision casts of weights (leaf tensors that
// require gradients) alive across ops until release is called, as one torch.autocast block does
// in PyTorch: a forward pass over several views casts each weight once instead of once per op
// and view. The cache is per OS thread, so the calling goroutine stays locked to its thread
// until release. Holds nest. While a hold lasts the held weights must not change in place (an
// optimizer step, an EMA update, a checkpoint load): ops would still see their old casts, so
// release before those. release is idempotent.
func HoldAutocastCache() (release func()) {
	runtime.LockOSThread()
	C.scl_autocast_cache_hold()
	done := false
	return func() {
		if done {
			return
		}
		done = true
		C.scl_autocast_cache_release()
		runtime.UnlockOSThread()
	}
}
