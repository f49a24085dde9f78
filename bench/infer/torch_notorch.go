//go:build notorch

package main

import (
	"errors"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/export"
)

func libtorchReference(*checkpoint.Checkpoint, int) (export.Reference, error) {
	return nil, errors.New("built with -tags notorch: no libtorch comparison")
}
