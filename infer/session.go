package infer

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	ort "github.com/yalue/onnxruntime_go"
)

// SessionConfig configures OpenSession. The zero value loads the library by the default
// search, runs on DeviceAuto with ONNX Runtime's default thread counts, and uses the model's
// first input and first output.
type SessionConfig struct {
	Library        string // ONNX Runtime shared library; "" searches (see LoadRuntime)
	Device         Device
	IntraOpThreads int // threads inside one operator; 0 = ONNX Runtime's default (one per core)
	InterOpThreads int // threads across operators; 0 = ONNX Runtime's default
	// NoSpin stops ONNX Runtime's worker threads from busy-waiting between runs
	// (session.intra_op.allow_spinning=0). Servers want it: spinning threads starve the
	// goroutines that parse and batch requests while no batch is running.
	NoSpin bool
	Input  string // input name; "" = the model's first input
	Output string // output name; "" = "features" when the model has it, else its first output
	// Warn receives warnings such as DeviceAuto's fallback to the CPU (one per OpenSession).
	// Nil discards them.
	Warn func(msg string)
}

// Provider names as ONNX Runtime spells them.
const (
	ProviderCPU  = "CPUExecutionProvider"
	ProviderCUDA = "CUDAExecutionProvider"
)

// Session is an ONNX Runtime inference session for an image encoder: one float32 input
// [batch, C, H, W] and one float32 output [batch, D]. It is safe for concurrent use (ONNX
// Runtime's Run is thread-safe); Close waits for runs in flight. The caller must Close it.
type Session struct {
	mu       sync.RWMutex
	s        *ort.DynamicAdvancedSession
	path     string
	input    string
	output   string
	shape    [3]int // C, H, W; H or W is -1 when the model leaves them dynamic
	dim      int
	provider string
	device   Device
	meta     map[string]string
	runtime  Runtime
}

var liveSessions atomic.Int64

// LiveSessions returns the number of sessions opened and not yet closed (for leak tests).
func LiveSessions() int { return int(liveSessions.Load()) }

// OpenSession loads the runtime if needed and opens the model at path.
func OpenSession(path string, cfg SessionConfig) (*Session, error) {
	rt, err := LoadRuntime(cfg.Library)
	if err != nil {
		return nil, err
	}
	ins, outs, err := ort.GetInputOutputInfo(path)
	if err != nil {
		return nil, fmt.Errorf("infer: reading model %s: %w", path, err)
	}
	in, err := pickIO(ins, cfg.Input, "input", path)
	if err != nil {
		return nil, err
	}
	outName := cfg.Output
	if outName == "" {
		// scl export names the encoder's output "features" (a projection head may follow).
		for _, o := range outs {
			if o.Name == "features" {
				outName = o.Name
			}
		}
	}
	out, err := pickIO(outs, outName, "output", path)
	if err != nil {
		return nil, err
	}
	if len(in.Dimensions) != 4 || in.DataType != ort.TensorElementDataTypeFloat {
		return nil, fmt.Errorf("infer: model %s: input %q is %s %v, want float32 [batch, C, H, W]", path, in.Name, in.DataType, in.Dimensions)
	}
	if in.Dimensions[1] <= 0 {
		return nil, fmt.Errorf("infer: model %s: input %q has dynamic channels %v, want a fixed C", path, in.Name, in.Dimensions)
	}
	if len(out.Dimensions) != 2 || out.DataType != ort.TensorElementDataTypeFloat || out.Dimensions[1] <= 0 {
		return nil, fmt.Errorf("infer: model %s: output %q is %s %v, want float32 [batch, D] with fixed D", path, out.Name, out.DataType, out.Dimensions)
	}
	s := &Session{
		path:    path,
		input:   in.Name,
		output:  out.Name,
		shape:   [3]int{int(in.Dimensions[1]), int(in.Dimensions[2]), int(in.Dimensions[3])},
		dim:     int(out.Dimensions[1]),
		device:  cfg.Device,
		runtime: rt,
	}
	switch cfg.Device.Kind {
	case DeviceCPU:
		err = s.create(cfg, false)
	case DeviceCUDA:
		if err = s.create(cfg, true); err != nil {
			err = fmt.Errorf("infer: device %s requested but the CUDA execution provider failed (library %s, ONNX Runtime %s): %w", cfg.Device, rt.Path, rt.Version, err)
		}
	default:
		if cerr := s.create(cfg, true); cerr != nil {
			if cfg.Warn != nil {
				cfg.Warn(fmt.Sprintf("infer: CUDA unavailable, running on the CPU (%v)", firstLine(cerr)))
			}
			err = s.create(cfg, false)
		}
	}
	if err != nil {
		return nil, err
	}
	if s.meta, err = readMetadata(s.s); err != nil {
		s.Close()
		return nil, fmt.Errorf("infer: model %s: metadata: %w", path, err)
	}
	return s, nil
}

func pickIO(list []ort.InputOutputInfo, name, what, path string) (ort.InputOutputInfo, error) {
	if len(list) == 0 {
		return ort.InputOutputInfo{}, fmt.Errorf("infer: model %s has no %s", path, what)
	}
	if name == "" {
		return list[0], nil
	}
	var names []string
	for _, x := range list {
		if x.Name == name {
			return x, nil
		}
		names = append(names, x.Name)
	}
	return ort.InputOutputInfo{}, fmt.Errorf("infer: model %s has no %s named %q (have %q)", path, what, name, names)
}

