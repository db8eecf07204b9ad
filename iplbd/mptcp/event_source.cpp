// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptcp/event_source.hpp"

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/socket.h>

namespace iplb::mptcp {
namespace {

// include/uapi/linux/mptcp.h
constexpr const char *family_name = "mptcp_pm";
constexpr const char *events_group = "mptcp_pm_events";

Error nl_failure(const std::string &what, int error)
{
	return Error{what + ": " + nl_geterror(error)};
}

} // namespace

void EventSource::Close::operator()(nl_sock *sock) const
{
	nl_socket_free(sock);
}

EventSource::~EventSource() = default;

Result<EventSource, Error> EventSource::open()
{
	std::unique_ptr<nl_sock, Close> sock(nl_socket_alloc());
	if (!sock)
		return unexpected(Error{"cannot allocate a netlink socket"});
	if (const int error = genl_connect(sock.get()); error < 0)
		return unexpected(nl_failure("cannot open a generic netlink socket", error));
	const int family = genl_ctrl_resolve(sock.get(), family_name);
	if (family < 0)
		return unexpected(nl_failure(
			"no generic netlink family mptcp_pm (a kernel without MPTCP?)", family));
	const int group = genl_ctrl_resolve_grp(sock.get(), family_name, events_group);
	if (group < 0)
		return unexpected(nl_failure("no multicast group mptcp_pm_events", group));
	// Events are unsolicited: no sequence numbers to check.
	nl_socket_disable_seq_check(sock.get());
	if (const int error = nl_socket_add_membership(sock.get(), group); error < 0)
		return unexpected(
			nl_failure("cannot join mptcp_pm_events (needs CAP_NET_ADMIN)", error));
	if (const int error = nl_socket_set_nonblocking(sock.get()); error < 0)
		return unexpected(nl_failure("cannot make the netlink socket non-blocking", error));
	return EventSource(std::move(sock), static_cast<uint16_t>(family));
}

int EventSource::fd() const
{
	return nl_socket_get_fd(sock_.get());
}

Result<EventBatch, Error> EventSource::receive()
{
	EventBatch batch;
	while (true) {
		const ssize_t got = ::recv(fd(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
		if (got < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				batch.lost = true;
				continue;
			}
			return unexpected(Error{std::string("reading MPTCP events: ") +
						std::strerror(errno)});
		}
		for (auto &decoded : decode_datagram(
			     std::span<const uint8_t>(buffer_.data(), static_cast<size_t>(got)),
			     family_id_)) {
			if (decoded) {
				batch.events.push_back(std::move(*decoded));
			} else {
				if (batch.malformed++ == 0)
					batch.first_error = decoded.error().message;
			}
		}
	}
	return batch;
}

} // namespace iplb::mptcp
