package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// trainCommand is a placeholder until the train subcommand lands.
func trainCommand() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Usage: "(not implemented yet)",
		Action: func(*cli.Context) error {
			return errors.New("train: not implemented yet")
		},
	}
}
