package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// dataCommand is a placeholder until the data subcommand lands.
func dataCommand() *cli.Command {
	return &cli.Command{
		Name:  "data",
		Usage: "(not implemented yet)",
		Action: func(*cli.Context) error {
			return errors.New("data: not implemented yet")
		},
	}
}
