package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/internal/buildinfo"
)

// versionCommand prints the version and commit stamped in at build time (internal/buildinfo).
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:      "version",
		Usage:     "print the version and commit this binary was built from",
		ArgsUsage: " ",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON: version, commit, modified, go_version, platform"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("version: unexpected arguments %v", c.Args().Slice())
			}
			info := buildinfo.Get()
			if c.Bool("json") {
				return json.NewEncoder(c.App.Writer).Encode(info)
			}
			_, err := fmt.Fprintln(c.App.Writer, info)
			return err
		},
	}
}
