// Package atomicfile writes files so that a reader sees either the old content or the complete
// new content under the final name, never a partial write.
//
// A File is a temporary file created beside its target (".<base>.tmp-*" in the target's
// directory, so the final rename stays within one file system). Commit syncs it, sets mode 0644,
// closes it, renames it over the target and syncs the directory (best effort: some file systems
// refuse fsync on directories). Abort closes and removes the temporary file; it is idempotent and a
// no-op after Commit, so `defer f.Abort()` is the intended pattern. Create makes the target's
// parent directories (mode 0755, subject to the umask) when they are missing; an aborted write
// leaves such directories in place.
//
// Write and WriteFile are the one-call forms for content produced by a function or held in memory.
//
// Errors are prefixed "atomicfile:" and name the target path. A File is not safe for concurrent
// use; the caller owns it until Commit or Abort.
package atomicfile
