package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"
)

// healthCommand probes a running `scl serve` (the serving image's HEALTHCHECK runs it): the
// image holds no curl, and the probe should not depend on one.
func healthCommand() *cli.Command {
	return &cli.Command{
		Name:      "health",
		Usage:     "exit 0 when a running scl serve answers its health endpoint with 200 (for container health checks)",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "url", Value: "http://127.0.0.1:8080/healthz", EnvVars: []string{"SCL_HEALTH_URL"}, Usage: "endpoint to probe (/healthz: the process is alive; /readyz: the model runs)"},
			&cli.DurationFlag{Name: "timeout", Value: 3 * time.Second, Usage: "give up after this long"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("health: unexpected arguments %v", c.Args().Slice())
			}
			ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
			defer cancel()
			url := c.String("url")
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return fmt.Errorf("health: --url %q: %w", url, err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("health: %w", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("health: %s answered %s: %s", url, resp.Status, body)
			}
			_, err = fmt.Fprintf(c.App.Writer, "%s: %s", url, body)
			return err
		},
	}
}
