//go:build !notorch

// Command train-bench measures scl train's self-supervised step against the same step written in
// PyTorch (torch_step.py: torchvision/PIL augmentations in a DataLoader with workers, per-view
// forward passes, the 10 pairs, Adam, EMA, from ../shared/SPEC.md) on the same libtorch, side by
// side in one run: every measurement is a fresh child process (scl's through train.Run, exactly
// what `scl train` runs, or /usr/bin/python3 torch_step.py), the two sides alternate within each
// round (the order flips every round), and each child times its own steps after a few untimed
// ones. It prints images/s, CPU-seconds per image and peak RSS for both sides, their ratios, a
// scaling table (1 thread and every CPU; widths 16, 32, 64), and checks the targets, exiting 1
// when one is missed:
//
//   - fp32: scl ≥ 1.15× PyTorch's images/s at every width measured with every core;
//   - scl's default precision on a CPU with native bf16 (bf16): ≥ 1.8× PyTorch fp32;
//   - scl's peak RSS ≤ PyTorch's (main process plus DataLoader workers).
//
// Setting: ResNet-18 with the CIFAR stem, 28×28 Fashion-MNIST, 2 global + 4 local views, batch 64,
// Adam lr 3e-4. Both sides use every core by default: scl with its own default split (see
// train.CPUSplit), PyTorch with torch.set_num_threads(CPUs) and a quarter of the CPUs (≥ 1) as
// DataLoader workers. Each round measures both sides back to back, so a ratio is taken per
// round and the median of the rounds' ratios is reported and checked (a best-of-rounds
// comparison lets one lucky window decide); the CPU-time ratio is the steadier figure under
// load.
//
//	go run ./bench/train                                   # everything (about 40 min on 2 cores)
//	go run ./bench/train -widths 16 -scaling=false         # the demo's width only
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scl-dev/scl/bench/internal/result"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/train"
)

// measurement is one child's report (the JSON line both sides print).
type measurement struct {
	Impl         string  `json:"impl"`
	Width        int     `json:"width"`
	Precision    string  `json:"precision"`
	Threads      int     `json:"threads"`
	Workers      int     `json:"workers"`
	ImagesPerSec float64 `json:"images_per_s"`
	CPUPerImage  float64 `json:"cpu_s_per_image"`
	PeakRSSMB    float64 `json:"peak_rss_mb"`
	WorkerRSSMB  float64 `json:"peak_rss_workers_mb"`
	Loss         float64 `json:"loss"`
	// Phases is the mean wall time per timed step of each phase of the step, in milliseconds,
	// by the names train.Phase prints (both sides time the same phases).
	Phases map[string]float64 `json:"phases_ms_per_step,omitempty"`
	// Ops is, with -ops, the self time per timed step of each libtorch operator and backward
	// node in milliseconds (scl: torch.StartOpProfile; PyTorch: torch.autograd.profiler).
	Ops map[string]float64 `json:"ops_self_ms_per_step,omitempty"`
}

// totalRSS is the peak RSS of the process plus its worker processes (PyTorch's DataLoader).
func (m measurement) totalRSS() float64 { return m.PeakRSSMB + m.WorkerRSSMB }

// benchCase is one configuration measured on both sides.
type benchCase struct {
	width   int
	threads int    // 0: every CPU (each side's default split)
	sclPrec string // scl's --precision ("auto": its default)
	pyPrec  string
	scl, py []measurement
}

func (c *benchCase) name() string {
	th := "every CPU"
	if c.threads > 0 {
		th = fmt.Sprintf("%d thread(s)", c.threads)
	}
	return fmt.Sprintf("width %d, %s, scl %s vs PyTorch %s", c.width, th, c.sclPrec, c.pyPrec)
}

type options struct {
	steps, warmup, rounds, batch, images int
	python, script, device               string
	// memoryFormat is scl's --memory-format (auto: its default).
	memoryFormat string
	// ops > 0 profiles the operators of the timed steps on both sides and prints the ops
	// largest by self time of each main case.
	ops int
}

