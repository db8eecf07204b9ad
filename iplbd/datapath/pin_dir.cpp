// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/pin_dir.hpp"

#include "util/status.hpp"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace iplb {

Status check_instance(std::string_view instance)
{
	if (instance.empty() || instance.size() > 64 || instance[0] == '.')
		return unexpected(Error{"bad instance name '" + std::string(instance) + "'"});
	for (char c : instance)
		if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
		      c == '.'))
			return unexpected(Error{"bad instance name '" + std::string(instance) +
						"': letters, digits, '-', '_' and '.' only"});
	return ok();
}

namespace {

bool is_bpffs(const std::string &path)
{
	struct statfs fs {};
	return ::statfs(path.c_str(), &fs) == 0 &&
	       static_cast<unsigned long>(fs.f_type) == BPF_FS_MAGIC;
}

Status make_dirs(const std::string &path)
{
	for (size_t slash = 1; slash != std::string::npos;) {
		slash = path.find('/', slash + 1);
		const std::string prefix = path.substr(0, slash);
		if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST)
			return unexpected(
				Error{"cannot create " + prefix + ": " + std::strerror(errno)});
	}
	return ok();
}

Status mount_bpffs(const std::string &root)
{
	if (auto s = make_dirs(root); !s)
		return s;
	if (::mount("bpf", root.c_str(), "bpf", 0, "mode=0700") != 0)
		return unexpected(
			Error{"cannot mount a bpffs on " + root + ": " + std::strerror(errno)});
	return ok();
}

} // namespace

Result<PinDir, Error> prepare_pin_dir(std::string_view root_view, std::string_view instance)
{
	if (auto s = check_instance(instance); !s)
		return unexpected(s.error());
	const std::string root(root_view);
	if (!is_bpffs(root))
		if (auto s = mount_bpffs(root); !s)
			return unexpected(s.error());
	PinDir dir{root + "/" + std::string(instance)};
	if (::mkdir(dir.path.c_str(), 0700) != 0 && errno != EEXIST)
		return unexpected(Error{"cannot create " + dir.path + ": " + std::strerror(errno)});
	return dir;
}

Result<PinDir, Error> existing_pin_dir(std::string_view root, std::string_view instance)
{
	if (auto s = check_instance(instance); !s)
		return unexpected(s.error());
	PinDir dir{std::string(root) + "/" + std::string(instance)};
	struct stat st {};
	if (!is_bpffs(std::string(root)) || ::stat(dir.path.c_str(), &st) != 0)
		return unexpected(Error{"no iplb datapath '" + std::string(instance) +
					"' (nothing at " + dir.path + ")"});
	return dir;
}

} // namespace iplb
