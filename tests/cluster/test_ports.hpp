// SPDX-License-Identifier: GPL-2.0-or-later
// Ports for the servers the cluster tests start (etcd, Redis) on localhost.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace iplb::cluster::testing {

// Whether `port` can be bound on 127.0.0.1 now.
inline bool port_free(int port)
{
	const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	sockaddr_in address{};
	address.sin_family = AF_INET;
	address.sin_port = htons(static_cast<uint16_t>(port));
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	const bool free = ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
	::close(fd);
	return free;
}

} // namespace iplb::cluster::testing
