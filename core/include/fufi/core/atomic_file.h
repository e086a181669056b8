#pragma once
// The one way fufi writes a file that readers may see at any moment (metrics.json, checkpoints, NPY arrays,
// the synthetic data's metadata, report outputs): readers see the old file or the whole new one, never a
// half-written one, also after a crash of the process or of the node.
//
// How: the bytes go to a temporary file in the same directory (unique per process and call, so concurrent
// writers never share one), every write is checked, the file is fsync'ed, renamed over PATH (atomic within
// one file system), and the directory is fsync'ed so that the rename itself survives a power loss. On any
// error the temporary file is removed and a RuntimeError names the path and the OS error; PATH is untouched.
#include <functional>
#include <string>
#include <string_view>

namespace fufi {

// Replaces PATH with `bytes`. The directory must exist.
void write_file_atomically(const std::string& path, std::string_view bytes);

// The same for writers that need a file name (e.g. torch's OutputArchive::save_to): `write` is called with
// the temporary path and must leave the whole content there, or throw.
void write_file_atomically(const std::string& path, const std::function<void(const std::string& tmp_path)>& write);

}  // namespace fufi
