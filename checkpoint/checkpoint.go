package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scl-dev/scl/internal/atomicfile"
	"github.com/scl-dev/scl/internal/crashpoint"
	"github.com/scl-dev/scl/internal/safefile"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/preprocess"
	"github.com/scl-dev/scl/safetensors"
)

// Format and Version identify config.json.
const (
	Format  = "scl-checkpoint"
	Version = 1
)

// ConfigFile is the name of the configuration inside a checkpoint directory.
const ConfigFile = "config.json"

// MaxConfigBytes bounds config.json (it holds settings and digests, a few KB in practice).
const MaxConfigBytes = 16 << 20

// Role names a tensor file of a checkpoint.
type Role string

// Tensor files of a checkpoint; the file is Role + ".safetensors".
const (
	Online    Role = "online"
	Target    Role = "target"
	Optimizer Role = "optimizer"
)

// FileName is the role's file name inside the checkpoint directory.
func (r Role) FileName() string { return string(r) + ".safetensors" }

// Preprocessing describes how images are turned into the network's input (config.json
// "data"); export copies it into the ONNX model's metadata. It is the project's one
// preprocessing spec, package preprocess's.
type Preprocessing = preprocess.Spec

// FileInfo records a tensor file's size and digest in config.json.
type FileInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Config is config.json.
type Config struct {
	Format  string        `json:"format"`
	Version int           `json:"version"`
	Model   models.Config `json:"model"`
	Data    Preprocessing `json:"data"`
	// Step is the number of optimizer steps taken (the training step exported as metadata).
	Step int64 `json:"step"`
	// Files is filled by Save: role → file name, size, SHA-256.
	Files map[Role]FileInfo `json:"files,omitempty"`
	// Train is the trainer's own state (hyper-parameters, schedules' position, β, γ, τ, b, RNG
	// state, …), stored and returned verbatim.
	Train json.RawMessage `json:"train,omitempty"`
	// Import records where imported weights came from (scl import); nil for trained checkpoints.
	Import *Provenance `json:"import,omitempty"`
}

// Provenance describes the file a checkpoint was imported from.
type Provenance struct {
	// File is the path given to the import, SHA256 its digest, Size its length in bytes.
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Format is the container: "zip" or "legacy" (torch.save) or "safetensors".
	Format string `json:"format"`
	// Layout names the naming scheme: reference, reference-encoder, torchvision or timm.
	Layout string `json:"layout"`
	// Notes say what was dropped, initialised or assumed.
	Notes []string `json:"notes,omitempty"`
}

// Validate checks the configuration's fields and names the offending one.
func (c *Config) Validate() error {
	if c.Format != Format {
		return fmt.Errorf("checkpoint: format %q, want %q", c.Format, Format)
	}
	if c.Version != Version {
		return fmt.Errorf("checkpoint: version %d, want %d", c.Version, Version)
	}
	if err := c.Model.Validate(); err != nil {
		return fmt.Errorf("checkpoint: model: %w", err)
	}
	d := c.Data
	ch := c.Model.WithDefaults().InChannels
	switch {
	case d.Height < 1 || d.Width != d.Height:
		return fmt.Errorf("checkpoint: data.image_size %d×%d, want a square side ≥ 1", d.Height, d.Width)
	case len(d.Mean) != ch || len(d.Std) != ch:
		return fmt.Errorf("checkpoint: data.mean has %d and data.std %d values, want %d (model.in_channels)", len(d.Mean), len(d.Std), ch)
	case d.Order != preprocess.RGB && d.Order != preprocess.Grey && d.Order != preprocess.BGR:
		return fmt.Errorf("checkpoint: data.channel_order %q, want RGB, BGR or L", d.Order)
	case (d.Order == preprocess.Grey) != (ch == 1):
		return fmt.Errorf("checkpoint: data.channel_order %q with model.in_channels %d, want \"L\" for 1 channel, RGB or BGR for 3", d.Order, ch)
	case d.Channels != 0 && d.Channels != ch:
		return fmt.Errorf("checkpoint: data.channels %d, want %d (model.in_channels)", d.Channels, ch)
	}
	for i, s := range d.Std {
		if !(s > 0) {
			return fmt.Errorf("checkpoint: data.std[%d] = %g, want > 0", i, s)
		}
	}
	return nil
}