func main() {
	var o options
	var child, widths, precisions, precision string
	var scaling bool
	var threads, workers, width int
	flag.StringVar(&child, "child", "", "internal: run one measurement of this side (scl) and print it as JSON")
	flag.StringVar(&widths, "widths", "64,16", "ResNet base widths of the main comparison (64: the reference's)")
	flag.StringVar(&precisions, "precisions", "fp32,auto", "scl precisions compared (auto: scl train's default; PyTorch runs fp32 for fp32 and bf16 otherwise)")
	flag.BoolVar(&scaling, "scaling", true, "also the scaling table: 1 thread and every CPU, widths 16, 32, 64, fp32")
	flag.IntVar(&o.steps, "steps", 10, "timed steps per measurement")
	flag.IntVar(&o.warmup, "warmup", 2, "untimed steps before timing")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; each measures both sides of every case, alternating (ratios: the median of the rounds')")
	flag.IntVar(&o.batch, "batch", 64, "batch size")
	flag.IntVar(&o.images, "images", 8192, "Fashion-MNIST training images to draw batches from")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with Debian's python3-torch and python3-torchvision")
	flag.StringVar(&o.script, "script", "bench/train/torch_step.py", "the PyTorch implementation")
	flag.StringVar(&o.device, "device", "cpu", "cpu or cuda[:N] (both sides)")
	flag.StringVar(&o.memoryFormat, "memory-format", "auto", "scl's memory format: auto (its default), contiguous or channels-last")
	flag.IntVar(&o.ops, "ops", 0, "profile every libtorch operator in the timed steps on both sides and print the N largest by self time (the profilers' overhead lowers both sides' images/s: attribute time with it, do not quote its ratios)")
	// Child flags.
	flag.IntVar(&width, "width", 64, "internal (child): ResNet base width")
	flag.StringVar(&precision, "precision", "auto", "internal (child): precision")
	flag.IntVar(&threads, "threads", 0, "internal (child): libtorch threads (0: scl train's default)")
	flag.IntVar(&workers, "workers", 0, "internal (child): augmentation workers (0: scl train's default)")
	flag.Parse()
	// The timing window opens at the end of step -warmup, so at least one untimed step (whose
	// end also keeps start-up costs out of the figures) is needed.
	if o.warmup < 1 || o.steps < 1 || o.rounds < 1 || o.batch < 1 {
		fail(fmt.Errorf("-warmup %d, -steps %d, -rounds %d, -batch %d: want each ≥ 1", o.warmup, o.steps, o.rounds, o.batch))
	}
	if o.ops < 0 {
		fail(fmt.Errorf("-ops %d: want the number of operators to print (0: off)", o.ops))
	}
	if child != "" {
		if child != "scl" {
			fail(fmt.Errorf("-child %q: want scl", child))
		}
		m, err := runSCL(o, width, precision, threads, workers)
		if err != nil {
			fail(err)
		}
		if err := json.NewEncoder(os.Stdout).Encode(m); err != nil {
			fail(err)
		}
		return
	}
	ok, err := compare(o, widths, precisions, scaling)
	if err != nil {
		fail(err)
	}
	if !ok {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "train-bench:", err)
	os.Exit(2)
}

func parseInts(s, what string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("-%s %q: want a comma-separated list of positive integers", what, s)
		}
		out = append(out, v)
	}
	return out, nil
}

