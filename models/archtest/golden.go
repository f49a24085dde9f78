package archtest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"

	"github.com/scl-dev/scl/models"
)

// Net is one network of the golden file.
type Net struct {
	// Arch is a models.Arch or "projector"; Stem is "imagenet", "cifar", "cifar-s2" or "" (EfficientNet).
	Arch string `json:"arch"`
	Stem string `json:"stem"`
	// Dims are the projector's input, hidden and output sizes.
	Dims []int `json:"dims"`
	// State lists torchvision's state-dict entries in order: [name, shape].
	State [][2]json.RawMessage `json:"state"`
	// Input names the Uniform stream of the input; InputShape is [B, C, H, W] (or [B, D]).
	Input      string `json:"input"`
	InputShape []int  `json:"input_shape"`
	// Output is the eval-mode output (flattened) with Weights loaded, of shape OutputShape.
	OutputShape []int     `json:"output_shape"`
	Output      []float64 `json:"output"`
}

// Golden is the golden file.
type Golden struct {
	Torch       string `json:"torch"`
	Torchvision string `json:"torchvision"`
	Nets        []Net  `json:"nets"`
	Projector   Net    `json:"projector"`
}

// Path is the golden file's location in the source tree.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "torchvision_golden.json")
}

// Load reads the golden file.
func Load() (*Golden, error) {
	b, err := os.ReadFile(Path())
	if err != nil {
		return nil, fmt.Errorf("archtest: %w (regenerate with /usr/bin/python3 scripts/torchvision_golden.py)", err)
	}
	var g Golden
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("archtest: %s: %w", Path(), err)
	}
	if len(g.Nets) == 0 || len(g.Projector.State) == 0 {
		return nil, fmt.Errorf("archtest: %s: no networks", Path())
	}
	return &g, nil
}

// Config is the models configuration of a golden encoder.
func (n Net) Config() models.Config {
	c := models.Config{Arch: models.Arch(n.Arch)}
	if n.Stem != "" {
		c.Stem = models.Stem(n.Stem)
	}
	return c.WithDefaults()
}

// Name is "arch/stem" (or "arch").
func (n Net) Name() string {
	if n.Stem == "" {
		return n.Arch
	}
	return n.Arch + "/" + n.Stem
}

// Entries decodes State.
func (n Net) Entries() ([]string, [][]int64, error) {
	names := make([]string, len(n.State))
	shapes := make([][]int64, len(n.State))
	for i, e := range n.State {
		if err := json.Unmarshal(e[0], &names[i]); err != nil {
			return nil, nil, fmt.Errorf("archtest: %s state entry %d: %w", n.Name(), i, err)
		}
		if err := json.Unmarshal(e[1], &shapes[i]); err != nil {
			return nil, nil, fmt.Errorf("archtest: %s state entry %q: %w", n.Name(), names[i], err)
		}
	}
	return names, shapes, nil
}

// InputValues returns the input as float32 values.
func (n Net) InputValues() []float32 {
	size := 1
	for _, d := range n.InputShape {
		size *= d
	}
	u := Uniform(n.Input, size)
	x := make([]float32, size)
	for i, v := range u {
		x[i] = float32(v)
	}
	return x
}

// Compare returns the largest absolute difference between got and the golden output, relative
// to max(1, the largest golden magnitude), or an error when the sizes differ.
func (n Net) Compare(got []float32) (float64, error) {
	if len(got) != len(n.Output) {
		return 0, fmt.Errorf("archtest: %s: %d output values, torchvision %d (shape %v)", n.Name(), len(got), len(n.Output), n.OutputShape)
	}
	var diff, scale float64
	for i, w := range n.Output {
		diff = math.Max(diff, math.Abs(float64(got[i])-w))
		scale = math.Max(scale, math.Abs(w))
	}
	return diff / math.Max(scale, 1), nil
}
