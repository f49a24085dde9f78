package ptimport

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/preprocess"
	"github.com/scl-dev/scl/pth"
	"github.com/scl-dev/scl/safetensors"
)

// Layout names a weight file's naming scheme.
type Layout string

// Layouts; see the package comment.
const (
	Auto             Layout = "auto"
	Reference        Layout = "reference"
	ReferenceEncoder Layout = "reference-encoder"
	TorchVision      Layout = "torchvision"
	Timm             Layout = "timm"
)

// Layouts lists the layouts Options.Layout accepts.
var Layouts = []Layout{Auto, Reference, ReferenceEncoder, TorchVision, Timm}

// Options control Import. Zero values are inferred from the file.
type Options struct {
	Layout Layout
	// Arch, Stem, Width, WidthMult, DepthMult, ProjectorHidden and ProjectorOut state the
	// architecture instead of inferring it; a file that does not fit is an error.
	Model models.Config
	// ImageSize is the input size recorded for export; default 32 for the CIFAR stem, 224
	// otherwise.
	ImageSize int
	// Dataset is recorded in the preprocessing metadata (informative).
	Dataset string
	// Seed initialises a projector the file does not hold.
	Seed uint64
}

// Result is an imported checkpoint and what was done to build it.
type Result struct {
	Checkpoint *checkpoint.Checkpoint
	// Provenance is also stored in Checkpoint.Config.Import.
	Provenance checkpoint.Provenance
}

// TauName and BiasName are the loss's scalars inside online.safetensors, as the trainer names
// them.
const (
	TauName  = "loss.tau"
	BiasName = "loss.bias"
)

// ReadTensors reads a .safetensors file or a torch.save file (zip or legacy) and returns its
// tensors by name and the container format.
func ReadTensors(path string) (map[string]*safetensors.Tensor, string, error) {
	if strings.HasSuffix(strings.ToLower(path), ".safetensors") {
		f, err := safetensors.ReadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("ptimport: %w", err)
		}
		return f.Tensors, "safetensors", nil
	}
	f, err := pth.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("ptimport: %w", err)
	}
	t, _, err := pth.Tensors(f.Object)
	if err != nil {
		return nil, "", fmt.Errorf("ptimport: %s: %w", path, err)
	}
	return t, string(f.Format), nil
}

// Import reads the weight file at path and builds an scl checkpoint from it.
func Import(path string, opts Options) (*Result, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ptimport: %w", err)
	}
	tensors, format, err := ReadTensors(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	abs, _ := filepath.Abs(path)
	prov := checkpoint.Provenance{File: abs, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(raw)), Format: format}
	ck, err := Build(tensors, opts, &prov)
	if err != nil {
		return nil, fmt.Errorf("ptimport: %s: %w", path, err)
	}
	return &Result{Checkpoint: ck, Provenance: prov}, nil
}

// stripWrappers removes a prefix shared by every name that wrappers add: "module."
// (DataParallel), "state_dict." and "model." (training scripts' dicts).
func stripWrappers(t map[string]*safetensors.Tensor, notes *[]string) map[string]*safetensors.Tensor {
	for _, p := range []string{"state_dict.", "model.", "module.", "model.", "module."} {
		all := len(t) > 0
		for k := range t {
			all = all && strings.HasPrefix(k, p)
		}
		if !all {
			continue
		}
		out := make(map[string]*safetensors.Tensor, len(t))
		for k, v := range t {
			out[strings.TrimPrefix(k, p)] = v
		}
		*notes = append(*notes, fmt.Sprintf("removed the prefix %q shared by every tensor", p))
		t = out
	}
	return t
}

var digitsPrefix = regexp.MustCompile(`^\d+\.`)

