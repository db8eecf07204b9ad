// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptcp/direct_mode.hpp"

#include "util/read_file.hpp"

#include <linux/mptcp.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace iplb::mptcp {
namespace {

constexpr const char *sysctl_path = "/proc/sys/net/mptcp/allow_join_initial_addr_port";

struct SockFree {
	void operator()(nl_sock *sock) const { nl_socket_free(sock); }
};
struct MsgFree {
	void operator()(nl_msg *msg) const { nlmsg_free(msg); }
};

Error nl_failure(const std::string &what, int error)
{
	return Error{"mptcp path manager: " + what + ": " + nl_geterror(error)};
}

// One request to the path manager, acknowledged: 0 or the kernel's
// negative errno.
Result<int, Error> request(uint8_t command, uint8_t id, const IpAddress *address, uint16_t port = 0)
{
	std::unique_ptr<nl_sock, SockFree> sock(nl_socket_alloc());
	if (!sock)
		return unexpected(Error{"mptcp path manager: cannot allocate a netlink socket"});
	if (const int error = genl_connect(sock.get()); error < 0)
		return unexpected(nl_failure("cannot open a generic netlink socket", error));
	const int family = genl_ctrl_resolve(sock.get(), MPTCP_PM_NAME);
	if (family < 0)
		return unexpected(nl_failure("no generic netlink family " MPTCP_PM_NAME, family));
	std::unique_ptr<nl_msg, MsgFree> msg(nlmsg_alloc());
	if (!msg ||
	    !genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, command, MPTCP_PM_VER))
		return unexpected(Error{"mptcp path manager: cannot build a message"});
	nlattr *endpoint = nla_nest_start(msg.get(), MPTCP_PM_ATTR_ADDR | NLA_F_NESTED);
	if (!endpoint)
		return unexpected(Error{"mptcp path manager: cannot build a message"});
	nla_put_u8(msg.get(), MPTCP_PM_ADDR_ATTR_ID, id);
	if (address) {
		if (const auto *v4 = std::get_if<Ipv4>(address)) {
			nla_put_u16(msg.get(), MPTCP_PM_ADDR_ATTR_FAMILY, AF_INET);
			const uint32_t be = htonl(v4->value);
			nla_put(msg.get(), MPTCP_PM_ADDR_ATTR_ADDR4, sizeof(be), &be);
		} else {
			const auto &v6 = std::get<Ipv6>(*address);
			nla_put_u16(msg.get(), MPTCP_PM_ADDR_ATTR_FAMILY, AF_INET6);
			nla_put(msg.get(), MPTCP_PM_ADDR_ATTR_ADDR6, 16, v6.bytes.data());
		}
		if (port != 0) // host order: the kernel converts it
			nla_put_u16(msg.get(), MPTCP_PM_ADDR_ATTR_PORT, port);
		nla_put_u32(msg.get(), MPTCP_PM_ADDR_ATTR_FLAGS, MPTCP_PM_ADDR_FLAG_SIGNAL);
	}
	nla_nest_end(msg.get(), endpoint);
	if (const int error = nl_send_auto(sock.get(), msg.get()); error < 0)
		return unexpected(nl_failure("cannot send", error));
	// The acknowledgement: 0, or the kernel's error (libnl's code).
	const int answer = nl_wait_for_ack(sock.get());
	return answer;
}

} // namespace

Status add_signal_endpoint(const IpAddress &address, uint8_t id, uint16_t port)
{
	if (auto removed = remove_endpoint(id); !removed)
		return removed;
	auto done = request(MPTCP_PM_CMD_ADD_ADDR, id, &address, port);
	if (!done)
		return unexpected(done.error());
	if (*done == -NLE_EXIST)
		return ok(); // the operator's endpoint for the address: it announces it
	if (*done < 0)
		return unexpected(nl_failure(
			"cannot add endpoint " + to_string(address) +
				(port ? " port " + std::to_string(port) : std::string()) +
				" signal (needs CAP_NET_ADMIN)",
			*done));
	return ok();
}

Status remove_endpoint(uint8_t id)
{
	auto done = request(MPTCP_PM_CMD_DEL_ADDR, id, nullptr);
	if (!done)
		return unexpected(done.error());
	if (*done < 0 && *done != -NLE_OBJ_NOTFOUND && *done != -NLE_INVAL)
		return unexpected(
			nl_failure("cannot remove endpoint id " + std::to_string(id), *done));
	return ok();
}

Result<bool, Error> joins_to_initial_address_allowed()
{
	auto text = read_file_bounded(sysctl_path, 16, "a sysctl");
	if (!text)
		return unexpected(text.error());
	return !(text->size() > 0 && (*text)[0] == '0');
}

Status allow_joins_to_initial_address(bool allowed)
{
	std::ofstream out(sysctl_path);
	out << (allowed ? "1\n" : "0\n");
	out.flush();
	if (!out)
		return unexpected(Error{std::string("cannot write ") + sysctl_path + ": " +
					std::strerror(errno) + " (needs root's file access)"});
	return ok();
}

} // namespace iplb::mptcp
