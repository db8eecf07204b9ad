// SPDX-License-Identifier: GPL-2.0-or-later
// The MPTCP connections a backend holds, by token, as the kernel's events
// report them: what it publishes (token -> this backend) so that muxes can
// send a join subflow's SYN to it (docs/LB.md, "MPTCP"). Only connections
// the backend accepted count (server side): its own outgoing ones are
// nobody's business. With each connection, the join subflows the backend
// accepted for it (what it announces, so that every mux sends their later
// packets to it). A pure value: the caller feeds events and publishes the
// changes.
#pragma once

#include "mptcp/mptcp_event.hpp"
#include "util/subflow_key.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace iplb::mptcp {

struct Connection {
	std::optional<IpAddress> local; // the VIP (or address) it was accepted on
	uint16_t local_port = 0;
	std::optional<IpAddress> remote;
	uint16_t remote_port = 0;
	std::set<SubflowKey> joins; // its join subflows, as the client sees them

	friend bool operator==(const Connection &, const Connection &) = default;
};

enum class TokenChange : uint8_t { none, added, removed };

// What one event changed.
struct TableChange {
	TokenChange token = TokenChange::none;
	std::vector<SubflowKey> joined; // join subflows now held
	std::vector<SubflowKey> left;	// join subflows gone (their own close, or the connection's)

	friend bool operator==(const TableChange &, const TableChange &) = default;
};

class TokenTable {
public:
	// A server-side created or established event adds its token (again:
	// no change), a closed event removes it with its join subflows; a
	// sub-established event of a connection held adds a join subflow (the
	// initial subflow's 4-tuple excepted: it goes by its bucket), a
	// sub-closed one removes it; other events change nothing.
	TableChange apply(const Event &event);
	// After events were lost (the socket overflowed): the tokens the
	// kernel holds now replace the table; what that added and removed.
	struct Reconciled {
		std::map<uint32_t, Connection> added;
		std::map<uint32_t, Connection> removed;
	};
	Reconciled replace(std::map<uint32_t, Connection> now);

	const std::map<uint32_t, Connection> &connections() const { return connections_; }
	bool contains(uint32_t token) const { return connections_.contains(token); }
	// Every join subflow of every connection held, and how many (kept as
	// they change: the agent shows it after every batch of events).
	std::set<SubflowKey> joins() const;
	size_t join_count() const { return join_count_; }

private:
	std::map<uint32_t, Connection> connections_;
	size_t join_count_ = 0;
};

} // namespace iplb::mptcp
