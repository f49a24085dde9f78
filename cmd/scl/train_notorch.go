//go:build notorch

package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// trainCommand is the stand-in for `scl train` in builds without libtorch.
func trainCommand() *cli.Command {
	return &cli.Command{
		Name:            "train",
		Usage:           "pretrain an encoder (unavailable: this scl was built with -tags notorch)",
		SkipFlagParsing: true,
		Action: func(*cli.Context) error {
			return errors.New("train: this scl was built without libtorch (-tags notorch); training needs it: install libtorch-dev (scripts/setup.sh) and build without the notorch tag")
		},
	}
}
