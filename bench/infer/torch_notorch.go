//go:build notorch

package main

import (
	"errors"

	"scl/checkpoint"
	"scl/export"
)

func libtorchReference(*checkpoint.Checkpoint, int) (export.Reference, error) {
	return nil, errors.New("built with -tags notorch: no libtorch comparison")
}
