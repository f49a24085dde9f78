package parallel

import "fmt"

// DefaultBucketBytes is the gradient bucket size when none is given: 25 MiB, as PyTorch's
// DistributedDataParallel (bucket_cap_mb = 25).
const DefaultBucketBytes = 25 << 20

// Tensor describes one gradient for bucket planning.
type Tensor struct {
	// Bytes is the gradient's size in bytes.
	Bytes int64
	// Kind identifies what must not be mixed within a bucket (dtype and device, e.g.
	// "float32/cuda:0"): a bucket is packed into one flat buffer.
	Kind string
}

// PlanBuckets groups tensors, in order, into buckets of at most capBytes bytes and one Kind
// each, and returns the end index of every bucket (the last is len(ts)). A tensor larger than
// capBytes gets a bucket of its own. capBytes ≤ 0 means DefaultBucketBytes.
//
// Fewer, larger buckets cost fewer collectives (each has a fixed latency); smaller ones let
// packing and unpacking overlap the transfer of other buckets.
func PlanBuckets(ts []Tensor, capBytes int64) ([]int, error) {
	if capBytes <= 0 {
		capBytes = DefaultBucketBytes
	}
	var ends []int
	var size int64
	for i, t := range ts {
		if t.Bytes < 0 {
			return nil, fmt.Errorf("parallel: tensor %d has %d bytes: want ≥ 0", i, t.Bytes)
		}
		if i > 0 && (t.Kind != ts[i-1].Kind || size+t.Bytes > capBytes) {
			ends = append(ends, i)
			size = 0
		}
		size += t.Bytes
	}
	if len(ts) > 0 {
		ends = append(ends, len(ts))
	}
	return ends, nil
}
