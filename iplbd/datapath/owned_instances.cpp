// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/owned_instances.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace iplb {
namespace {

// One line per instance, "<pin root> <instance>"; neither has blanks
// (instance names are checked, the root is ours). A handful of lines: a
// file larger than this is not ours.
constexpr std::streamsize max_record_bytes = 64 * 1024;

Error os_error(const std::string &what)
{
	return Error{what + ": " + std::strerror(errno)};
}

} // namespace

Result<std::set<InstanceRef>, Error> OwnedInstances::load() const
{
	if (path_.empty())
		return memory_;
	std::ifstream in(path_);
	if (!in) {
		if (errno == ENOENT)
			return std::set<InstanceRef>{};
		return unexpected(os_error("cannot read " + path_));
	}
	std::string text(static_cast<size_t>(max_record_bytes) + 1, '\0');
	in.read(text.data(), max_record_bytes + 1);
	if (in.gcount() > max_record_bytes)
		return unexpected(Error{path_ + ": larger than " +
					std::to_string(max_record_bytes) +
					" bytes, not a record of ours"});
	text.resize(static_cast<size_t>(in.gcount()));
	std::set<InstanceRef> refs;
	std::istringstream lines(text);
	std::string line;
	while (std::getline(lines, line)) {
		if (line.empty())
			continue;
		std::istringstream fields(line);
		InstanceRef ref;
		std::string extra;
		if (!(fields >> ref.pin_root >> ref.instance) || (fields >> extra))
			return unexpected(Error{path_ + ": not a record of datapath instances: '" +
						line + "'"});
		refs.insert(std::move(ref));
	}
	return refs;
}

Status OwnedInstances::add(const InstanceRef &ref)
{
	auto refs = load();
	if (!refs)
		return unexpected(refs.error());
	if (!refs->insert(ref).second)
		return ok();
	return save(*refs);
}

Status OwnedInstances::remove(const InstanceRef &ref)
{
	auto refs = load();
	if (!refs)
		return unexpected(refs.error());
	if (refs->erase(ref) == 0)
		return ok();
	return save(*refs);
}

Status OwnedInstances::save(const std::set<InstanceRef> &refs)
{
	if (path_.empty()) {
		memory_ = refs;
		return ok();
	}
	const std::string temporary = path_ + ".new";
	{
		std::ofstream out(temporary, std::ios::trunc);
		if (!out)
			return unexpected(os_error("cannot write " + temporary));
		for (const InstanceRef &ref : refs)
			out << ref.pin_root << ' ' << ref.instance << '\n';
		out.flush();
		if (!out)
			return unexpected(os_error("cannot write " + temporary));
	}
	if (std::rename(temporary.c_str(), path_.c_str()) != 0)
		return unexpected(os_error("cannot replace " + path_));
	return ok();
}

} // namespace iplb
