//go:build !notorch

package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/train"
)

// opProfiler is scl train's --profile-ops: it starts libtorch's operator timing when the first
// step has finished (the first step pays one-time costs: allocations, kernel selection) and
// prints the largest operators by self time, per profiled step, when the run ends.
type opProfiler struct {
	top       int
	startStep int64 // the step after which profiling started; -1 while not running
	startErr  error
}

// wrap returns a progress hook that starts the profile after the first step it sees, then
// calls next.
func (o *opProfiler) wrap(next func(train.Progress)) func(train.Progress) {
	o.startStep = -1
	return func(p train.Progress) {
		if p.Event == train.EventStep && o.startStep < 0 && o.startErr == nil {
			if o.startErr = torch.StartOpProfile(); o.startErr == nil {
				o.startStep = int64(p.Step)
			}
		}
		if next != nil {
			next(p)
		}
	}
}

// finish stops the profile and formats it for a run that ended at step last; "" when no step
// was profiled.
func (o *opProfiler) finish(last int) (string, error) {
	if o.startErr != nil {
		return "", o.startErr
	}
	if o.startStep < 0 {
		return "", nil
	}
	stats, err := torch.StopOpProfile()
	if err != nil {
		return "", err
	}
	steps := int64(last) - o.startStep
	if steps <= 0 || len(stats) == 0 {
		return "", nil
	}
	return opTable(stats, o.startStep+1, int64(last), o.top), nil
}

// opTable formats the top operators of a profile of steps from to to (inclusive): milliseconds of
// self and total time per step, calls per step and each one's share of all the self time.
func opTable(stats []torch.OpStat, from, to int64, top int) string {
	steps := to - from + 1
	var all float64
	for _, s := range stats {
		all += s.Self.Seconds()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "train: the %d largest of %d libtorch operators and backward nodes in steps %d-%d (self: without the operators each one called), per step:\n",
		min(top, len(stats)), len(stats), from, to)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "operator\tself ms\ttotal ms\tcalls\tself share\t")
	per := float64(steps)
	for i, s := range stats {
		if i == top {
			break
		}
		share := 0.0
		if all > 0 {
			share = 100 * s.Self.Seconds() / all
		}
		fmt.Fprintf(w, "%s\t%.2f\t%.2f\t%.1f\t%.1f%%\t\n", s.Name, 1000*s.Self.Seconds()/per, 1000*s.Total.Seconds()/per, float64(s.Calls)/per, share)
	}
	fmt.Fprintf(w, "all operators\t%.2f\t\t\t100.0%%\t\n", 1000*all/per)
	w.Flush()
	writeOpPaths(&b, stats[:min(top, len(stats))], per)
	return b.String()
}

// minPathShare is the smallest share of an operator's self time a call path needs to be listed.
const minPathShare = 0.05

// writeOpPaths lists where the operators ran, for those called from inside other calls: each
// call path with at least minPathShare of the operator's self time, largest first, in ms per
// step and as a share.
func writeOpPaths(b *strings.Builder, stats []torch.OpStat, per float64) {
	header := false
	for _, s := range stats {
		if s.Self <= 0 || len(s.Paths) == 0 || (len(s.Paths) == 1 && s.Paths[0].Path == "") {
			continue
		}
		if !header {
			fmt.Fprintln(b, "train: where they ran (call paths, outermost call first; at least 5% of the operator's self time):")
			header = true
		}
		fmt.Fprintf(b, "  %s\n", s.Name)
		for _, p := range s.Paths {
			share := p.Self.Seconds() / s.Self.Seconds()
			if share < minPathShare {
				break // sorted by self time
			}
			path := p.Path
			if path == "" {
				path = "(called by scl)"
			}
			fmt.Fprintf(b, "    %7.2f ms %5.1f%%  %s\n", 1000*p.Self.Seconds()/per, 100*share, path)
		}
	}
}
