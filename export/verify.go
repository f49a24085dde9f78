package export

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/onnx"
	"github.com/scl-dev/scl/safetensors"
)

// Reference computes a checkpoint network's outputs in some engine, for Verify.
type Reference interface {
	// Name says which engine this is, e.g. "libtorch (cpu, eval)".
	Name() string
	// Forward returns the features [batch, D] and, when the reference was made with the
	// projector, the projections [batch, P] (nil otherwise), for x [batch, C, S, S].
	Forward(x []float32, batch int) (features, projection []float32, err error)
	// Close releases the engine's resources; it is idempotent.
	Close() error
}

// ReferenceFactory builds a Reference for the network in tensors described by cfg.
type ReferenceFactory func(cfg *checkpoint.Config, tensors map[string]*safetensors.Tensor, withProjector bool) (Reference, error)

// defaultReference is libtorch when the package is built with torch (verify_torch.go), the
// pure-Go evaluator otherwise.
var defaultReference ReferenceFactory = GoReference

// GoReference returns a Reference running models.Evaluate (pure Go, slow).
func GoReference(cfg *checkpoint.Config, tensors map[string]*safetensors.Tensor, withProjector bool) (Reference, error) {
	enc, proj, err := models.Networks(cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	r := &goReference{enc: enc, tensors: tensors, size: cfg.Data.Height}
	if withProjector {
		r.proj = proj
	}
	return r, nil
}

type goReference struct {
	enc, proj *models.Network
	tensors   map[string]*safetensors.Tensor
	size      int
}

func (r *goReference) Name() string { return "pure-Go reference (models.Evaluate, eval mode)" }
func (r *goReference) Close() error { return nil }

func (r *goReference) Forward(x []float32, batch int) ([]float32, []float32, error) {
	f, err := models.Evaluate(r.enc, models.EncoderPrefix, r.tensors, x, batch, [2]int{r.size, r.size})
	if err != nil || r.proj == nil {
		return f, nil, err
	}
	p, err := models.Evaluate(r.proj, models.ProjectorPrefix, r.tensors, f, batch, [2]int{})
	return f, p, err
}

// VerifyOptions control Verify; zero fields take the documented defaults.
type VerifyOptions struct {
	// BatchSizes to run; default {1, 3}.
	BatchSizes []int
	// Tolerance on the max absolute difference; default 1e-4.
	Tolerance float64
	// ORTLibrary is the ONNX Runtime shared library; default $SCL_ORT_LIB.
	ORTLibrary string
	// Seed of the random N(0,1) inputs; default 1.
	Seed uint64
	// Reference engine; default libtorch in eval mode (pure Go in -tags notorch builds).
	Reference ReferenceFactory
}

// Check is one compared output for one batch size.
type Check struct {
	Batch      int
	Output     string
	MaxAbsDiff float64
	// MaxAbs is the largest magnitude in the reference output, for scale.
	MaxAbs float64
}

// VerifyResult reports Verify's comparisons.
type VerifyResult struct {
	Reference  string
	Checks     []Check
	MaxAbsDiff float64
	Tolerance  float64
}

// Verify runs the ONNX model at modelPath in ONNX Runtime and the checkpoint in dir in the
// reference engine on the same random inputs, for each batch size, and compares every output the
// model has. It returns the result and, when any difference exceeds the tolerance, an error too.
func Verify(dir, modelPath string, opts VerifyOptions) (*VerifyResult, error) {
	if len(opts.BatchSizes) == 0 {
		opts.BatchSizes = []int{1, 3}
	}
	if opts.Tolerance == 0 {
		opts.Tolerance = 1e-4
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Reference == nil {
		opts.Reference = defaultReference
	}
	model, err := onnx.ReadFile(modelPath)
	if err != nil {
		return nil, fmt.Errorf("export: verify: %w", err)
	}
	pre, err := ParsePreprocessing(model.Metadata)
	if err != nil {
		return nil, fmt.Errorf("export: verify %s: %w", modelPath, err)
	}
	cfg, err := checkpoint.LoadConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("export: verify: %w", err)
	}
	source := checkpoint.Role(model.Metadata[MetaSource])
	if source == "" {
		source = checkpoint.Target
	}
	tensors, err := checkpoint.LoadTensors(dir, cfg, source)
	if err != nil {
		return nil, fmt.Errorf("export: verify: %w", err)
	}
	withProj := pre.ProjectionName != ""
	ref, err := opts.Reference(cfg, tensors, withProj)
	if err != nil {
		return nil, fmt.Errorf("export: verify: %w", err)
	}
	defer ref.Close()
	if err := InitORT(opts.ORTLibrary); err != nil {
		return nil, err
	}
	outputs := []string{pre.OutputName}
	dims := []int{pre.FeatureDim}
	if withProj {
		outputs = append(outputs, pre.ProjectionName)
		dims = append(dims, pre.ProjectionDim)
	}
	sess, err := ort.NewDynamicAdvancedSession(modelPath, []string{pre.InputName}, outputs, nil)
	if err != nil {
		return nil, fmt.Errorf("export: verify: ONNX Runtime cannot load %s: %w", modelPath, err)
	}
	defer sess.Destroy()
	res := &VerifyResult{Reference: ref.Name(), Tolerance: opts.Tolerance}
	r := rand.New(rand.NewPCG(opts.Seed, 11))
	s, c := pre.ImageSize, pre.InChannels
	for _, b := range opts.BatchSizes {
		x := make([]float32, b*c*s*s)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		got, err := runORT(sess, x, []int64{int64(b), int64(c), int64(s), int64(s)}, b, dims)
		if err != nil {
			return nil, fmt.Errorf("export: verify: ONNX Runtime, batch %d: %w", b, err)
		}
		f, p, err := ref.Forward(x, b)
		if err != nil {
			return nil, fmt.Errorf("export: verify: %s, batch %d: %w", ref.Name(), b, err)
		}
		want := [][]float32{f, p}
		for k, name := range outputs {
			ch := Check{Batch: b, Output: name}
			if len(want[k]) != len(got[k]) {
				return nil, fmt.Errorf("export: verify: output %q batch %d: ONNX Runtime gave %d values, %s %d", name, b, len(got[k]), ref.Name(), len(want[k]))
			}
			for i := range got[k] {
				d := math.Abs(float64(got[k][i] - want[k][i]))
				if math.IsNaN(d) {
					d = math.Inf(1)
				}
				ch.MaxAbsDiff = max(ch.MaxAbsDiff, d)
				ch.MaxAbs = max(ch.MaxAbs, math.Abs(float64(want[k][i])))
			}
			res.Checks = append(res.Checks, ch)
			res.MaxAbsDiff = max(res.MaxAbsDiff, ch.MaxAbsDiff)
		}
	}
	if res.MaxAbsDiff > opts.Tolerance {
		return res, fmt.Errorf("export: verify: max abs difference %.3g between ONNX Runtime and %s exceeds %.3g", res.MaxAbsDiff, ref.Name(), opts.Tolerance)
	}
	return res, nil
}

func runORT(sess *ort.DynamicAdvancedSession, x []float32, shape []int64, batch int, dims []int) ([][]float32, error) {
	in, err := ort.NewTensor(ort.NewShape(shape...), x)
	if err != nil {
		return nil, err
	}
	defer in.Destroy()
	outs := make([]ort.Value, len(dims))
	tensors := make([]*ort.Tensor[float32], len(dims))
	for i, d := range dims {
		t, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(batch), int64(d)))
		if err != nil {
			return nil, err
		}
		defer t.Destroy()
		outs[i], tensors[i] = t, t
	}
	if err := sess.Run([]ort.Value{in}, outs); err != nil {
		return nil, err
	}
	res := make([][]float32, len(dims))
	for i, t := range tensors {
		res[i] = append([]float32(nil), t.GetData()...)
	}
	return res, nil
}

var ortMu sync.Mutex

// InitORT loads ONNX Runtime once per process from lib, or $SCL_ORT_LIB when lib is empty.
func InitORT(lib string) error {
	ortMu.Lock()
	defer ortMu.Unlock()
	if ort.IsInitialized() {
		return nil
	}
	if lib == "" {
		lib = os.Getenv("SCL_ORT_LIB")
	}
	if lib == "" {
		return fmt.Errorf("export: ONNX Runtime library unknown: set SCL_ORT_LIB to libonnxruntime.so.1 (scripts/setup.sh installs it under .deps/lib)")
	}
	if _, err := os.Stat(lib); err != nil {
		return fmt.Errorf("export: ONNX Runtime library: %w (run scripts/setup.sh or set SCL_ORT_LIB)", err)
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(); err != nil {
		return fmt.Errorf("export: initialise ONNX Runtime from %s: %w", lib, err)
	}
	return nil
}
