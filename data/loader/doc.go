// Package loader turns a data set and a transform into a stream of batches for training and
// feature extraction.
//
// A [Loader] shuffles per epoch (or keeps the data set's order), shards the order across ranks
// (rank r of world size w takes every w-th item of the first ⌊N/w⌋·w, so every rank gets the
// same number of batches), cuts it into batches (DropLast drops a final partial batch) and
// builds them on parallel worker goroutines with bounded prefetch. Batches come back in order.
//
// Each batch holds one contiguous float32 NCHW buffer per view (Batch.Views[v], shape
// [N, C, H, W] from Batch.Shapes[v]), the items' data set indices and int64 labels: ready to be
// wrapped as tensors without another copy. Call Batch.Release when done with it to recycle the
// buffers (optional). Memory: up to Prefetch + Workers batches exist at once; one batch of 256
// STL-10 images with 2 global (96²) and 4 local (41²) RGB views is about 77 MB.
//
// # Determinism and resume
//
// The epoch order is a function of (Seed, epoch); an item's views are drawn from an RNG seeded
// with augment.SeedFor(Seed, epoch, item index). The stream therefore depends on neither the
// number of workers nor scheduling, and Epoch(ctx, e, k) resumes epoch e at batch k producing
// exactly the batches an uninterrupted run would have produced from there.
//
// # Concurrency and shutdown
//
// A Loader is immutable and may run several epochs' iterators at once. An [Iter] is used by one
// goroutine; Close stops its workers and waits for them (also after errors or cancellation of
// the context passed to Epoch).
package loader
