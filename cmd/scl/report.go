package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/probe"
)

// reportCommand prints probe reports side by side, e.g. a pretrained encoder next to its
// random initialisation and raw pixels.
func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "compare probe reports (report.json from scl probe) in one table",
		ArgsUsage: "LABEL=report.json [LABEL=report.json ...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "markdown", Usage: "print a Markdown table"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return fmt.Errorf("report: no reports given; expected LABEL=path/report.json arguments")
			}
			var rows []reportRow
			for _, arg := range c.Args().Slice() {
				label, path, ok := strings.Cut(arg, "=")
				if !ok || label == "" || path == "" {
					return fmt.Errorf("report: argument %q: expected LABEL=path/report.json", arg)
				}
				r, err := probe.ReadReport(path)
				if err != nil {
					return fmt.Errorf("report: %w", err)
				}
				rows = append(rows, reportRow{label, r})
			}
			return writeReportTable(c.App.Writer, rows, c.Bool("markdown"))
		},
	}
}

type reportRow struct {
	label  string
	report *probe.Report
}

// writeReportTable writes one line per report: feature size, linear-probe top-1/top-5 and kNN
// top-1 in percent ("–" where the report has no such figure).
func writeReportTable(w io.Writer, rows []reportRow, markdown bool) error {
	header := []string{"features", "dim", "linear top-1", "linear top-5", "kNN top-1"}
	cells := [][]string{header}
	for _, r := range rows {
		linear1, linear5, knn1 := "–", "–", "–"
		if l := r.report.Linear; l != nil && l.Metrics != nil {
			linear1 = percent(l.Metrics.Top1)
			if l.Metrics.Top5 > 0 {
				linear5 = percent(l.Metrics.Top5)
			}
		}
		if k := r.report.KNN; k != nil && k.Metrics != nil {
			knn1 = percent(k.Metrics.Top1)
		}
		cells = append(cells, []string{r.label, fmt.Sprint(r.report.Train.Dim), linear1, linear5, knn1})
	}
	widths := make([]int, len(header))
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for n, row := range cells {
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			switch {
			case markdown:
				b.WriteString("| " + c + pad + " ")
			case i == 0:
				b.WriteString(c + pad)
			default:
				b.WriteString("  " + pad + c)
			}
		}
		if markdown {
			b.WriteString("|")
		}
		b.WriteString("\n")
		if markdown && n == 0 {
			for i := range row {
				b.WriteString("|" + strings.Repeat("-", widths[i]+2))
			}
			b.WriteString("|\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func percent(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }
