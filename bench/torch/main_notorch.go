//go:build notorch

package main

import (
	"fmt"
	"os"
)

// main stands in for the benchmark in builds without libtorch.
func main() {
	fmt.Fprintln(os.Stderr, "torch-bench: this binary was built with -tags notorch, and the benchmark runs libtorch: install libtorch-dev (scripts/setup.sh) and build without the notorch tag")
	os.Exit(2)
}
