// SPDX-License-Identifier: GPL-2.0-or-later
// A real Redis server on localhost for the token store's tests: Debian's
// redis-server on a free port, no persistence, in a fresh temporary
// directory; stopped and the directory removed by the destructor, and it
// dies with the test process (PDEATHSIG).
#pragma once

#include "util/result.hpp"
#include "util/status.hpp"

#include <memory>
#include <optional>
#include <string>

#include <sys/types.h>

namespace iplb::cluster::testing {

class RedisServer {
public:
	// $IPLB_REDIS if set, else /usr/bin/redis-server if it is there.
	static std::optional<std::string> find_redis();
	static Result<std::unique_ptr<RedisServer>, Error> start(const std::string &binary);
	~RedisServer();
	RedisServer(const RedisServer &) = delete;
	RedisServer &operator=(const RedisServer &) = delete;

	std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
	// Stopped (SIGKILL) and started again on the same port: with no
	// persistence, empty.
	Status restart();
	// The same in two steps, to keep it down for a while.
	void stop();
	Status start_again() { return spawn(); }

	RedisServer(std::string binary, std::string directory, int port)
	    : binary_(std::move(binary)), directory_(std::move(directory)), port_(port)
	{
	}

private:
	Status spawn();

	std::string binary_;
	std::string directory_;
	int port_ = 0;
	pid_t pid_ = -1;
};

} // namespace iplb::cluster::testing
