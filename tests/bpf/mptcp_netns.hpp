// SPDX-License-Identifier: GPL-2.0-or-later
// What the MPTCP tests share: the socket constants glibc may lack, and a
// network namespace of a test's own (a thread that unshares it, lo up).
#pragma once

#include "util/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <functional>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <thread>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif

namespace iplb::mptcp::testing {

// Brings lo up in the caller's network namespace.
inline bool loopback_up()
{
	UniqueFd sock(::socket(AF_INET, SOCK_DGRAM, 0));
	ifreq request{};
	std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
	if (!sock || ::ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0)
		return false;
	request.ifr_flags |= IFF_UP;
	return ::ioctl(sock.get(), SIOCSIFFLAGS, &request) == 0;
}

// Runs `body` on a thread of its own in a new network namespace with lo up,
// where MPTCP sockets can be opened: the namespace goes with the thread.
// Why it could not (not root, no MPTCP in the kernel: the test skips with
// it), or empty once `body` ran.
inline std::string in_mptcp_netns(const std::function<void()> &body)
{
	std::string skip;
	std::thread([&] {
		if (::unshare(CLONE_NEWNET) != 0) {
			skip = std::string("cannot unshare a network namespace (root needed): ") +
			       std::strerror(errno);
			return;
		}
		if (!loopback_up()) {
			skip = std::string("cannot bring lo up: ") + std::strerror(errno);
			return;
		}
		if (UniqueFd probe(::socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)); !probe) {
			skip = std::string("this kernel has no MPTCP sockets: ") +
			       std::strerror(errno);
			return;
		}
		body();
	}).join();
	return skip;
}

} // namespace iplb::mptcp::testing
