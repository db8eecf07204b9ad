// SPDX-License-Identifier: GPL-2.0-or-later
// The keys of one Redis server or of a Redis Cluster, behind one interface
// (docs/MPTCP.md, "Redis Cluster"). Connected to a cluster (it asks the
// first endpoint that answers for CLUSTER SLOTS), a command about a key
// goes to the master of the key's hash slot, a MOVED or ASK redirect is
// followed (the slot map is read again after a MOVED), and a scan runs on
// every master. Against a server without cluster support, everything goes
// to that server. Not thread-safe, like the clients it holds.
#pragma once

#include "redis/redis_client.hpp"
#include "util/result.hpp"

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iplb::redis {

// The hash slot of a key (CRC16/XMODEM of the key, or of its hash tag
// "{...}" when it has a non-empty one, modulo 16384: the cluster
// specification's).
uint16_t key_slot(std::string_view key);

// A redirect a cluster node answered with ("MOVED 3999 127.0.0.1:7002",
// "ASK ..."), read from a command's error; nullopt for other errors.
struct Redirect {
	bool ask = false; // ASK: this command only; MOVED: the slot moved
	uint16_t slot = 0;
	std::string endpoint;
	friend bool operator==(const Redirect &, const Redirect &) = default;
};
std::optional<Redirect> redirect_of(const Error &error);

class Keyspace {
public:
	static Result<Keyspace, Error> connect(std::span<const std::string> endpoints,
					       std::chrono::milliseconds timeout);

	// `args` about `key`, on the node that holds the key.
	Result<Reply, Error> command(const std::string &key, std::span<const std::string> args);
	Result<Reply, Error> command(const std::string &key,
				     std::initializer_list<std::string> args)
	{
		const std::vector<std::string> v(args);
		return command(key, std::span<const std::string>(v));
	}
	// Every key matching `pattern` (SCAN on every master).
	Result<std::vector<std::string>, Error> keys(const std::string &pattern);

	bool cluster() const { return !slots_.empty(); }
	// The masters it knows (1 for a single server).
	size_t nodes() const { return nodes_.size(); }
	// The endpoint it connected to first: one a subscriber can use too
	// (PUBLISH reaches every node's subscribers in a cluster).
	const std::string &endpoint() const { return first_; }

private:
	struct Node {
		std::string endpoint;
		std::optional<Client> client; // connected when first needed
	};
	struct SlotRange {
		uint16_t first = 0, last = 0;
		size_t node = 0; // index in nodes_
	};

	Keyspace(std::string first, std::chrono::milliseconds timeout)
	    : first_(std::move(first)), timeout_(timeout)
	{
	}
	Result<Client *, Error> client(size_t node);
	size_t node_of(const std::string &endpoint);
	// CLUSTER SLOTS from `client`: false (and no error) for a server
	// without cluster support.
	Result<bool, Error> read_slots(Client &client);

	std::string first_;
	std::chrono::milliseconds timeout_;
	std::vector<Node> nodes_;
	std::vector<SlotRange> slots_; // empty: a single server, nodes_[0]
};

} // namespace iplb::redis
