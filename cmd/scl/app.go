package main

import (
	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/internal/buildinfo"
)

// newApp assembles the scl command line. Each subcommand lives in its own file and turns
// its flags into a library configuration.
func newApp() *cli.App {
	return &cli.App{
		Name:                 "scl",
		Usage:                "self-supervised image representations: train, export, embed, probe, serve",
		Version:              buildinfo.Get().Version,
		EnableBashCompletion: true,
		Commands: []*cli.Command{
			trainCommand(),
			importCommand(),
			exportCommand(),
			embedCommand(),
			indexCommand(),
			neighborsCommand(),
			probeCommand(),
			serveCommand(),
			dataCommand(),
			reportCommand(),
			plotCommand(),
			versionCommand(),
			healthCommand(),
		},
	}
}
