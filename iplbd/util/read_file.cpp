// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/read_file.hpp"

#include "util/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace iplb {

std::string size_text(size_t bytes)
{
	constexpr size_t kib = 1024, mib = kib * 1024;
	if (bytes >= mib && bytes % mib == 0)
		return std::to_string(bytes / mib) + " MiB";
	if (bytes >= kib && bytes % kib == 0)
		return std::to_string(bytes / kib) + " KiB";
	return std::to_string(bytes) + " bytes";
}

Result<std::string, Error> read_file_bounded(const std::string &path, size_t limit,
					     std::string_view what)
{
	const auto too_large = [&] {
		return unexpected(Error{path + ": larger than " + size_text(limit) + " (the most " +
					std::string(what) + " may have)"});
	};
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		return unexpected(Error{path + ": cannot open: " + std::strerror(errno)});
	struct stat st {};
	if (::fstat(fd.get(), &st) != 0)
		return unexpected(Error{path + ": " + std::strerror(errno)});
	if (S_ISDIR(st.st_mode))
		return unexpected(Error{path + ": is a directory"});
	if (S_ISREG(st.st_mode) && static_cast<unsigned long long>(st.st_size) > limit)
		return too_large();

	std::string content;
	char chunk[65536];
	for (;;) {
		const ssize_t n = ::read(fd.get(), chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return unexpected(Error{path + ": " + std::strerror(errno)});
		if (n == 0)
			return content;
		if (static_cast<size_t>(n) > limit - content.size())
			return too_large();
		content.append(chunk, static_cast<size_t>(n));
	}
}

} // namespace iplb
