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
// Every command touches one key (a Redis Cluster may hold them anywhere;
// PUBLISH reaches every node's subscribers).
#pragma once

#include "redis/redis_client.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>

namespace iplb::mptcp {

inline constexpr std::string_view default_token_prefix = "iplb:mptcp:";

std::string token_hex(uint32_t token);
std::optional<uint32_t> parse_token_hex(std::string_view text);

// What publishing a token found.
struct Published {}; // ours now (or already)
struct Collision {   // another backend holds the same token: it keeps it
	std::string owner;
};
using PublishResult = std::variant<Published, Collision>;

// The channel a store of `prefix` announces its changes on.
inline std::string token_channel(std::string_view prefix)
{
	return std::string(prefix) + "tokens";
}

// A change on the channel.
struct TokenUpdate {
	bool added = false;
	uint32_t token = 0;
	std::string dip;
	friend bool operator==(const TokenUpdate &, const TokenUpdate &) = default;
};
// "+1a2b3c4d 10.0.0.1" or "-..."; nullopt when malformed (counted by the
// reader: anyone who can publish on the channel can send bytes).
std::optional<TokenUpdate> parse_update(std::string_view payload);

class TokenStore {
public:
	TokenStore(redis::Client &client, std::string prefix = std::string(default_token_prefix))
	    : client_(client), prefix_(std::move(prefix))
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

	std::string key(uint32_t token) const { return prefix_ + "token:" + token_hex(token); }
	std::string channel() const { return token_channel(prefix_); }

private:
	redis::Client &client_;
	std::string prefix_;
};

} // namespace iplb::mptcp