// Checkpoint is a checkpoint in memory. Tensor maps use the names documented in the package
// comment. Optimizer may be nil (no optimizer file).
type Checkpoint struct {
	Config    Config
	Online    map[string]*safetensors.Tensor
	Target    map[string]*safetensors.Tensor
	Optimizer map[string]*safetensors.Tensor
}

// New returns a freshly initialised checkpoint at step 0: online weights drawn with torchvision's
// rules from seed (models.Init), the target an exact copy, no optimizer state.
func New(model models.Config, data Preprocessing, seed uint64) (*Checkpoint, error) {
	enc, proj, err := models.Networks(model)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	online := models.Init(enc, models.EncoderPrefix, seed)
	maps.Copy(online, models.Init(proj, models.ProjectorPrefix, seed+1))
	target := map[string]*safetensors.Tensor{}
	for k, t := range online {
		target[k] = &safetensors.Tensor{DType: t.DType, Shape: append([]int64{}, t.Shape...), Data: append([]byte{}, t.Data...)}
	}
	model = model.WithDefaults()
	if data.Channels == 0 {
		data.Channels = model.InChannels
	}
	c := &Checkpoint{
		Config: Config{Format: Format, Version: Version, Model: model, Data: data},
		Online: online, Target: target,
	}
	if err := c.Config.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Save writes c into dir (created if needed) atomically file by file: tensor files first, then
// config.json with their digests. It fills c.Config.Files.
func Save(dir string, c *Checkpoint) error {
	if err := c.Config.Validate(); err != nil {
		return fmt.Errorf("checkpoint: save %s: %w", dir, err)
	}
	if c.Config.Data.Channels == 0 {
		c.Config.Data.Channels = c.Config.Model.WithDefaults().InChannels
	}
	files := map[Role]FileInfo{}
	for _, part := range []struct {
		role    Role
		tensors map[string]*safetensors.Tensor
	}{{Online, c.Online}, {Target, c.Target}, {Optimizer, c.Optimizer}} {
		if part.tensors == nil {
			continue
		}
		f := &safetensors.File{Tensors: part.tensors, Metadata: map[string]string{"format": "pt", "scl.role": string(part.role)}}
		b, err := f.Marshal()
		if err != nil {
			return fmt.Errorf("checkpoint: save %s: %w", filepath.Join(dir, part.role.FileName()), err)
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, part.role.FileName()), b); err != nil {
			return fmt.Errorf("checkpoint: save: %w", err)
		}
		crashpoint.Hit("checkpoint-wrote-" + string(part.role))
		sum := sha256.Sum256(b)
		files[part.role] = FileInfo{Name: part.role.FileName(), Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
	}
	if files[Online].Name == "" || files[Target].Name == "" {
		return fmt.Errorf("checkpoint: save %s: online and target networks are required", dir)
	}
	c.Config.Files = files
	b, err := json.MarshalIndent(&c.Config, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: save %s: encode config: %w", dir, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ConfigFile), append(b, '\n')); err != nil {
		return fmt.Errorf("checkpoint: save: %w", err)
	}
	crashpoint.Hit("checkpoint-wrote-config")
	return nil
}

// LoadConfig reads and validates dir/config.json.
func LoadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, ConfigFile)
	b, err := safefile.ReadFile(path, MaxConfigBytes)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("checkpoint: %s not found: %s is not a checkpoint directory", path, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// LoadTensors reads one tensor file of the checkpoint described by cfg, checking its size and
// digest against config.json and, for the online and target networks, every encoder and
// projector tensor's name, shape and dtype against the architecture.
func LoadTensors(dir string, cfg *Config, role Role) (map[string]*safetensors.Tensor, error) {
	info, ok := cfg.Files[role]
	if !ok {
		return nil, fmt.Errorf("checkpoint: %s lists no %s file", filepath.Join(dir, ConfigFile), role)
	}
	path, err := safefile.Within(dir, info.Name)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: files.%s.name: %w", filepath.Join(dir, ConfigFile), role, err)
	}
	// Read no more than config.json announces: a larger file is refused before it is read.
	b, err := safefile.ReadFile(path, info.Size)
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, fmt.Errorf("checkpoint: %s is larger than the %d bytes config.json says (from another save?): %w", path, info.Size, err)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if int64(len(b)) != info.Size {
		return nil, fmt.Errorf("checkpoint: %s has %d bytes, config.json says %d (truncated or from another save)", path, len(b), info.Size)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != info.SHA256 {
		return nil, fmt.Errorf("checkpoint: %s does not match the SHA-256 in config.json (corrupted, or an interrupted save)", path)
	}
	f, err := safetensors.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	if role == Online || role == Target {
		enc, proj, err := models.Networks(cfg.Model)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		if err := models.CheckState(enc, models.EncoderPrefix, f.Tensors); err != nil {
			return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
		}
		if err := models.CheckState(proj, models.ProjectorPrefix, f.Tensors); err != nil {
			return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
		}
	}
	return f.Tensors, nil
}

// Load reads a whole checkpoint (optimizer state included when present).
func Load(dir string) (*Checkpoint, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Config: *cfg}
	if c.Online, err = LoadTensors(dir, cfg, Online); err != nil {
		return nil, err
	}
	if c.Target, err = LoadTensors(dir, cfg, Target); err != nil {
		return nil, err
	}
	if _, ok := cfg.Files[Optimizer]; ok {
		if c.Optimizer, err = LoadTensors(dir, cfg, Optimizer); err != nil {
			return nil, err
		}
		if err := CheckOptimizer(c.Optimizer, c.Online); err != nil {
			return nil, fmt.Errorf("checkpoint: %s: %w", filepath.Join(dir, cfg.Files[Optimizer].Name), err)
		}
	}
	return c, nil
}

