package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/probe"
	"github.com/scl-dev/scl/viz/quality"
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
			&cli.BoolFlag{Name: "tsv", Usage: "print scl plot quality's table instead: a LABEL of SERIES@MINUTES is a run of that budget, any other a baseline (minutes 0)"},
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
			if c.Bool("tsv") {
				return writeQualityTable(c.App.Writer, rows)
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

// writeQualityTable writes rows as a quality table (viz/quality): label SERIES@MINUTES is the
// series' run of that budget, any other label a baseline at minutes 0; accuracies as fractions.
func writeQualityTable(w io.Writer, rows []reportRow) error {
	var b strings.Builder
	b.WriteString(quality.Header + "\n")
	for _, r := range rows {
		series, minutes := r.label, "0"
		if s, m, ok := strings.Cut(r.label, "@"); ok {
			v, err := strconv.ParseFloat(m, 64)
			if err != nil || !(v > 0) {
				return fmt.Errorf("report: label %q: minutes %q after @, want a positive number", r.label, m)
			}
			series, minutes = s, m
		}
		if strings.ContainsAny(series, "\t\n") {
			return fmt.Errorf("report: label %q: tabs and newlines cannot go in a table", r.label)
		}
		linear, knn := "-", "-"
		if l := r.report.Linear; l != nil && l.Metrics != nil {
			linear = strconv.FormatFloat(l.Metrics.Top1, 'f', 4, 64)
		}
		if k := r.report.KNN; k != nil && k.Metrics != nil {
			knn = strconv.FormatFloat(k.Metrics.Top1, 'f', 4, 64)
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", series, minutes, linear, knn)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func percent(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }
