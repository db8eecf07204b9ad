// SPDX-License-Identifier: GPL-2.0-or-later
// What the MPTCP tests share: the socket constants glibc may lack, and the
// loopback of a network namespace a test thread has just unshared.
#pragma once

#include "util/unique_fd.hpp"

#include <cstring>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

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

} // namespace iplb::mptcp::testing
