package server

import "time"

// Defaults New applies to zero fields of Config (scl serve's flags default to them too).
const (
	DefaultModel          = "scl"
	DefaultMaxBatch       = 32
	DefaultMaxWait        = 5 * time.Millisecond
	DefaultRunners        = 1
	DefaultMaxConcurrent  = 256
	DefaultMaxBodyBytes   = 32 << 20
	DefaultMaxImages      = 256
	DefaultRequestTimeout = 30 * time.Second
	DefaultShutdownGrace  = 30 * time.Second
	// DefaultMaxPixelsFactor times the model's input area is the default MaxPixels.
	DefaultMaxPixelsFactor = 16
	// DefaultDecodeRate is the images per second one request may decode after its first
	// MaxBatch images (the bucket's burst). One core decodes and resizes a model-sized image in
	// about 1–3 ms, so a request decoding serially stays below it and normal batches are not
	// delayed; it bites on floods of tiny images that would otherwise hold the decoder.
	DefaultDecodeRate = 2000
)
