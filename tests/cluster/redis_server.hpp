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
#include <vector>

#include <sys/types.h>

namespace iplb::cluster::testing {

class RedisServer {
public:
	// $IPLB_REDIS if set, else /usr/bin/redis-server if it is there.
	static std::optional<std::string> find_redis();
	// `extra`: more options (a cluster node's); the port after the
	// server's is free too (a cluster node's bus port).
	static Result<std::unique_ptr<RedisServer>, Error>
	start(const std::string &binary, std::vector<std::string> extra = {});
	~RedisServer();
	RedisServer(const RedisServer &) = delete;
	RedisServer &operator=(const RedisServer &) = delete;

	std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
	int port() const { return port_; }
	const std::string &directory() const { return directory_; }
	// Stopped (SIGKILL) and started again on the same port: with no
	// persistence, empty.
	Status restart();
	// The same in two steps, to keep it down for a while.
	void stop();
	Status start_again() { return spawn(); }

	RedisServer(std::string binary, std::string directory, int port,
		    std::vector<std::string> extra)
	    : binary_(std::move(binary)), directory_(std::move(directory)), port_(port),
	      extra_(std::move(extra))
	{
	}

private:
	Status spawn();

	std::string binary_;
	std::string directory_;
	int port_ = 0;
	std::vector<std::string> extra_;
	pid_t pid_ = -1;
};

// A Redis Cluster of `masters` redis-servers on localhost (no replicas):
// slots split evenly, the nodes introduced (CLUSTER MEET), ready when every
// node says cluster_state:ok and knows every range.
class RedisCluster {
public:
	static Result<std::unique_ptr<RedisCluster>, Error> start(const std::string &binary,
								  int masters = 3);
	std::vector<std::string> endpoints() const;
	RedisServer &node(size_t i) { return *nodes_.at(i); }
	size_t size() const { return nodes_.size(); }

private:
	std::vector<std::unique_ptr<RedisServer>> nodes_;
};

} // namespace iplb::cluster::testing
