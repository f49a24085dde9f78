package result

import (
	"fmt"
	"os"
	"strings"
)

var missed []string

// Report prints the figure name (value against baseline, their ratio, the target) with its
// verdict, and a RESULT line: "RESULT|bench|figure|value|baseline|ratio|target|PASS or FAIL".
// pass says whether the target was met.
func Report(bench, figure, value, baseline string, ratio float64, target string, pass bool) {
	verdict := "PASS"
	if !pass {
		verdict = "FAIL"
		missed = append(missed, figure)
	}
	fmt.Printf("%s: %.3f (target %s): %s\n", figure, ratio, target, verdict)
	clean := func(s string) string { return strings.ReplaceAll(s, "|", "/") }
	fmt.Printf("RESULT|%s|%s|%s|%s|%.3f|%s|%s\n", clean(bench), clean(figure), clean(value), clean(baseline), ratio, clean(target), verdict)
}

// Exit ends the program with status 1, naming the figures, when any target was missed.
func Exit() {
	if len(missed) > 0 {
		fmt.Fprintf(os.Stderr, "bench: target missed: %s\n", strings.Join(missed, ", "))
		os.Exit(1)
	}
}
