package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// probeCommand is a placeholder until the probe subcommand lands.
func probeCommand() *cli.Command {
	return &cli.Command{
		Name:  "probe",
		Usage: "(not implemented yet)",
		Action: func(*cli.Context) error {
			return errors.New("probe: not implemented yet")
		},
	}
}
