package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// serveCommand is a placeholder until the serve subcommand lands.
func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "(not implemented yet)",
		Action: func(*cli.Context) error {
			return errors.New("serve: not implemented yet")
		},
	}
}
