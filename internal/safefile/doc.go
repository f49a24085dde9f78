// Package safefile opens files named by untrusted input (a checkpoint's config.json, an image
// folder, a file list) without the hazards of os.ReadFile on such names: only regular files are
// opened (a FIFO, a device such as /dev/zero or a directory is an error, also behind a symbolic
// link), reads are capped, and [Within] keeps a name inside a root directory after resolving
// symbolic links. Files are opened non-blocking, so a FIFO swapped in after the check cannot
// block the caller either.
//
// The functions are safe for concurrent use.
package safefile
