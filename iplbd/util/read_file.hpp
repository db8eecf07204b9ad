// SPDX-License-Identifier: GPL-2.0-or-later
// A whole file read into memory, up to a limit: an input that never ends
// (/dev/zero, a pipe) or is far larger than any real one is refused after
// `limit` bytes instead of exhausting memory.
#pragma once

#include "util/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace iplb {

// The content of `path`; "PATH: cannot open: REASON", or "PATH: larger than
// LIMIT (the most WHAT may have)" as soon as more than `limit` bytes were
// read (at once for a regular file, by its size). `what` names the input:
// "a topology file".
Result<std::string, Error> read_file_bounded(const std::string &path, size_t limit,
					     std::string_view what);

// "64 MiB", "512 KiB" or "100 bytes".
std::string size_text(size_t bytes);

} // namespace iplb
