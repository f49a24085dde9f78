package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// embedCommand is a placeholder until the embed subcommand lands.
func embedCommand() *cli.Command {
	return &cli.Command{
		Name:  "embed",
		Usage: "(not implemented yet)",
		Action: func(*cli.Context) error {
			return errors.New("embed: not implemented yet")
		},
	}
}