// create builds the ORT session with or without the CUDA provider.
func (s *Session) create(cfg SessionConfig, cuda bool) error {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return fmt.Errorf("infer: session options: %w", err)
	}
	defer opts.Destroy()
	if cfg.IntraOpThreads > 0 {
		if err := opts.SetIntraOpNumThreads(cfg.IntraOpThreads); err != nil {
			return fmt.Errorf("infer: intra-op threads %d: %w", cfg.IntraOpThreads, err)
		}
	}
	if cfg.InterOpThreads > 0 {
		if err := opts.SetInterOpNumThreads(cfg.InterOpThreads); err != nil {
			return fmt.Errorf("infer: inter-op threads %d: %w", cfg.InterOpThreads, err)
		}
	}
	if cfg.NoSpin {
		for _, k := range []string{"session.intra_op.allow_spinning", "session.inter_op.allow_spinning"} {
			if err := opts.AddSessionConfigEntry(k, "0"); err != nil {
				return fmt.Errorf("infer: %s: %w", k, err)
			}
		}
	}
	provider := ProviderCPU
	if cuda {
		if err := appendCUDA(opts, cfg.Device.Index); err != nil {
			return err
		}
		provider = ProviderCUDA
	}
	sess, err := ort.NewDynamicAdvancedSession(s.path, []string{s.input}, []string{s.output}, opts)
	if err != nil {
		return fmt.Errorf("infer: opening model %s on %s: %w", s.path, provider, err)
	}
	s.s = sess
	s.provider = provider
	liveSessions.Add(1)
	return nil
}

func appendCUDA(opts *ort.SessionOptions, index int) error {
	co, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return fmt.Errorf("infer: cuda provider options: %w", err)
	}
	defer co.Destroy()
	if err := co.Update(map[string]string{"device_id": strconv.Itoa(index)}); err != nil {
		return fmt.Errorf("infer: cuda device_id %d: %w", index, err)
	}
	if err := opts.AppendExecutionProviderCUDA(co); err != nil {
		return fmt.Errorf("infer: appending the cuda provider: %w", err)
	}
	return nil
}

func readMetadata(s *ort.DynamicAdvancedSession) (map[string]string, error) {
	m, err := s.GetModelMetadata()
	if err != nil {
		return nil, err
	}
	defer m.Destroy()
	keys, err := m.GetCustomMetadataMapKeys()
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		v, _, err := m.LookupCustomMetadataMap(k)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

// ErrClosed is returned by RunTo on a closed session.
var ErrClosed = errors.New("infer: session closed")

// RunTo runs the encoder on n images laid out as float32 NCHW in x (n·C·H·W values, H and W
// as given by the model or, for dynamic models, by h and w) and writes the n·D features to dst,
// row by row. dst and x are only read/written during the call.
func (s *Session) RunTo(dst, x []float32, n, h, w int) error {
	if n <= 0 {
		return fmt.Errorf("infer: batch size %d, want > 0", n)
	}
	c := s.shape[0]
	if s.shape[1] > 0 {
		h = s.shape[1]
	}
	if s.shape[2] > 0 {
		w = s.shape[2]
	}
	if h <= 0 || w <= 0 {
		return fmt.Errorf("infer: model %s has dynamic spatial size; got %d×%d, want positive", s.path, h, w)
	}
	if want := n * c * h * w; len(x) != want {
		return fmt.Errorf("infer: input has %d values, want %d (batch %d × %d×%d×%d)", len(x), want, n, c, h, w)
	}
	if want := n * s.dim; len(dst) != want {
		return fmt.Errorf("infer: output buffer has %d values, want %d (batch %d × %d)", len(dst), want, n, s.dim)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.s == nil {
		return ErrClosed
	}
	in, err := ort.NewTensor(ort.NewShape(int64(n), int64(c), int64(h), int64(w)), x)
	if err != nil {
		return fmt.Errorf("infer: input tensor: %w", err)
	}
	defer in.Destroy()
	out, err := ort.NewTensor(ort.NewShape(int64(n), int64(s.dim)), dst)
	if err != nil {
		return fmt.Errorf("infer: output tensor: %w", err)
	}
	defer out.Destroy()
	if err := s.s.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
		return fmt.Errorf("infer: running %s on a batch of %d: %w", s.path, n, err)
	}
	return nil
}

// Close releases the session. It waits for runs in flight, is idempotent and safe on a
// half-built session.
func (s *Session) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return nil
	}
	err := s.s.Destroy()
	s.s = nil
	liveSessions.Add(-1)
	if err != nil {
		return fmt.Errorf("infer: closing session %s: %w", s.path, err)
	}
	return nil
}

// Path returns the model file.
func (s *Session) Path() string { return s.path }

// InputShape returns the model input's C, H, W (H or W is -1 when dynamic).
func (s *Session) InputShape() [3]int { return s.shape }

// InputName and OutputName return the tensor names the session runs.
func (s *Session) InputName() string  { return s.input }
func (s *Session) OutputName() string { return s.output }

// Dim returns the feature dimension D.
func (s *Session) Dim() int { return s.dim }

// Provider returns the execution provider in use (ProviderCPU or ProviderCUDA).
func (s *Session) Provider() string { return s.provider }

// Runtime returns the loaded ONNX Runtime library.
func (s *Session) Runtime() Runtime { return s.runtime }

// Metadata returns a copy of the model's metadata_props.
func (s *Session) Metadata() map[string]string {
	out := make(map[string]string, len(s.meta))
	for k, v := range s.meta {
		out[k] = v
	}
	return out
}

func firstLine(err error) string {
	msg := err.Error()
	for i, r := range msg {
		if r == '\n' {
			return msg[:i]
		}
	}
	return msg
}
