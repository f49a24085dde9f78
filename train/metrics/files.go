package metrics

import (
	"os"
	"path/filepath"
)

// FileName is the name of the metrics file in a run's output directory.
const FileName = "metrics.jsonl"

// PlotName is the name of the curves image in a run's output directory.
const PlotName = "curves.png"

// Paths returns the metrics file and the curves image for arg, a run's output directory or a
// metrics file: the image lies beside the metrics file.
func Paths(arg string) (metricsFile, plot string) {
	metricsFile = arg
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		metricsFile = filepath.Join(arg, FileName)
	}
	return metricsFile, filepath.Join(filepath.Dir(metricsFile), PlotName)
}