// compare runs every case on both sides for o.rounds rounds, prints the tables and reports
// whether every target was met.
func compare(o options, widthList, precList string, scaling bool) (bool, error) {
	widths, err := parseInts(widthList, "widths")
	if err != nil {
		return false, err
	}
	var precs []string
	for _, p := range strings.Split(precList, ",") {
		p = strings.TrimSpace(p)
		if p != "auto" {
			if _, err := train.ParsePrecision(p); err != nil {
				return false, fmt.Errorf("-precisions: %w", err)
			}
		}
		precs = append(precs, p)
	}
	if _, err := os.Stat(o.script); err != nil {
		return false, fmt.Errorf("PyTorch implementation: %w (run from the repository root)", err)
	}
	if out, err := exec.Command(o.python, "-c", "import torch, torchvision").CombinedOutput(); err != nil {
		return false, fmt.Errorf("%s cannot import torch and torchvision (scripts/setup.sh --bench installs python3-torch python3-torchvision): %v: %s",
			o.python, err, bytes.TrimSpace(out))
	}
	self, err := os.Executable()
	if err != nil {
		return false, err
	}
	dev, err := device.Parse(o.device)
	if err != nil {
		return false, fmt.Errorf("-device: %w", err)
	}
	autoPrec, why := train.AutoPrecision(dev, nil)
	fmt.Printf("train-bench: ResNet-18 (CIFAR stem), 28×28 Fashion-MNIST, 2+4 views, batch %d, Adam; %d CPUs; %d rounds of %d timed steps after %d untimed\n",
		o.batch, runtime.NumCPU(), o.rounds, o.steps, o.warmup)
	fmt.Printf("train-bench: scl's default precision here: %s (%s)\n", autoPrec, why)

	var cases []*benchCase
	find := func(w, th int, prec string) *benchCase {
		for _, c := range cases {
			if c.width == w && c.threads == th && c.sclPrec == prec {
				return c
			}
		}
		return nil
	}
	add := func(w, th int, prec string) {
		if find(w, th, prec) != nil {
			return
		}
		py := prec
		if prec == "auto" {
			py = autoPrec.String()
		}
		cases = append(cases, &benchCase{width: w, threads: th, sclPrec: prec, pyPrec: py})
	}
	for _, w := range widths {
		for _, p := range precs {
			add(w, 0, p)
		}
	}
	if scaling {
		for _, w := range []int{16, 32, 64} {
			add(w, 1, "fp32")
			if runtime.NumCPU() > 1 {
				add(w, runtime.NumCPU(), "fp32")
			}
		}
	}
	// PyTorch fp32 with every core is the baseline of the bf16 target: make sure it is measured.
	if autoPrec == train.BF16 && slices.Contains(precs, "auto") {
		for _, w := range widths {
			add(w, 0, "fp32")
		}
	}

	for r := 0; r < o.rounds; r++ {
		for i, c := range cases {
			sides := []string{"pytorch", "scl"}
			if (r+i)%2 == 1 {
				sides[0], sides[1] = sides[1], sides[0]
			}
			for _, side := range sides {
				start := time.Now()
				m, err := measure(o, self, side, c)
				if err != nil {
					return false, fmt.Errorf("round %d, %s, %s: %w", r+1, c.name(), side, err)
				}
				if side == "scl" {
					c.scl = append(c.scl, m)
				} else {
					c.py = append(c.py, m)
				}
				fmt.Printf("round %d  %-52s %-8s %6.2f images/s  %7.4f CPU-s/image  peak RSS %5.0f MB  (%d threads, %d workers, %s, %.0f s)\n",
					r+1, c.name(), side, m.ImagesPerSec, m.CPUPerImage, m.totalRSS(), m.Threads, m.Workers, m.Precision,
					time.Since(start).Seconds())
			}
		}
	}
	return report(o, cases, widths, autoPrec), nil
}

