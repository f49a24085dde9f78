package multicrop

import "fmt"

// Slice is a contiguous row range [Start, End) of a batch, the same rows in every view.
type Slice struct {
	Start, End int
}

// Len returns the number of rows in the slice.
func (s Slice) Len() int { return s.End - s.Start }

// Slices cuts a batch of batchSize rows into M = batchSize/miniBatchSize contiguous slices of
// miniBatchSize rows each (SPEC §5). miniBatchSize ≤ 0 means no mini-batching: one slice holding
// the whole batch.
//
// A batch size not divisible by the mini-batch size is an error rather than silently dropped
// rows, as is a mini-batch larger than the batch. Every slice must hold at least two rows: a
// loss matrix needs negatives and BatchNorm in training mode needs more than one sample.
func Slices(batchSize, miniBatchSize int) ([]Slice, error) {
	if batchSize < 2 {
		return nil, fmt.Errorf("multicrop: batch size %d: want ≥ 2", batchSize)
	}
	if miniBatchSize <= 0 {
		miniBatchSize = batchSize
	}
	if miniBatchSize > batchSize {
		return nil, fmt.Errorf("multicrop: mini-batch size %d is larger than the batch size %d: want a divisor of %d", miniBatchSize, batchSize, batchSize)
	}
	if miniBatchSize < 2 {
		return nil, fmt.Errorf("multicrop: mini-batch size %d: want ≥ 2 (each slice scores its rows against each other and runs BatchNorm in training mode)", miniBatchSize)
	}
	if batchSize%miniBatchSize != 0 {
		return nil, fmt.Errorf("multicrop: batch size %d is not divisible by the mini-batch size %d (%d rows would be dropped): want a divisor of %d", batchSize, miniBatchSize, batchSize%miniBatchSize, batchSize)
	}
	m := batchSize / miniBatchSize
	out := make([]Slice, m)
	for i := range out {
		out[i] = Slice{Start: i * miniBatchSize, End: (i + 1) * miniBatchSize}
	}
	return out, nil
}
