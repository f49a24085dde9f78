package probe

import (
	"encoding/json"
	"fmt"
	"os"
)

// ReadReport reads a report written by Report.WriteJSON. It fails with the file's name when
// the file is missing, is not JSON, or holds neither a linear-probe nor a kNN result.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("probe: reading report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("probe: %s: not a probe report: %w", path, err)
	}
	if (r.Linear == nil || r.Linear.Metrics == nil) && (r.KNN == nil || r.KNN.Metrics == nil) {
		return nil, fmt.Errorf("probe: %s: report holds neither a linear-probe nor a kNN result", path)
	}
	return &r, nil
}