// optimizerBuffers are the per-parameter state kinds of package torch/optim.
var optimizerBuffers = []string{"exp_avg", "exp_avg_sq", "momentum_buffer"}

// CheckOptimizer validates optimizer state against the online network it updates: every
// tensor is "step" (a scalar or one-element tensor) or "<kind>.<parameter>" with kind exp_avg,
// exp_avg_sq or momentum_buffer and parameter an online tensor (or the loss's "loss.<name>")
// of the same dtype and shape.
func CheckOptimizer(opt, online map[string]*safetensors.Tensor) error {
	for name, t := range opt {
		if name == "step" {
			if t.NumElements() != 1 {
				return fmt.Errorf("optimizer tensor %q: shape %v, want one element", name, t.Shape)
			}
			continue
		}
		kind, param, ok := cutKind(name)
		if !ok {
			return fmt.Errorf("optimizer tensor %q: want step or <%v>.<parameter>", name, optimizerBuffers)
		}
		p, ok := online[param]
		if !ok { // the loss's τ and b: "tau" to the optimizer, "loss.tau" in the online file
			p, ok = online["loss."+param]
		}
		if !ok {
			return fmt.Errorf("optimizer tensor %q: %s of parameter %q, which the online network does not have", name, kind, param)
		}
		if t.DType != p.DType || !slices.Equal(t.Shape, p.Shape) {
			return fmt.Errorf("optimizer tensor %q: %s%v, want %s%v as parameter %q", name, t.DType, t.Shape, p.DType, p.Shape, param)
		}
	}
	return nil
}

func cutKind(name string) (kind, param string, ok bool) {
	for _, k := range optimizerBuffers {
		if p, found := strings.CutPrefix(name, k+"."); found && p != "" {
			return k, p, true
		}
	}
	return "", "", false
}
