#pragma once
// The one way fufi writes a file (metrics.json, epochs.jsonl, checkpoints, NPY arrays, the synthetic data's
// files, report outputs, step diagnostics): readers see the old file or the whole new one, never a
// half-written one, also after a crash of the process or of the node, and a failure never leaves a 0-byte or
// truncated file under a real name.
//
// How: the bytes go to a temporary file in the same directory (unique per process and call, so concurrent
// writers never share one), every write is checked, the file is fsync'ed, renamed over PATH (atomic within
// one file system), and the directory is fsync'ed so that the rename itself survives a power loss. On any
// error the temporary file is removed and an IoError (ErrorClass::Io, exit 1) names PATH and the OS error
// ("No space left on device", "File too large"); PATH is untouched.
//
// What PATH may be (issue #20): absent, a regular file, or a symlink to a regular file, which is written
// through (the symlink stays, its target is replaced). Anything else that exists (a directory, a character
// or block device such as /dev/null, a FIFO, a socket, a dangling symlink) is refused with an InputError
// (exit 2) naming PATH and what it is: fufi never replaces what is not its own regular file.
#include <functional>
#include <string>
#include <string_view>

namespace fufi {

// Replaces PATH with `bytes`. The directory must exist.
void write_file_atomically(const std::string& path, std::string_view bytes);

// The same for writers that need a file name: `write` is called with the temporary path and must leave the
// whole content there, or throw. Prefer the byte form: a library writing to a file name may fail in a way
// that escapes as an abort (torch's stream writer throws from its destructor).
void write_file_atomically(const std::string& path, const std::function<void(const std::string& tmp_path)>& write);

// Appends `bytes` to PATH (created if absent), for append-only logs (epochs.jsonl, step diagnostics): every
// write is checked and the file fsync'ed; on error the file is cut back to its previous size (no torn line
// is left) and an IoError names PATH and the OS error. PATH must be absent or regular, as above.
void append_to_file(const std::string& path, std::string_view bytes);

// The file that writing PATH would replace: PATH itself, or the target of a symlink. InputError (exit 2)
// when PATH exists and is not a regular file or a symlink to one. Exposed for callers that check an output
// path before doing long work (fufi infer, fufi data synth).
std::string checked_output_path(const std::string& path);

}  // namespace fufi
