package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/internal/crashpoint"
)

// Checkpoint directories of a run live under OutDir/checkpoints as step-NNNNNNNN. A save goes to
// a hidden temporary directory that is renamed into place once every file is written and
// synced, so a checkpoint directory either exists complete or not at all; a process killed
// mid-save leaves only a temporary directory, removed by the next run.

const (
	checkpointsDir = "checkpoints"
	stepPrefix     = "step-"
	tmpPrefix      = ".tmp-"
)

// CheckpointDir returns the directory of the checkpoint at step under outDir.
func CheckpointDir(outDir string, step int) string {
	return filepath.Join(outDir, checkpointsDir, fmt.Sprintf("%s%08d", stepPrefix, step))
}

// stepOf parses the step of a checkpoint directory name, or returns false.
func stepOf(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, stepPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// ListCheckpoints returns the checkpoint directories under outDir, oldest step first. Temporary
// directories of interrupted saves are not listed.
func ListCheckpoints(outDir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(outDir, checkpointsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("train: list checkpoints: %w", err)
	}
	type item struct {
		step int
		path string
	}
	var items []item
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if step, ok := stepOf(e.Name()); ok {
			items = append(items, item{step, filepath.Join(outDir, checkpointsDir, e.Name())})
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].step < items[j].step })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.path
	}
	return out, nil
}

// LatestCheckpoint returns the newest checkpoint under outDir whose config.json loads, or ""
// when there is none.
func LatestCheckpoint(outDir string) (string, error) {
	dirs, err := ListCheckpoints(outDir)
	if err != nil {
		return "", err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := checkpoint.LoadConfig(dirs[i]); err == nil {
			return dirs[i], nil
		}
	}
	return "", nil
}

// saveCheckpointDir writes c as the checkpoint of step under outDir through a temporary
// directory and a rename, then keeps the newest keep checkpoints (0 keeps all). An existing
// checkpoint of the same step is replaced.
func saveCheckpointDir(outDir string, step int, c *checkpoint.Checkpoint, keep int) (string, error) {
	root := filepath.Join(outDir, checkpointsDir)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	final := CheckpointDir(outDir, step)
	tmp, err := os.MkdirTemp(root, tmpPrefix+filepath.Base(final)+"-")
	if err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	defer os.RemoveAll(tmp) // no-op after the rename
	crashpoint.Hit("save-created-temp")
	if err := checkpoint.Save(tmp, c); err != nil {
		return "", fmt.Errorf("train: checkpoint at step %d: %w", step, err)
	}
	if err := syncDir(tmp); err != nil {
		return "", err
	}
	crashpoint.Hit("save-synced-temp")
	if _, err := os.Stat(final); err == nil {
		// Same step saved twice (e.g. the end of a run that just checkpointed): move the old
		// one aside first, since rename does not replace a non-empty directory.
		old := filepath.Join(root, tmpPrefix+"old-"+filepath.Base(final))
		os.RemoveAll(old)
		if err := os.Rename(final, old); err != nil {
			return "", fmt.Errorf("train: checkpoint: replace %s: %w", final, err)
		}
		defer os.RemoveAll(old)
		crashpoint.Hit("save-moved-same-step")
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	crashpoint.Hit("save-renamed")
	if err := syncDir(root); err != nil {
		return "", err
	}
	if keep > 0 {
		if err := pruneCheckpoints(outDir, keep); err != nil {
			return final, err
		}
	}
	return final, nil
}

// pruneCheckpoints removes all but the newest keep checkpoints. Each is first renamed to a
// temporary name (atomic), so a crash while its files are deleted leaves no half-deleted
// checkpoint under a checkpoint's name, only a temporary directory the next run removes.
func pruneCheckpoints(outDir string, keep int) error {
	dirs, err := ListCheckpoints(outDir)
	if err != nil {
		return err
	}
	for i := 0; i < len(dirs)-keep; i++ {
		doomed := filepath.Join(filepath.Dir(dirs[i]), tmpPrefix+"pruned-"+filepath.Base(dirs[i]))
		if err := os.Rename(dirs[i], doomed); err != nil {
			return fmt.Errorf("train: remove old checkpoint: %w", err)
		}
		crashpoint.Hit("prune-renamed")
		if err := os.RemoveAll(doomed); err != nil {
			return fmt.Errorf("train: remove old checkpoint: %w", err)
		}
	}
	return nil
}

// CrashPoints are the points of a checkpoint save where internal/crashpoint can kill the
// process (SCL_CRASH_POINT), in the order a save reaches them; "save-moved-same-step" only
// when a step is saved twice, "prune-renamed" only when an old checkpoint is removed.
var CrashPoints = []string{"save-created-temp", "checkpoint-wrote-online", "checkpoint-wrote-target",
	"checkpoint-wrote-optimizer", "checkpoint-wrote-config", "save-synced-temp", "save-moved-same-step",
	"save-renamed", "prune-renamed"}

// removeStaleTemps deletes temporary directories left by interrupted saves, after putting
// back a checkpoint that was moved aside for a same-step replacement that never landed.
func removeStaleTemps(outDir string) error {
	root := filepath.Join(outDir, checkpointsDir)
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: checkpoints: %w", err)
	}
	for _, e := range entries {
		if name, ok := strings.CutPrefix(e.Name(), tmpPrefix+"old-"); ok {
			if _, err := os.Stat(filepath.Join(root, name)); errors.Is(err, os.ErrNotExist) {
				if err := os.Rename(filepath.Join(root, e.Name()), filepath.Join(root, name)); err != nil {
					return fmt.Errorf("train: restore checkpoint %s: %w", name, err)
				}
				continue
			}
		}
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				return fmt.Errorf("train: remove interrupted checkpoint: %w", err)
			}
		}
	}
	return nil
}

// syncDir fsyncs a directory so that renames inside it are durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("train: sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("train: sync %s: %w", dir, err)
	}
	return nil
}
