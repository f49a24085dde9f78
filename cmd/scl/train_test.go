//go:build !notorch

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/train"
)

// parseTrain runs the train flags over args and returns the mapped configuration.
func parseTrain(t *testing.T, args ...string) (train.Config, error) {
	t.Helper()
	var cfg train.Config
	var cerr error
	app := &cli.App{Name: "scl", Commands: []*cli.Command{{
		Name: "train", Flags: trainFlags(),
		Action: func(c *cli.Context) error {
			cfg, cerr = configFromFlags(c)
			return nil
		},
	}}}
	if err := app.Run(append([]string{"scl", "train"}, args...)); err != nil {
		return cfg, err
	}
	return cfg, cerr
}

func TestReferenceREADMECommands(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(c train.Config) bool
	}{
		{
			"cifar10 resnet18",
			strings.Fields(`--dataset_name cifar10 --encoder_model_name resnet18 --fp16_precision --beta 0.99 --alpha 1.0`),
			func(c train.Config) bool {
				return c.ImageSize == 32 && c.ModelStem() == models.StemCIFAR && c.Encoder == "resnet18" && c.Precision == train.FP16 && c.Beta == 0.99 && c.Alpha == 1
			},
		},
		{
			"stl10 resnet50 gamma scaling",
			strings.Fields(`--dataset_name stl10 --encoder_model_name resnet50 --fp16_precision --beta 0.99 --gamma 1.0 --gamma_scaling_steps 20_000 --use_gamma_scaling`),
			func(c train.Config) bool {
				return c.ImageSize == 96 && c.ModelStem() == models.StemImageNet && c.Encoder == "resnet50" && c.Gamma.Scaling && c.Gamma.Steps == 20000 && c.Gamma.Initial == 1
			},
		},
		{
			"single-dash multi-letter aliases",
			strings.Fields(`-m resnet50 -b 128 -mb 32 -lr 1e-3 -wd 1e-6 --num_epochs 50 -save_model_dir runs/x --ckpt_path runs/x/checkpoints/step-00000010 --num_global_views 2 --num_local_views 6 --proj_out_dim 128 --proj_hidden_dim 1024 --update_beta_after_step 3 --update_beta_every_n_steps 2 --use_penalty_filtering`),
			func(c train.Config) bool {
				return c.Encoder == "resnet50" && c.BatchSize == 128 && c.MiniBatchSize == 32 && c.LR == 1e-3 && c.WeightDecay == 1e-6 &&
					c.Epochs == 50 && c.OutDir == "runs/x" && c.Resume == "runs/x/checkpoints/step-00000010" && c.LocalViews == 6 &&
					c.ProjOut == 128 && c.ProjHidden == 1024 && c.UpdateBetaAfter == 3 && c.UpdateBetaEvery == 2 && c.PenaltyFiltering
			},
		},
		{
			"kebab-case names",
			strings.Fields(`--dataset fashion_mnist --encoder resnet18 --width 16 --batch-size 64 --precision bf16 --optimizer lars --lr-schedule cosine --warmup-steps 10`),
			func(c train.Config) bool {
				return c.ImageSize == 28 && c.ModelStem() == models.StemCIFAR && c.Width == 16 && c.BatchSize == 64 && c.Precision == train.BF16 &&
					c.Optimizer == "lars" && c.LRSchedule == "cosine" && c.WarmupSteps == 10
			},
		},
		{
			"precision auto on the CPU",
			strings.Fields(`--device cpu`),
			func(c train.Config) bool {
				want, _ := train.AutoPrecision(device.CPUSpec, nil)
				return c.Precision == want
			},
		},
		{
			"precision asked for",
			strings.Fields(`--device cpu --precision fp32`),
			func(c train.Config) bool { return c.Precision == train.FP32 },
		},
		{
			"fp16 flag wins over auto",
			strings.Fields(`--device cuda --fp16_precision`),
			func(c train.Config) bool { return c.Precision == train.FP16 },
		},
		{
			"view recipe and time horizon",
			strings.Fields(`--global-crop-scale 0.3,1 --local-crop-scale 0.2,0.6 --local-size 16 --blur-prob 0 --solarize-prob 0.1 --jitter-strength 0.5 --max-time 10m --schedule-horizon time`),
			func(c train.Config) bool {
				v := c.Views
				return v.GlobalScale == [2]float64{0.3, 1} && v.LocalScale == [2]float64{0.2, 0.6} && v.LocalSize == 16 &&
					*v.BlurP == 0 && *v.SolarizeP == 0.1 && *v.Jitter == 0.5 && c.LocalSize() == 16 && c.Horizon == train.HorizonTime
			},
		},
		{
			"views smaller than the images: evaluated at the images' size",
			strings.Fields(`--dataset fashion_mnist --image-size 20`),
			func(c train.Config) bool {
				return c.ImageSize == 20 && c.EvalImageSize == 28 && c.DownstreamImageSize() == 28
			},
		},
		{
			"evaluation size asked for",
			strings.Fields(`--dataset fashion_mnist --image-size 20 --eval-image-size 20`),
			func(c train.Config) bool { return c.ImageSize == 20 && c.DownstreamImageSize() == 20 },
		},
		{
			"views of the images' size or larger: evaluated at the views' size",
			strings.Fields(`--dataset fashion_mnist --image-size 32`),
			func(c train.Config) bool {
				return c.ImageSize == 32 && c.EvalImageSize == 0 && c.DownstreamImageSize() == 32
			},
		},
		{
			"checkpoint times and the stride-2 stem",
			strings.Fields(`--checkpoint-at 5m,10m,1h30m --stem cifar-s2`),
			func(c train.Config) bool {
				return slices.Equal(c.CheckpointAt, []time.Duration{5 * time.Minute, 10 * time.Minute, 90 * time.Minute}) &&
					c.ModelStem() == models.StemCIFARStride2
			},
		},
		{
			"defaults",
			nil,
			func(c train.Config) bool {
				d := train.DefaultConfig()
				return c.LR == d.LR && c.WeightDecay == d.WeightDecay && c.Beta == d.Beta && c.Gamma == d.Gamma && c.BatchSize == 256 &&
					c.LogEvery == d.LogEvery && c.Device == d.Device && c.Encoder == d.Encoder && c.Stem == d.Stem &&
					c.Optimizer == d.Optimizer && c.LRSchedule == d.LRSchedule && c.EvalK == d.EvalK && c.KeepCheckpoints == d.KeepCheckpoints &&
					c.Views.IsZero() && c.Horizon == train.HorizonEpochs
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseTrain(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("flags %q gave %+v", tt.args, c)
			}
		})
	}
}

func TestTrainFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{strings.Fields(`-b 100 -mb 48`), "not divisible"},
		{strings.Fields(`--num_global_views 1 --num_local_views 0`), "no (online, target) pair"},
		{strings.Fields(`--precision fp8`), "precision"},
		{strings.Fields(`--fp16_precision --precision bf16`), "contradicts"},
		{strings.Fields(`--dataset folder`), "image-size"},
		{strings.Fields(`-m efficientnet --width 16`), "--width applies to ResNets only"},
		{strings.Fields(`--encoder efficientnet_b0 --stem cifar`), "--stem applies to ResNets only"},
		{strings.Fields(`--global-crop-scale 0.3`), "--global-crop-scale: range \"0.3\""},
		{strings.Fields(`--local-crop-scale 0.6,0.2`), "local crop scale 0.6,0.2"},
		{strings.Fields(`--blur-prob 2`), "blur probability 2"},
		{strings.Fields(`--schedule-horizon time`), "needs a time budget"},
		{strings.Fields(`--schedule-horizon weeks`), "--schedule-horizon"},
		{strings.Fields(`--memory-format nhwc`), "--memory-format"},
		{strings.Fields(`--checkpoint-at 5m,soon`), `"soon": want positive durations`},
		{strings.Fields(`--checkpoint-at 10m,5m`), "increasing order"},
		{strings.Fields(`--stem cifar-s4`), "want auto, cifar, cifar-s2 or imagenet"},
	}
	for _, tt := range tests {
		_, err := parseTrain(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("flags %q: error %v, want one mentioning %q", tt.args, err, tt.want)
		}
	}
}

func TestEvalHoldoutIsTheEndOfTheTrainSplit(t *testing.T) {
	if _, err := os.Stat(filepath.Join(data.FashionMNISTDir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed (%v): run scripts/setup.sh", err)
	}
	full, err := data.Open(data.Source{Name: "fashion_mnist", Split: "train"})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	n := full.Len()
	tests := []struct {
		limit, holdout  int
		wantTrain, want int // memory and scored sizes
		firstScored     int // index in the train split of the first scored image
	}{
		{0, 10000, n - 10000, 10000, n - 10000},
		{20000, 10000, 20000, 10000, n - 10000},
		{5000, 0, 5000, 5000, -1}, // the test split
	}
	for _, tt := range tests {
		var opened []data.Dataset
		e, err := openEvalSplits("fashion_mnist", "", tt.limit, tt.holdout, &opened)
		if err != nil {
			t.Fatal(err)
		}
		if e.Train.Len() != tt.wantTrain || e.Test.Len() != tt.want {
			t.Errorf("limit %d holdout %d: %d memory and %d scored images, want %d and %d",
				tt.limit, tt.holdout, e.Train.Len(), e.Test.Len(), tt.wantTrain, tt.want)
		}
		if tt.firstScored >= 0 {
			a, _ := e.Test.Image(0)
			b, _ := full.Image(tt.firstScored)
			if !bytes.Equal(a.Pix, b.Pix) || e.Test.Label(0) != full.Label(tt.firstScored) {
				t.Errorf("first held-out image is not train image %d", tt.firstScored)
			}
		} else if e.Test.Info().Split != "test" {
			t.Errorf("scored split %q, want test", e.Test.Info().Split)
		}
		for _, d := range opened {
			d.Close()
		}
	}
	var opened []data.Dataset
	if _, err := openEvalSplits("fashion_mnist", "", 0, n, &opened); err == nil || !strings.Contains(err.Error(), "--eval-holdout") {
		t.Errorf("holding out the whole split: error %v, want one naming --eval-holdout", err)
	}
}
