package export

import (
	"fmt"
	"strconv"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/onnx"
	"github.com/scl-dev/scl/preprocess"
)

// Export reads the checkpoint in dir and writes its network as ONNX to out (atomically, creating
// missing parent directories). It returns the model's metadata.
func Export(dir, out string, opts Options) (map[string]string, error) {
	cfg, err := checkpoint.LoadConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	source := opts.Source
	if source == "" {
		source = checkpoint.Target
	}
	if source != checkpoint.Target && source != checkpoint.Online {
		return nil, fmt.Errorf("export: source %q, want %q or %q", source, checkpoint.Target, checkpoint.Online)
	}
	tensors, err := checkpoint.LoadTensors(dir, cfg, source)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	m, err := Build(cfg, tensors, opts)
	if err != nil {
		return nil, err
	}
	if err := m.WriteFile(out); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return m.Metadata, nil
}

// Preprocessing is what a consumer of an exported model needs to feed it images: the
// preprocessing spec (package preprocess) and the graph's interface.
type Preprocessing struct {
	preprocess.Spec
	// ImageSize is the side of the square input; InChannels its channels (the spec's).
	ImageSize  int
	InChannels int
	InputName  string
	OutputName string
	FeatureDim int
	// ProjectionName and ProjectionDim are empty/zero without a projector.
	ProjectionName string
	ProjectionDim  int
	Architecture   string
	TrainingStep   int64
}

// ReadPreprocessing reads an exported model's metadata_props (without ONNX Runtime) and parses
// them; errors name the file and the key.
func ReadPreprocessing(path string) (*Preprocessing, error) {
	m, err := onnx.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	p, err := ParsePreprocessing(m.Metadata)
	if err != nil {
		return nil, fmt.Errorf("export: %s: %w", path, err)
	}
	return p, nil
}

// ParsePreprocessing parses the metadata written by Build: every key Build always writes must
// be present.
func ParsePreprocessing(meta map[string]string) (*Preprocessing, error) {
	var err error
	str := func(key string) string {
		v, ok := meta[key]
		if !ok && err == nil {
			err = fmt.Errorf("metadata %q missing", key)
		}
		return v
	}
	num := func(key string, optional bool) int64 {
		v, ok := meta[key]
		if !ok {
			if !optional && err == nil {
				err = fmt.Errorf("metadata %q missing", key)
			}
			return 0
		}
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("metadata %q = %q, want an integer", key, v)
		}
		return n
	}
	for _, key := range []string{MetaMean, MetaStd, MetaChannelOrder} {
		str(key)
	}
	p := &Preprocessing{
		ImageSize:      int(num(MetaImageSize, false)),
		InChannels:     int(num(MetaInChannels, false)),
		InputName:      str(MetaInputName),
		OutputName:     str(MetaOutputName),
		FeatureDim:     int(num(MetaFeatureDim, false)),
		ProjectionName: meta[MetaProjection],
		ProjectionDim:  int(num(MetaProjectionDim, true)),
		Architecture:   str(MetaArchitecture),
		TrainingStep:   num(MetaTrainingStep, true),
	}
	if err != nil {
		return nil, err
	}
	if p.Spec, err = preprocess.FromMetadata(meta, p.InChannels); err != nil {
		return nil, err
	}
	if len(p.Mean) != p.InChannels || len(p.Std) != p.InChannels {
		return nil, fmt.Errorf("metadata mean has %d and std %d values, want %d (in_channels)", len(p.Mean), len(p.Std), p.InChannels)
	}
	if err := p.Spec.Validate(); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return p, nil
}
