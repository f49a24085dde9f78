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
)
