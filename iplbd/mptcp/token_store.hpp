// SPDX-License-Identifier: GPL-2.0-or-later
// Where MPTCP tokens are shared between machines: Redis (docs/MPTCP.md).
// A backend publishes `token -> its DIP` for every connection it accepted
// and withdraws it when the connection closes; muxes look tokens up and
// follow the changes on a channel. No TTL: a late subflow must still find
// its backend; stale entries go by the backend's reconcile.
//
//   <prefix>token:<8 hex digits>  -> the DIP that holds the connection
//   channel <prefix>tokens         "+<hex> <dip>" published, "-<hex> <dip>" withdrawn
//
// A backend also announces each join subflow it accepted, so that every
// mux (not only the one the join SYN crossed) sends the subflow's later
// packets, which carry no token, to it:
//
//   <prefix>subflow:<client>,<port>,<vip>,<port>  -> the DIP
//   channel <prefix>subflows    "+<client>,<port>,<vip>,<port> <dip>", "-..."
//
// Every command touches one key (a Redis Cluster may hold them anywhere;
// PUBLISH reaches every node's subscribers).
#pragma once

#include "mptcp/token_messages.hpp"
#include "redis/keyspace.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>

namespace iplb::mptcp {

// What publishing a token found.
struct Published {}; // ours now (or already)
struct Collision {   // another backend holds the same token: it keeps it
	std::string owner;
};
using PublishResult = std::variant<Published, Collision>;

class TokenStore {
public:
	TokenStore(redis::Keyspace &keyspace,
		   std::string prefix = std::string(default_token_prefix))
	    : keyspace_(keyspace), prefix_(std::move(prefix))
	{
	}

	// SET NX: the token is `dip`'s unless another DIP holds it (a
	// collision: the first keeps it, and the second connection's joins
	// reach the first backend, fail their HMAC and are reset: its initial
	// subflow goes on alone).
	Result<PublishResult, Error> publish(uint32_t token, const std::string &dip);
	// Deletes the token if `dip` holds it (never another backend's);
	// whether it did.
	Result<bool, Error> withdraw(uint32_t token, const std::string &dip);
	Result<std::optional<std::string>, Error> lookup(uint32_t token);
	// Every token `dip` holds (SCAN: for the backend's reconcile after a
	// restart or lost events).
	Result<std::set<uint32_t>, Error> owned_by(const std::string &dip);
	// Every token and its DIP (SCAN, then one GET per key: a mux's full
	// read at start and after a reconnect). Keys not of the store's
	// spelling are skipped.
	Result<std::map<uint32_t, std::string>, Error> all();

	// A join subflow `dip` accepted: the key is set whoever held it (a
	// 4-tuple is one connection's at a time, and the backend that reports
	// it knows), and announced.
	Status publish_subflow(const SubflowKey &subflow, const std::string &dip);
	// Deleted if `dip` holds it; whether it did.
	Result<bool, Error> withdraw_subflow(const SubflowKey &subflow, const std::string &dip);
	// Every subflow and its DIP (SCAN, then GET per key).
	Result<std::map<SubflowKey, std::string>, Error> subflows();
	Result<std::set<SubflowKey>, Error> subflows_owned_by(const std::string &dip);

	std::string key(uint32_t token) const { return prefix_ + "token:" + token_hex(token); }
	std::string key(const SubflowKey &subflow) const
	{
		return prefix_ + "subflow:" + subflow_text(subflow);
	}
	std::string channel() const { return token_channel(prefix_); }
	std::string subflows_channel() const { return subflow_channel(prefix_); }

private:
	// One key's Lua script (publish or withdraw: set or delete it and
	// announce "+"/"-" TEXT DIP on `on_channel`), on the key's node.
	Result<redis::Reply, Error> change(const char *script, const std::string &name,
					   const std::string &dip, const std::string &on_channel,
					   const std::string &text);
	Result<bool, Error> withdraw_entry(const std::string &name, const std::string &dip,
					   const std::string &on_channel, const std::string &text,
					   const std::string &what);
	// Every key that starts with `key_prefix` and whose rest `parse` reads,
	// with its value (keys gone between SCAN and GET are skipped; in a
	// cluster, SCAN on every master).
	template <typename Key, typename Parse>
	Result<std::map<Key, std::string>, Error> scan(const std::string &key_prefix, Parse parse);

	redis::Keyspace &keyspace_;
	std::string prefix_;
};

} // namespace iplb::mptcp
