package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/scl-dev/scl/internal/atomicfile"
)

// Kind names what a [Record] describes.
type Kind string

const (
	// KindStep is one optimizer step (or the mean of the steps since the previous record).
	KindStep Kind = "step"
	// KindEval is a periodic evaluation on a labelled split.
	KindEval Kind = "eval"
	// KindCheckpoint is a checkpoint written at a requested time of the run (train's
	// --checkpoint-at).
	KindCheckpoint Kind = "checkpoint"
)

// Record is one line of the metrics file. Fields that do not apply are omitted.
type Record struct {
	// Kind is "step", "eval" or "checkpoint".
	Kind Kind `json:"kind"`
	// Time is the wall-clock time the record was made.
	Time time.Time `json:"time"`
	// Step is the number of optimizer steps completed (1 after the first step).
	Step int `json:"step"`
	// Epoch is the 0-based epoch the step belongs to.
	Epoch int `json:"epoch"`

	// Loss is the step loss (mean over pairs of ℓ_sig + α·KL).
	Loss float64 `json:"loss,omitempty"`
	// KL is the mean KL invariance term, reported separately.
	KL float64 `json:"kl,omitempty"`
	// Gamma is the confidence-penalty exponent used for the step.
	Gamma float64 `json:"gamma"`
	// Beta is the EMA coefficient after the step.
	Beta float64 `json:"beta,omitempty"`
	// Scale is exp(τ) after the step (unclamped).
	Scale float64 `json:"scale,omitempty"`
	// Bias is b after the step.
	Bias float64 `json:"bias,omitempty"`
	// LR is the learning rate used for the step.
	LR float64 `json:"lr,omitempty"`
	// ImagesPerSec is the training throughput in source images per second.
	ImagesPerSec float64 `json:"images_per_sec,omitempty"`
	// LossScale is the dynamic loss scale (fp16 only).
	LossScale float64 `json:"loss_scale,omitempty"`
	// Skipped is true when the loss scaler skipped the step (fp16 overflow).
	Skipped bool `json:"skipped,omitempty"`

	// Checkpoint is the checkpoint directory's name (under the run's checkpoints/), At the
	// requested time of the run in seconds and Elapsed the time it was written at (checkpoint
	// records).
	Checkpoint string  `json:"checkpoint,omitempty"`
	At         float64 `json:"at_s,omitempty"`
	Elapsed    float64 `json:"elapsed_s,omitempty"`

	// Eval holds evaluation results by name, e.g. "knn_top1", "probe_top1" (fractions in [0, 1]).
	Eval map[string]float64 `json:"eval,omitempty"`
}

// Writer appends records to a JSON Lines file. Not safe for concurrent use.
type Writer struct {
	f    *os.File
	path string
	buf  bytes.Buffer
}

// Create opens path for appending, creating it (and its directory) if needed.
// The caller must Close the writer.
func Create(path string) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("metrics: create %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics: create %s: %w", path, err)
	}
	w := &Writer{f: f, path: path}
	// A torn last line from a killed process would glue onto the next record: start on a
	// fresh line if the file does not end with one.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if r, err := os.Open(path); err == nil {
			_, rerr := r.ReadAt(last, st.Size()-1)
			r.Close()
			if rerr == nil && last[0] != '\n' {
				if _, err := f.Write([]byte{'\n'}); err != nil {
					f.Close()
					return nil, fmt.Errorf("metrics: repair %s: %w", path, err)
				}
			}
		}
	}
	return w, nil
}

// Write appends one record as a single line.
func (w *Writer) Write(r Record) error {
	if w == nil || w.f == nil {
		return errors.New("metrics: write on a closed writer")
	}
	w.buf.Reset()
	enc := json.NewEncoder(&w.buf)
	if err := enc.Encode(r); err != nil { // Encode appends the newline.
		return fmt.Errorf("metrics: encode record at step %d: %w", r.Step, err)
	}
	if _, err := w.f.Write(w.buf.Bytes()); err != nil {
		return fmt.Errorf("metrics: write %s: %w", w.path, err)
	}
	return nil
}

// Sync flushes the file to stable storage.
func (w *Writer) Sync() error {
	if w == nil || w.f == nil {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("metrics: sync %s: %w", w.path, err)
	}
	return nil
}

// Close closes the file. It is idempotent.
func (w *Writer) Close() error {
	if w == nil || w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("metrics: close %s: %w", w.path, err)
	}
	return nil
}

// Read returns every record of a metrics file in order. A torn final line (from a killed
// writer) is ignored; a malformed line elsewhere is an error naming the line.
func Read(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("metrics: read: %w", err)
	}
	defer f.Close()
	return decode(f, path)
}

func decode(r io.Reader, path string) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	var out []Record
	var pending error
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if pending != nil {
			return nil, pending
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			// Only fatal if another record follows: a torn last line is expected after kill -9.
			pending = fmt.Errorf("metrics: %s line %d: want one JSON record per line: %w", path, line, err)
			continue
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: read %s: %w", path, err)
	}
	return out, nil
}

// Truncate rewrites the file at path keeping only the records with Step ≤ step, atomically
// (temporary file, fsync, rename). A missing file is not an error.
func Truncate(path string, step int) error {
	recs, err := Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range recs {
		if r.Step <= step {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("metrics: truncate %s: %w", path, err)
			}
		}
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("metrics: truncate %s: %w", path, err)
	}
	return nil
}
