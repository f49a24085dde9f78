package probe

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Dataset is a labelled feature matrix.
type Dataset struct {
	// X holds Rows×Dim features, row-major.
	X         []float64
	Rows, Dim int
	// Labels holds one class label per row.
	Labels []int64
}

// NewDataset validates features and labels and copies them into a Dataset.
// name is used in error messages (for example the file the data came from).
// It rejects an empty matrix, a length mismatch and non-finite values.
func NewDataset(name string, x []float32, rows, dim int, labels []int64) (*Dataset, error) {
	if rows <= 0 || dim <= 0 {
		return nil, fmt.Errorf("probe: %s: empty feature matrix (%d×%d), want at least one row and column", name, rows, dim)
	}
	if len(x) != rows*dim {
		return nil, fmt.Errorf("probe: %s: %d feature values, want %d×%d = %d", name, len(x), rows, dim, rows*dim)
	}
	if len(labels) != rows {
		return nil, fmt.Errorf("probe: %s: %d labels for %d feature rows, want equal counts", name, len(labels), rows)
	}
	d := &Dataset{X: make([]float64, len(x)), Rows: rows, Dim: dim, Labels: slices.Clone(labels)}
	for i, v := range x {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("probe: %s: non-finite feature %v at row %d, column %d", name, v, i/dim, i%dim)
		}
		d.X[i] = f
	}
	return d, nil
}

// Row returns row i of the feature matrix (a view, not a copy).
func (d *Dataset) Row(i int) []float64 { return d.X[i*d.Dim : (i+1)*d.Dim] }

// Classes returns the sorted distinct labels.
func (d *Dataset) Classes() []int64 {
	c := slices.Clone(d.Labels)
	slices.Sort(c)
	return slices.Compact(c)
}

// validate checks the invariants of a Dataset built by hand.
func (d *Dataset) validate(name string) error {
	if d == nil {
		return fmt.Errorf("probe: %s: nil dataset", name)
	}
	if d.Rows <= 0 || d.Dim <= 0 {
		return fmt.Errorf("probe: %s: empty feature matrix (%d×%d)", name, d.Rows, d.Dim)
	}
	if len(d.X) != d.Rows*d.Dim {
		return fmt.Errorf("probe: %s: %d feature values, want %d×%d", name, len(d.X), d.Rows, d.Dim)
	}
	if len(d.Labels) != d.Rows {
		return fmt.Errorf("probe: %s: %d labels for %d rows", name, len(d.Labels), d.Rows)
	}
	for i, v := range d.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("probe: %s: non-finite feature %v at row %d, column %d", name, v, i/d.Dim, i%d.Dim)
		}
	}
	return nil
}

// Normalization selects the preprocessing applied to features before fitting.
type Normalization int

const (
	// L2Rows scales every row to unit Euclidean norm (rows of zeros stay zero).
	// It is the zero value and the reference's choice.
	L2Rows Normalization = iota
	// NoNormalization leaves features as they are.
	NoNormalization
	// Standardize scales every column to zero mean and unit variance, with the
	// training split's mean and standard deviation (constant columns are only
	// centred).
	Standardize
	// L2RowsThenStandardize applies L2Rows then Standardize.
	L2RowsThenStandardize
)

// String returns the name used in reports and flags.
func (n Normalization) String() string {
	switch n {
	case L2Rows:
		return "l2"
	case NoNormalization:
		return "none"
	case Standardize:
		return "standardize"
	case L2RowsThenStandardize:
		return "l2+standardize"
	}
	return fmt.Sprintf("Normalization(%d)", int(n))
}

// ParseNormalization is the inverse of Normalization.String.
func ParseNormalization(s string) (Normalization, error) {
	for _, n := range []Normalization{L2Rows, NoNormalization, Standardize, L2RowsThenStandardize} {
		if n.String() == s {
			return n, nil
		}
	}
	return 0, fmt.Errorf("probe: unknown normalisation %q, want l2, none, standardize or l2+standardize", s)
}

// Preprocess applies n to train and test in place; column statistics come
// from train only.
func Preprocess(n Normalization, train, test *Dataset) error {
	if train == nil || test == nil {
		return errors.New("probe: preprocess: nil dataset")
	}
	if train.Dim != test.Dim {
		return fmt.Errorf("probe: train features have %d columns, test features %d, want equal", train.Dim, test.Dim)
	}
	switch n {
	case NoNormalization:
	case L2Rows:
		train.NormalizeRows()
		test.NormalizeRows()
	case Standardize, L2RowsThenStandardize:
		if n == L2RowsThenStandardize {
			train.NormalizeRows()
			test.NormalizeRows()
		}
		mean, scale := train.columnStats()
		train.standardize(mean, scale)
		test.standardize(mean, scale)
	default:
		return fmt.Errorf("probe: unknown normalisation %d", int(n))
	}
	return nil
}

// NormalizeRows scales every row of d to unit L2 norm in place; zero rows
// are left as they are.
func (d *Dataset) NormalizeRows() {
	for i := 0; i < d.Rows; i++ {
		normalizeRow(d.Row(i))
	}
}

func normalizeRow(r []float64) {
	var s float64
	for _, v := range r {
		s += v * v
	}
	if s == 0 {
		return
	}
	inv := 1 / math.Sqrt(s)
	for j := range r {
		r[j] *= inv
	}
}

// columnStats returns per-column means and 1/std (1 for constant columns).
func (d *Dataset) columnStats() (mean, invStd []float64) {
	mean = make([]float64, d.Dim)
	invStd = make([]float64, d.Dim)
	for i := 0; i < d.Rows; i++ {
		for j, v := range d.Row(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(d.Rows)
	}
	for i := 0; i < d.Rows; i++ {
		for j, v := range d.Row(i) {
			dv := v - mean[j]
			invStd[j] += dv * dv
		}
	}
	for j, ss := range invStd {
		sd := math.Sqrt(ss / float64(d.Rows))
		if sd > 0 {
			invStd[j] = 1 / sd
		} else {
			invStd[j] = 1
		}
	}
	return mean, invStd
}

func (d *Dataset) standardize(mean, invStd []float64) {
	for i := 0; i < d.Rows; i++ {
		r := d.Row(i)
		for j := range r {
			r[j] = (r[j] - mean[j]) * invStd[j]
		}
	}
}

// classIndex maps labels to indices 0..K-1 of classes (sorted). It fails on a
// label absent from classes, naming the split.
func classIndex(name string, labels, classes []int64) ([]int, error) {
	idx := make([]int, len(labels))
	for i, l := range labels {
		k, ok := slices.BinarySearch(classes, l)
		if !ok {
			return nil, fmt.Errorf("probe: %s: label %d at row %d does not occur in the training split (%d classes)", name, l, i, len(classes))
		}
		idx[i] = k
	}
	return idx, nil
}
