package dist

import "fmt"

// Backend is a c10d collective backend.
type Backend int

const (
	// Gloo runs collectives over TCP on CPU tensors.
	Gloo Backend = 0
	// NCCL runs collectives on CUDA tensors (builds with -tags nccl only).
	NCCL Backend = 1
	// Auto picks NCCL when CUDA devices and NCCL are available, Gloo otherwise (see Resolve).
	Auto Backend = -1
)

// String returns "gloo", "nccl" or "auto".
func (b Backend) String() string {
	switch b {
	case Gloo:
		return "gloo"
	case NCCL:
		return "nccl"
	case Auto:
		return "auto"
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// ParseBackend parses "auto", "gloo" or "nccl" (the --dist-backend flag).
func ParseBackend(s string) (Backend, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "gloo":
		return Gloo, nil
	case "nccl":
		return NCCL, nil
	}
	return Auto, fmt.Errorf("dist: backend %q: want auto, gloo or nccl", s)
}

// ReduceOp is the element-wise reduction of an all-reduce.
type ReduceOp int

const (
	// Sum adds the ranks' values.
	Sum ReduceOp = 0
	// Avg adds the ranks' values and divides by the world size.
	Avg ReduceOp = 1
	// Max keeps the largest value.
	Max ReduceOp = 2
	// Min keeps the smallest value.
	Min ReduceOp = 3
)

// String returns "sum", "avg", "max" or "min".
func (o ReduceOp) String() string {
	switch o {
	case Sum:
		return "sum"
	case Avg:
		return "avg"
	case Max:
		return "max"
	case Min:
		return "min"
	}
	return fmt.Sprintf("ReduceOp(%d)", int(o))
}

func (o ReduceOp) validate() error {
	if o < Sum || o > Min {
		return fmt.Errorf("dist: reduce op %d: want sum, avg, max or min", int(o))
	}
	return nil
}
