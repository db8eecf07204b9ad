// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/tcx_link.hpp"

#include "util/unique_fd.hpp"

#include <bpf/bpf.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace iplb {
namespace {

// libbpf 1.1 predates TCX; these are the kernel's values.
constexpr int attach_tcx_ingress = 46;
constexpr int attach_tcx_egress = 47;

Error os_error(const std::string &what, int err)
{
	return Error{what + ": " + std::strerror(err < 0 ? -err : err)};
}

} // namespace

std::string tcx_pin_path(const std::string &dir, const std::string &program, TcxDirection direction,
			 const std::string &ifname)
{
	return dir + "/link-" + program +
	       (direction == TcxDirection::ingress ? "-ingress-" : "-egress-") + ifname;
}

Status attach_tcx(int prog_fd, const std::string &ifname, TcxDirection direction,
		  const std::string &pin_path)
{
	const unsigned ifindex = if_nametoindex(ifname.c_str());
	if (ifindex == 0)
		return unexpected(Error{"no interface " + ifname});
	const char *where = direction == TcxDirection::ingress ? "ingress" : "egress";

	if (UniqueFd pinned(bpf_obj_get(pin_path.c_str())); pinned) {
		if (bpf_link_update(pinned.get(), prog_fd, nullptr) == 0)
			return ok();
		// The interface it was on went away (or came back as another):
		// that link is dead, start over.
		::unlink(pin_path.c_str());
	}
	UniqueFd link(
		bpf_link_create(prog_fd, static_cast<int>(ifindex),
				static_cast<bpf_attach_type>(direction == TcxDirection::ingress
								     ? attach_tcx_ingress
								     : attach_tcx_egress),
				nullptr));
	if (!link)
		return unexpected(
			os_error("cannot attach to " + ifname + " " + where + " (TCX)", errno));
	if (bpf_obj_pin(link.get(), pin_path.c_str()) != 0)
		return unexpected(os_error("cannot pin " + pin_path, errno));
	return ok();
}

Status detach_tcx(const std::string &pin_path)
{
	if (::unlink(pin_path.c_str()) != 0)
		return unexpected(errno == ENOENT ? Error{"not attached (no " + pin_path + ")"}
						  : os_error("cannot unpin " + pin_path, errno));
	return ok();
}

Result<std::vector<uint32_t>, Error> tcx_programs(unsigned ifindex, TcxDirection direction)
{
	const auto type = static_cast<bpf_attach_type>(
		direction == TcxDirection::ingress ? attach_tcx_ingress : attach_tcx_egress);
	// A TCX hook holds at most 64 programs (the kernel's bpf_mprog limit).
	std::vector<uint32_t> ids(64);
	uint32_t count = static_cast<uint32_t>(ids.size());
	// For TCX the kernel reads the target as an ifindex.
	if (bpf_prog_query(static_cast<int>(ifindex), type, 0, nullptr, ids.data(), &count) != 0)
		return unexpected(os_error(
			"cannot list the programs of ifindex " + std::to_string(ifindex), errno));
	ids.resize(count);
	return ids;
}

Result<uint32_t, Error> program_id(int prog_fd)
{
	bpf_prog_info info{};
	uint32_t length = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &length) != 0)
		return unexpected(os_error("cannot read a program's id", errno));
	return info.id;
}

Result<uint32_t, Error> map_id(int map_fd)
{
	bpf_map_info info{};
	uint32_t length = sizeof(info);
	if (bpf_obj_get_info_by_fd(map_fd, &info, &length) != 0)
		return unexpected(os_error("cannot read a map's id", errno));
	return info.id;
}

Result<std::string, Error> program_name(uint32_t id)
{
	UniqueFd fd(bpf_prog_get_fd_by_id(id));
	if (!fd)
		return unexpected(os_error("no program " + std::to_string(id), errno));
	bpf_prog_info info{};
	uint32_t length = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd.get(), &info, &length) != 0)
		return unexpected(os_error("cannot read program " + std::to_string(id), errno));
	return std::string(info.name);
}

} // namespace iplb
