//go:build !notorch

package main

import (
	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/export"
	"github.com/scl-dev/scl/torch"
)

// libtorchReference runs the checkpoint's target encoder in libtorch (CPU, eval mode, no grad)
// with threads intra-op threads (0 keeps libtorch's default).
func libtorchReference(ck *checkpoint.Checkpoint, threads int) (export.Reference, error) {
	if threads > 0 {
		torch.SetNumThreads(threads)
	}
	return export.LibtorchReference(&ck.Config, ck.Target, false)
}