// detect picks the layout from the names.
func detect(t map[string]*safetensors.Tensor) (Layout, error) {
	has := func(k string) bool { _, ok := t[k]; return ok }
	anyPrefix := func(p string) bool {
		for k := range t {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		return false
	}
	switch {
	case anyPrefix("online_encoder.") || anyPrefix("target_encoder."):
		return Reference, nil
	case has("conv1.weight") || has("features.0.0.weight"):
		return TorchVision, nil
	case has("conv_stem.weight"):
		return "", fmt.Errorf("timm EfficientNet names (conv_stem.weight, blocks.*) are not supported: use torchvision's efficientnet_v2_s weights")
	}
	for k := range t {
		if digitsPrefix.MatchString(k) {
			return ReferenceEncoder, nil
		}
	}
	names := slices.Sorted(maps.Keys(t))
	return "", fmt.Errorf("unknown layout: first tensor names %v, want the reference's (online_encoder.*, <i>.*), torchvision's or timm's (conv1.weight, features.0.0.weight)", names[:min(len(names), 4)])
}

// resnetChildren are torchvision ResNet's children in order; the reference's nn.Sequential
// indexes them.
var resnetChildren = map[string]string{"0": "conv1", "1": "bn1", "4": "layer1", "5": "layer2", "6": "layer3", "7": "layer4"}

// network is one network in scl names, with each tensor's name in the file.
type network struct {
	tensors map[string]*safetensors.Tensor
	origin  map[string]string
}

func newNetwork() *network {
	return &network{tensors: map[string]*safetensors.Tensor{}, origin: map[string]string{}}
}

func (n *network) put(scl, file string, t *safetensors.Tensor) error {
	if prev, ok := n.origin[scl]; ok {
		return fmt.Errorf("tensors %q and %q both map to %s", prev, file, scl)
	}
	n.tensors[scl], n.origin[scl] = t, file
	return nil
}

// mapSequential maps an nn.Sequential of torchvision's children ("<i>.rest", i an index) under
// filePrefix into scl encoder names.
func mapSequential(t map[string]*safetensors.Tensor, filePrefix string, n *network) error {
	efficient := false
	if _, ok := t[filePrefix+"0.0.0.weight"]; ok {
		efficient = true
	}
	for k, v := range t {
		if !strings.HasPrefix(k, filePrefix) {
			continue
		}
		rest := strings.TrimPrefix(k, filePrefix)
		idx, tail, ok := strings.Cut(rest, ".")
		if !ok {
			return fmt.Errorf("tensor %q: want %s<child index>.<name>", k, filePrefix)
		}
		var child string
		if efficient {
			if idx != "0" {
				return fmt.Errorf("tensor %q: EfficientNet encoders have parameters in child 0 (features) only", k)
			}
			child = "features"
		} else if child, ok = resnetChildren[idx]; !ok {
			return fmt.Errorf("tensor %q: child %s of a ResNet encoder has no parameters (want 0 conv1, 1 bn1, 4–7 layer1–4)", k, idx)
		}
		if err := n.put(models.EncoderPrefix+child+"."+tail, k, v); err != nil {
			return err
		}
	}
	return nil
}

// mapProjector maps the reference projector's block.{0,1,3}.* under filePrefix.
func mapProjector(t map[string]*safetensors.Tensor, filePrefix string, n *network) error {
	for k, v := range t {
		if !strings.HasPrefix(k, filePrefix) {
			continue
		}
		rest := strings.TrimPrefix(k, filePrefix)
		if err := n.put(models.ProjectorPrefix+rest, k, v); err != nil {
			return err
		}
	}
	return nil
}

// Build maps tensors (as read from a file) into a checkpoint; prov, when not nil, gets the layout
// and notes and is stored in the checkpoint's config.
func Build(tensors map[string]*safetensors.Tensor, opts Options, prov *checkpoint.Provenance) (*checkpoint.Checkpoint, error) {
	var notes []string
	t := stripWrappers(tensors, &notes)
	layout := opts.Layout
	if layout == "" || layout == Auto {
		var err error
		if layout, err = detect(t); err != nil {
			return nil, fmt.Errorf("ptimport: %w", err)
		}
	}
	online, target := newNetwork(), newNetwork()
	var tau, bias *safetensors.Tensor
	used := map[string]bool{}
	switch layout {
	case Reference:
		for _, side := range []struct {
			prefix string
			n      *network
		}{{"online_encoder.", online}, {"target_encoder.", target}} {
			if err := mapSequential(t, side.prefix+"0.", side.n); err != nil {
				return nil, fmt.Errorf("ptimport: %w", err)
			}
			if err := mapProjector(t, side.prefix+"1.block.", side.n); err != nil {
				return nil, fmt.Errorf("ptimport: %w", err)
			}
		}
		if len(target.tensors) == 0 {
			return nil, fmt.Errorf("ptimport: reference layout without target_encoder.* tensors")
		}
		tau, bias = t["tau"], t["b"]
		if tau == nil || bias == nil {
			return nil, fmt.Errorf("ptimport: reference layout without the loss scalars tau and b")
		}
		used["tau"], used["b"] = true, true
	case ReferenceEncoder:
		_, withProj := t["1.block.0.weight"]
		encPrefix := ""
		if withProj {
			encPrefix = "0."
			if err := mapProjector(t, "1.block.", target); err != nil {
				return nil, fmt.Errorf("ptimport: %w", err)
			}
		}
		if err := mapSequential(t, encPrefix, target); err != nil && !withProj {
			return nil, fmt.Errorf("ptimport: %w", err)
		} else if err != nil {
			// With a projector, "1.block.*" is not an encoder child: map "0." only.
			target = newNetwork()
			if err := mapProjector(t, "1.block.", target); err != nil {
				return nil, fmt.Errorf("ptimport: %w", err)
			}
			if err := mapSequential(t, "0.", target); err != nil {
				return nil, fmt.Errorf("ptimport: %w", err)
			}
		}
	case TorchVision, Timm:
		var dropped []string
		for k, v := range t {
			if strings.HasPrefix(k, "fc.") || strings.HasPrefix(k, "classifier.") {
				dropped = append(dropped, k)
				continue
			}
			if err := target.put(models.EncoderPrefix+k, k, v); err != nil {
				return nil, fmt.Errorf("ptimport: %w", err)
			}
		}
		if len(dropped) > 0 {
			sort.Strings(dropped)
			notes = append(notes, fmt.Sprintf("dropped the classifier (%s)", strings.Join(dropped, ", ")))
		}
	default:
		return nil, fmt.Errorf("ptimport: layout %q, want one of auto, reference, reference-encoder, torchvision, timm", layout)
	}
	for _, n := range []*network{online, target} {
		for _, f := range n.origin {
			used[f] = true
		}
	}
	// Every tensor of the file must have been mapped (the classifier excepted).
	var unused []string
	for k := range t {
		if !used[k] && !(layout == TorchVision || layout == Timm) {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return nil, fmt.Errorf("ptimport: tensor %q does not belong to the %s layout", unused[0], layout)
	}

	cfg, err := inferConfig(target, opts.Model)
	if err != nil {
		return nil, fmt.Errorf("ptimport: %w", err)
	}
	enc, proj, err := models.Networks(cfg)
	if err != nil {
		return nil, fmt.Errorf("ptimport: %w", err)
	}
	_, hasProj := target.tensors[models.ProjectorPrefix+"0.weight"]
	if !hasProj {
		fresh := models.Init(proj, models.ProjectorPrefix, opts.Seed+1)
		for k, v := range fresh {
			target.tensors[k] = v
			target.origin[k] = "(new) " + k
		}
		notes = append(notes, fmt.Sprintf("the file holds no projector: initialised a new one (%d → %d → %d)", enc.OutDim, cfg.ProjectorHidden, cfg.ProjectorOut))
	}
	if len(online.tensors) == 0 {
		for k, v := range target.tensors {
			online.tensors[k] = v
			online.origin[k] = target.origin[k]
		}
		notes = append(notes, "the online network is a copy of the imported encoder")
	}
	for _, side := range []struct {
		name string
		n    *network
	}{{"online", online}, {"target", target}} {
		if err := fill(side.n, enc, models.EncoderPrefix, &notes); err != nil {
			return nil, fmt.Errorf("ptimport: %s network: %w", side.name, err)
		}
		if err := fill(side.n, proj, models.ProjectorPrefix, &notes); err != nil {
			return nil, fmt.Errorf("ptimport: %s network: %w", side.name, err)
		}
		for k := range side.n.tensors {
			if !strings.HasPrefix(k, models.EncoderPrefix) && !strings.HasPrefix(k, models.ProjectorPrefix) {
				return nil, fmt.Errorf("ptimport: %s network: tensor %q is not part of %s", side.name, side.n.origin[k], cfg.Arch)
			}
		}
	}
	if tau != nil {
		for name, x := range map[string]*safetensors.Tensor{TauName: tau, BiasName: bias} {
			v, err := scalar(x)
			if err != nil {
				return nil, fmt.Errorf("ptimport: %s: %w", map[string]string{TauName: "tau", BiasName: "b"}[name], err)
			}
			online.tensors[name] = safetensors.FromF32(nil, []float32{v})
		}
	}
	size := opts.ImageSize
	if size == 0 {
		size = 224
		if (cfg.Stem == models.StemCIFAR || cfg.Stem == models.StemCIFARStride2) && (cfg.Arch == models.ResNet18 || cfg.Arch == models.ResNet50) {
			size = 32
		}
	}
	pre := preprocess.Default(size, 3, opts.Dataset)
	if cfg.InChannels == 1 {
		pre.Channels, pre.Order, pre.Mean, pre.Std = 1, preprocess.Grey, []float32{0.5}, []float32{0.5}
	} else if cfg.InChannels != 3 {
		return nil, fmt.Errorf("ptimport: %d input channels, want 1 or 3", cfg.InChannels)
	}
	if prov == nil {
		prov = &checkpoint.Provenance{}
	}
	prov.Layout, prov.Notes = string(layout), notes
	ck := &checkpoint.Checkpoint{
		Config: checkpoint.Config{Format: checkpoint.Format, Version: checkpoint.Version, Model: cfg, Data: pre, Import: prov},
		Online: online.tensors, Target: target.tensors,
	}
	if err := ck.Config.Validate(); err != nil {
		return nil, fmt.Errorf("ptimport: %w", err)
	}
	return ck, nil
}

// fill checks every parameter of net under prefix against the mapped tensors, converts floats to
// F32, and adds BatchNorm's num_batches_tracked (0) where a file lacks it. Errors name the
// tensor by its name in the file.
func fill(n *network, net *models.Network, prefix string, notes *[]string) error {
	want := map[string]bool{}
	added := 0
	for _, p := range net.Params() {
		name := prefix + p.Name
		want[name] = true
		t, ok := n.tensors[name]
		if !ok {
			if p.Int && strings.HasSuffix(name, "num_batches_tracked") {
				n.tensors[name] = safetensors.FromI64(p.Shape, make([]int64, p.NumElements()))
				added++
				continue
			}
			return fmt.Errorf("%s: tensor for %s missing (a different architecture or configuration?)", net.Name, name)
		}
		if !slices.Equal(t.Shape, p.Shape) {
			return fmt.Errorf("tensor %q has shape %v, want %v for %s of %s", n.origin[name], t.Shape, p.Shape, name, net.Name)
		}
		if p.Int {
			if t.DType != safetensors.I64 {
				return fmt.Errorf("tensor %q has dtype %s, want I64", n.origin[name], t.DType)
			}
			continue
		}
		if t.DType != safetensors.F32 {
			v, err := t.F32()
			if err != nil {
				return fmt.Errorf("tensor %q: %w", n.origin[name], err)
			}
			n.tensors[name] = safetensors.FromF32(t.Shape, v)
		}
	}
	for name := range n.tensors {
		if strings.HasPrefix(name, prefix) && !want[name] {
			return fmt.Errorf("tensor %q (as %s) is not part of %s (a different architecture or configuration?)", n.origin[name], name, net.Name)
		}
	}
	if added > 0 {
		*notes = append(*notes, fmt.Sprintf("added %d num_batches_tracked counters (0) missing from the file", added))
	}
	return nil
}

// scalar reads a one-element float tensor.
func scalar(t *safetensors.Tensor) (float32, error) {
	if t.NumElements() != 1 {
		return 0, fmt.Errorf("shape %v, want a scalar", t.Shape)
	}
	switch t.DType {
	case safetensors.F32, safetensors.F64, safetensors.F16, safetensors.BF16:
		v, err := t.F32()
		if err != nil {
			return 0, err
		}
		return v[0], nil
	}
	return 0, fmt.Errorf("dtype %s, want a float", t.DType)
}

// inferConfig works out the architecture from the target network's scl names and shapes,
// keeping what given states.
func inferConfig(n *network, given models.Config) (models.Config, error) {
	cfg := given
	shape := func(name string) []int64 {
		if t, ok := n.tensors[name]; ok {
			return t.Shape
		}
		return nil
	}
	conv1 := shape(models.EncoderPrefix + "conv1.weight")
	stem0 := shape(models.EncoderPrefix + "features.0.0.weight")
	switch {
	case len(conv1) == 4:
		if cfg.Arch == "" {
			cfg.Arch = models.ResNet18
			if shape(models.EncoderPrefix+"layer1.0.conv3.weight") != nil {
				cfg.Arch = models.ResNet50
			}
		}
		if cfg.Width == 0 {
			cfg.Width = int(conv1[0])
		}
		// A fourth stage wider or narrower than torchvision's 8·width (scl's --last-stage-width).
		if l4 := shape(models.EncoderPrefix + "layer4.0.conv1.weight"); len(l4) == 4 && cfg.LastStageWidth == 0 && int(l4[0]) != 8*cfg.Width {
			cfg.LastStageWidth = int(l4[0])
		}
		if cfg.InChannels == 0 {
			cfg.InChannels = int(conv1[1])
		}
		if cfg.Stem == "" {
			switch conv1[2] {
			case 7:
				cfg.Stem = models.StemImageNet
			case 3:
				cfg.Stem = models.StemCIFAR
			default:
				return cfg, fmt.Errorf("tensor %q: a %d×%d stem convolution, want 7×7 (ImageNet stem) or 3×3 (CIFAR stem)", n.origin[models.EncoderPrefix+"conv1.weight"], conv1[2], conv1[3])
			}
		}
	case len(stem0) == 4:
		if cfg.InChannels == 0 {
			cfg.InChannels = int(stem0[1])
		}
		if cfg.Arch == "" {
			// efficientnet_v2_s starts with fused blocks: a full 3×3 convolution.
			cfg.Arch = models.EfficientNetB0
			if s := shape(models.EncoderPrefix + "features.1.0.block.0.0.weight"); len(s) == 4 && s[1] == s[0] && s[1] > 1 {
				cfg.Arch = models.EfficientNetV2S
			}
		}
		if cfg.DepthMult == 0 {
			cfg.DepthMult = efficientDepth(n, cfg.Arch)
		}
		if cfg.WidthMult == 0 {
			cfg.WidthMult = efficientWidth(n, cfg, int(stem0[0]))
		}
	default:
		if cfg.Arch == "" {
			return cfg, fmt.Errorf("no encoder.conv1.weight or encoder.features.0.0.weight: cannot tell the architecture (state it with --arch)")
		}
	}
	if p := shape(models.ProjectorPrefix + "0.weight"); len(p) == 2 && cfg.ProjectorHidden == 0 {
		cfg.ProjectorHidden = int(p[0])
	}
	if p := shape(models.ProjectorPrefix + "3.weight"); len(p) == 2 && cfg.ProjectorOut == 0 {
		cfg.ProjectorOut = int(p[0])
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg.WithDefaults(), nil
}

// efficientDepth infers EfficientNet's depth multiplier from the number of blocks per stage.
func efficientDepth(n *network, arch models.Arch) float64 {
	blocks := []int{1, 2, 2, 3, 3, 4, 1}
	if arch == models.EfficientNetV2S {
		blocks = []int{2, 4, 4, 6, 9, 15}
	}
	lo, hi := 0.0, math.Inf(1)
	for s, want := range blocks {
		got := 0
		for {
			if _, ok := n.tensors[models.EncoderPrefix+"features."+strconv.Itoa(s+1)+"."+strconv.Itoa(got)+".block.0.0.weight"]; !ok {
				break
			}
			got++
		}
		if got == 0 {
			return 1
		}
		// ceil(want·dm) = got needs dm ∈ ((got−1)/want, got/want].
		lo = math.Max(lo, float64(got-1)/float64(want))
		hi = math.Min(hi, float64(got)/float64(want))
	}
	if lo < 1 && 1 <= hi {
		return 1
	}
	// Every multiplier in (lo, hi] builds the same network: take the one with fewest decimals.
	for _, scale := range []float64{10, 100, 1000, 1e6} {
		if dm := math.Floor(lo*scale+1) / scale; dm <= hi {
			return dm
		}
	}
	return hi
}

// efficientWidth infers EfficientNet's width multiplier: the first candidate (1, then ratios of
// the stem's and the last layers' widths to the unscaled ones) whose every encoder shape fits.
func efficientWidth(n *network, cfg models.Config, stemOut int) float64 {
	cands := []float64{1, float64(stemOut) / 24, float64(stemOut) / 32}
	for _, w := range []int{1280, 256, 320, 1280 / 4} {
		for k, t := range n.tensors {
			if strings.HasPrefix(k, models.EncoderPrefix+"features.") && strings.HasSuffix(k, ".0.weight") && len(t.Shape) == 4 {
				cands = append(cands, float64(t.Shape[0])/float64(w))
			}
		}
	}
	seen := map[float64]bool{}
	for _, wm := range cands {
		if seen[wm] {
			continue
		}
		seen[wm] = true
		c := cfg
		c.WidthMult = wm
		enc, err := models.Encoder(c)
		if err == nil && fits(enc, n.tensors) {
			return wm
		}
	}
	return 1
}

// fits says whether every float parameter of net is present under the encoder prefix with its
// shape.
func fits(net *models.Network, t map[string]*safetensors.Tensor) bool {
	for _, p := range net.Params() {
		x, ok := t[models.EncoderPrefix+p.Name]
		if !ok && !p.Int || ok && !slices.Equal(x.Shape, p.Shape) {
			return false
		}
	}
	return true
}
