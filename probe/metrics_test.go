package probe

import (
	"reflect"
	"testing"
)

func TestEvaluateKnownValues(t *testing.T) {
	// 12 classes so that top-5 and top-10 are reported. Scores rank class c
	// of row i as given; worked out by hand below.
	classes := []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	k := len(classes)
	row := func(order ...int) []float64 {
		// order lists classes best first; the rest score 0.
		s := make([]float64, k)
		for r, c := range order {
			s[c] = float64(100 - r)
		}
		return s
	}
	var scores []float64
	scores = append(scores, row(0)...)                              // true 0: rank 0
	scores = append(scores, row(2, 1)...)                           // true 1: rank 1, predicted 2
	scores = append(scores, row(3, 4, 5, 6, 7, 2)...)               // true 2: rank 5, predicted 3
	scores = append(scores, row(11, 10, 9, 8, 7, 6, 5, 4, 3, 2)...) // true 0: ten classes above → rank 10
	labels := []int64{0, 1, 2, 0}
	m, err := Evaluate(scores, classes, labels)
	if err != nil {
		t.Fatal(err)
	}
	if m.Top1 != 0.25 || m.Top5 != 0.5 || m.Top10 != 0.75 {
		t.Errorf("top-1/5/10: got %v %v %v, want 0.25 0.5 0.75", m.Top1, m.Top5, m.Top10)
	}
	// Row 4: class 0 ties with class 1 at score 0; ties go to the lower
	// index, so only the ten positive classes rank above it.
	wantPer := make([]float64, k)
	wantPer[0] = 0.5
	if !reflect.DeepEqual(m.PerClass, wantPer) {
		t.Errorf("per class: got %v, want %v", m.PerClass, wantPer)
	}
	if want := 0.5 / 3; m.MeanPerClass != want {
		t.Errorf("mean per class: got %v, want %v (classes 0, 1, 2 present)", m.MeanPerClass, want)
	}
	if m.Confusion[0][0] != 1 || m.Confusion[0][11] != 1 || m.Confusion[1][2] != 1 || m.Confusion[2][3] != 1 {
		t.Errorf("confusion: got %v", m.Confusion)
	}
	if m.Support[0] != 2 || m.Support[1] != 1 || m.Support[3] != 0 {
		t.Errorf("support: got %v, want [2 1 1 0 …]", m.Support)
	}
}

func TestEvaluateFewClasses(t *testing.T) {
	m, err := Evaluate([]float64{1, 2, 3, 2, 2, 0}, []int64{4, 9, 12}, []int64{12, 4})
	if err != nil {
		t.Fatal(err)
	}
	// Row 1 has a tie between classes 4 and 9: the lower index (4) wins.
	if m.Top1 != 1 || m.Top5 != 0 || m.Top10 != 0 {
		t.Errorf("got top-1 %v top-5 %v top-10 %v, want 1 0 0 (no top-5 with 3 classes)", m.Top1, m.Top5, m.Top10)
	}
	_, err = Evaluate([]float64{1, 2}, []int64{4, 9}, []int64{5})
	assertErrContains(t, err, "label 5")
	_, err = Evaluate([]float64{1, 2, 3}, []int64{4, 9}, []int64{4})
	assertErrContains(t, err, "3 scores")
}