// measure runs one child: scl (this program with -child scl) or the PyTorch script.
func measure(o options, self, side string, c *benchCase) (measurement, error) {
	common := []string{"-device", o.device, "-width", strconv.Itoa(c.width), "-steps", strconv.Itoa(o.steps), "-warmup", strconv.Itoa(o.warmup),
		"-batch", strconv.Itoa(o.batch), "-images", strconv.Itoa(o.images), "-ops", strconv.Itoa(o.ops)}
	var cmd *exec.Cmd
	if side == "scl" {
		args := append([]string{"-child", "scl", "-precision", c.sclPrec, "-memory-format", o.memoryFormat}, common...)
		if c.threads > 0 {
			args = append(args, "-threads", strconv.Itoa(c.threads))
		}
		cmd = exec.Command(self, args...)
	} else {
		args := []string{o.script, "--precision", c.pyPrec}
		for i := 0; i < len(common); i += 2 {
			args = append(args, "-"+common[i], common[i+1])
		}
		if c.threads > 0 {
			args = append(args, "--threads", strconv.Itoa(c.threads))
		}
		cmd = exec.Command(o.python, args...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return measurement{}, fmt.Errorf("%v: %s", err, lastLines(stderr.String(), 5))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var m measurement
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		return m, fmt.Errorf("unreadable report %q: %w", lines[len(lines)-1], err)
	}
	if !(m.ImagesPerSec > 0) {
		return m, fmt.Errorf("report without a throughput: %q", lines[len(lines)-1])
	}
	return m, nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// typical summarises one side's rounds: the median images/s and CPU-seconds per image, the
// highest peak RSS seen (memory is not helped by a quiet machine, so the worst case counts) and
// the phases of the median round.
func typical(ms []measurement) measurement {
	byRate := slices.Clone(ms)
	slices.SortFunc(byRate, func(a, b measurement) int { return cmp.Compare(a.ImagesPerSec, b.ImagesPerSec) })
	t := byRate[len(byRate)/2]
	var rates, cpus []float64
	for _, m := range ms {
		rates, cpus = append(rates, m.ImagesPerSec), append(cpus, m.CPUPerImage)
		if m.totalRSS() > t.totalRSS() {
			t.PeakRSSMB, t.WorkerRSSMB = m.PeakRSSMB, m.WorkerRSSMB
		}
	}
	t.ImagesPerSec, t.CPUPerImage = median(rates), median(cpus)
	return t
}

// median returns the median of v (the mean of the middle two for an even count).
func median(v []float64) float64 {
	v = slices.Sorted(slices.Values(v))
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// comparison is scl's rounds against PyTorch's for one target.
type comparison struct {
	scl, py measurement // each side's rounds summarised (typical)
	// speed and cpu are, round by round, scl's images/s over PyTorch's and PyTorch's
	// CPU-seconds per image over scl's. Within a round the two sides run one after the other
	// (for the bf16 target, PyTorch fp32 is another case of the same round), so a slow spell of
	// a shared machine hits both sides of a ratio.
	speed, cpu []float64
}

func compareRounds(scl, py []measurement) comparison {
	c := comparison{scl: typical(scl), py: typical(py)}
	for r := range min(len(scl), len(py)) {
		c.speed = append(c.speed, scl[r].ImagesPerSec/py[r].ImagesPerSec)
		c.cpu = append(c.cpu, py[r].CPUPerImage/scl[r].CPUPerImage)
	}
	return c
}

// rounds formats the per-round speed ratios.
func (c comparison) rounds() string {
	parts := make([]string, len(c.speed))
	for i, x := range c.speed {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, ", ")
}

// report prints the tables and checks the targets.
func report(o options, cases []*benchCase, widths []int, autoPrec train.Precision) bool {
	fmt.Println()
	fmt.Println("Medians over the rounds; a ratio is the median of the rounds' ratios (each round measures both sides back to back).")
	fmt.Println()
	fmt.Println("| case | scl images/s | PyTorch images/s | ratio | ratio per round | CPU-s/image scl / PyTorch | CPU ratio | peak RSS scl / PyTorch (MB) |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	summaries := make([]comparison, len(cases))
	for i, c := range cases {
		r := compareRounds(c.scl, c.py)
		summaries[i] = r
		s, p := r.scl, r.py
		fmt.Printf("| %s (scl %d threads + %d workers; PyTorch %d + %d) | %.2f | %.2f | **%.2f** | %s | %.4f / %.4f | %.2f | %.0f / %.0f |\n",
			c.name(), s.Threads, s.Workers, p.Threads, p.Workers, s.ImagesPerSec, p.ImagesPerSec, median(r.speed), r.rounds(),
			s.CPUPerImage, p.CPUPerImage, median(r.cpu), s.totalRSS(), p.totalRSS())
	}
	for i, c := range cases {
		if c.threads == 0 {
			printPhases(c.name(), summaries[i].scl, summaries[i].py)
			printOps(c.name(), summaries[i].scl, summaries[i].py, o.ops)
		}
	}
	ok := true
	// check reports one target through bench/internal/result: a RESULT line that
	// scripts/bench.sh writes to bench/results/train.md.
	check := func(what, value, baseline string, got, want float64) {
		pass := got >= want
		ok = ok && pass
		result.Report("train", what, value, baseline, got, fmt.Sprintf("≥ %.2f", want), pass)
	}
	fmt.Println()
	get := func(w, th int, prec string) *benchCase {
		for _, c := range cases {
			if c.width == w && c.threads == th && c.sclPrec == prec {
				return c
			}
		}
		return nil
	}
	for _, w := range widths {
		if c := get(w, 0, "fp32"); c != nil {
			r := compareRounds(c.scl, c.py)
			check(fmt.Sprintf("fp32 width %d, scl/PyTorch images/s, median of rounds %s (CPU-time ratio %.2f)", w, r.rounds(), median(r.cpu)),
				fmt.Sprintf("%.2f images/s", r.scl.ImagesPerSec), fmt.Sprintf("PyTorch fp32 %.2f images/s", r.py.ImagesPerSec), median(r.speed), 1.15)
		}
		if c, base := get(w, 0, "auto"), get(w, 0, "fp32"); c != nil && base != nil && autoPrec == train.BF16 {
			r := compareRounds(c.scl, base.py)
			check(fmt.Sprintf("bf16 (scl's default here) width %d, scl/PyTorch fp32 images/s, median of rounds %s (CPU-time ratio %.2f)", w, r.rounds(), median(r.cpu)),
				fmt.Sprintf("%.2f images/s", r.scl.ImagesPerSec), fmt.Sprintf("PyTorch fp32 %.2f images/s", r.py.ImagesPerSec), median(r.speed), 1.8)
		}
	}
	for i, c := range cases {
		if c.threads != 0 {
			continue
		}
		s, p := summaries[i].scl, summaries[i].py
		check(fmt.Sprintf("peak RSS %s, PyTorch/scl", c.name()), fmt.Sprintf("%.0f MB", s.totalRSS()),
			fmt.Sprintf("PyTorch %.0f MB", p.totalRSS()), p.totalRSS()/s.totalRSS(), 1)
	}
	return ok
}

// printPhases prints where each side's step goes, phase by phase (the fastest round of each):
// the table that says which part of the step a speed-up or a slow-down comes from.
func printPhases(name string, s, p measurement) {
	if len(s.Phases) == 0 || len(p.Phases) == 0 {
		return
	}
	fmt.Printf("\n%s, ms per step:\n\n| phase | scl | PyTorch | PyTorch − scl |\n|---|---|---|---|\n", name)
	var ts, tp float64
	for ph := train.Phase(0); ph < train.NumPhases; ph++ {
		a, b := s.Phases[ph.String()], p.Phases[ph.String()]
		ts, tp = ts+a, tp+b
		fmt.Printf("| %s | %.1f | %.1f | %+.1f |\n", ph, a, b, b-a)
	}
	fmt.Printf("| total | %.1f | %.1f | %+.1f |\n", ts, tp, tp-ts)
}

// printOps prints, with -ops, the operators that take the most self time per step on either
// side (the median round of each), largest first: the table that says which kernels a phase's
// difference comes from. Names are libtorch's on both sides (dispatcher operators and autograd
// nodes), so a row compares the same work.
func printOps(name string, s, p measurement, top int) {
	if top <= 0 || len(s.Ops) == 0 || len(p.Ops) == 0 {
		return
	}
	names := map[string]bool{}
	for _, side := range []map[string]float64{s.Ops, p.Ops} {
		for _, n := range topKeys(side, top) {
			names[n] = true
		}
	}
	rows := slices.SortedFunc(maps.Keys(names), func(a, b string) int {
		return cmp.Or(cmp.Compare(max(p.Ops[b], s.Ops[b]), max(p.Ops[a], s.Ops[a])), cmp.Compare(a, b))
	})
	fmt.Printf("\n%s, operator self time, ms per step (profiled: both sides slower than unprofiled):\n\n| operator | scl | PyTorch | PyTorch − scl |\n|---|---|---|---|\n", name)
	var ts, tp float64
	for _, v := range s.Ops {
		ts += v
	}
	for _, v := range p.Ops {
		tp += v
	}
	for _, n := range rows {
		fmt.Printf("| %s | %.1f | %.1f | %+.1f |\n", n, s.Ops[n], p.Ops[n], p.Ops[n]-s.Ops[n])
	}
	fmt.Printf("| all operators | %.1f | %.1f | %+.1f |\n", ts, tp, tp-ts)
}

// topKeys returns the n keys of m with the largest values, largest first (ties by name).
func topKeys(m map[string]float64, n int) []string {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	return keys[:min(n, len(keys))]
}
