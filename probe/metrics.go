package probe

import (
	"fmt"
	"slices"
)

// Metrics summarises a classification of a labelled split.
type Metrics struct {
	// Top1 is the fraction of rows whose highest score is the true class;
	// Top5 and Top10 count the true class among the 5 or 10 best, reported
	// when there are more than 5 or 10 classes (otherwise 0 and omitted).
	Top1  float64 `json:"top1"`
	Top5  float64 `json:"top5,omitempty"`
	Top10 float64 `json:"top10,omitempty"`
	// PerClass is the top-1 accuracy (recall) of each class, in Classes order;
	// NaN-free: a class without test rows gets 0 and Support 0.
	PerClass []float64 `json:"per_class"`
	Support  []int     `json:"support"`
	// MeanPerClass averages PerClass over classes with test rows.
	MeanPerClass float64 `json:"mean_per_class"`
	// Confusion[t][p] counts rows of true class t predicted as p.
	Confusion [][]int `json:"confusion"`
	Classes   []int64 `json:"classes"`
	// Names are the class names by label value (Names[label]) when the data set has them
	// (set by Report.SetClassNames); plots and tables show them beside the labels.
	Names []string `json:"class_names,omitempty"`
	Rows  int      `json:"rows"`
}

// ClassName is the name of the class with label value label, or "" when the data set does
// not name it.
func (m *Metrics) ClassName(label int64) string {
	if label >= 0 && label < int64(len(m.Names)) {
		return m.Names[label]
	}
	return ""
}

// Evaluate computes metrics from an N×K score matrix (columns in the order
// of classes, higher is better) and the true labels. Ties in scores go to
// the lower class index. Every label must be one of classes.
func Evaluate(scores []float64, classes []int64, labels []int64) (*Metrics, error) {
	k := len(classes)
	if k == 0 {
		return nil, fmt.Errorf("probe: evaluate: no classes")
	}
	if len(scores) != len(labels)*k {
		return nil, fmt.Errorf("probe: evaluate: %d scores for %d rows × %d classes", len(scores), len(labels), k)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("probe: evaluate: no rows")
	}
	truth, err := classIndex("test", labels, classes)
	if err != nil {
		return nil, err
	}
	m := &Metrics{
		Classes:   slices.Clone(classes),
		Rows:      len(labels),
		PerClass:  make([]float64, k),
		Support:   make([]int, k),
		Confusion: make([][]int, k),
	}
	for i := range m.Confusion {
		m.Confusion[i] = make([]int, k)
	}
	var top1, top5, top10 int
	for i, t := range truth {
		row := scores[i*k : (i+1)*k]
		// Rank of the true class: classes strictly better, or equal with a
		// lower index.
		rank := 0
		pred := 0
		for c, v := range row {
			if v > row[t] || (v == row[t] && c < t) {
				rank++
			}
			if v > row[pred] {
				pred = c
			}
		}
		m.Confusion[t][pred]++
		m.Support[t]++
		if rank < 1 {
			top1++
		}
		if rank < 5 {
			top5++
		}
		if rank < 10 {
			top10++
		}
	}
	n := float64(len(labels))
	m.Top1 = float64(top1) / n
	if k > 5 {
		m.Top5 = float64(top5) / n
	}
	if k > 10 {
		m.Top10 = float64(top10) / n
	}
	var sum float64
	var present int
	for c := 0; c < k; c++ {
		if m.Support[c] > 0 {
			m.PerClass[c] = float64(m.Confusion[c][c]) / float64(m.Support[c])
			sum += m.PerClass[c]
			present++
		}
	}
	m.MeanPerClass = sum / float64(present)
	return m, nil
}
