// SPDX-License-Identifier: GPL-2.0-or-later
// A backend's MPTCP token agent (docs/MPTCP.md): on a thread of its own it
// reads the kernel's path-manager events, keeps the table of the
// connections the backend accepted, and keeps Redis saying `token -> this
// backend's DIP` for exactly those: each new token published, each closed
// one withdrawn, everything published again when Redis comes back (a
// restarted Redis has forgotten it all), and a periodic reconcile that
// withdraws what Redis still names this DIP for but the table no longer
// holds (a crash of the agent, a lost withdraw). A collision (another
// backend holds the token) is counted and shown, never overwritten. The
// same for the join subflows it accepted (`subflow -> DIP`): every mux
// learns them, so that a join subflow ECMP moves to another mux keeps
// reaching this backend.
//
// Its log lines go through the sink from the agent's thread: a daemon
// hands them to its loop (util/inbox.hpp).
#pragma once

#include "mptcp/event_source.hpp"
#include "mptcp/token_store.hpp"
#include "mptcp/token_table.hpp"
#include "util/log.hpp"
#include "util/unique_fd.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace iplb::mptcp {

struct TokenAgentOptions {
	std::string dip;		// what Redis maps this backend's tokens to
	std::vector<std::string> redis; // HOST:PORT each, tried in order
	std::string prefix = std::string(default_token_prefix);
	std::chrono::milliseconds redis_timeout{1000};
	std::chrono::milliseconds retry{1000};	    // Redis unreachable: connect again
	std::chrono::milliseconds reconcile{30000}; // against Redis, while connected
};

struct TokenAgentView {
	bool redis_connected = false;
	std::string redis_error;
	size_t tokens = 0;   // connections held (server side)
	size_t subflows = 0; // join subflows held
	size_t pending = 0;  // changes not yet in Redis (tokens and subflows)
	uint64_t published = 0;
	uint64_t withdrawn = 0;
	uint64_t reconciles = 0;
	uint64_t stale_withdrawn = 0; // by a reconcile
	uint64_t subflows_published = 0;
	uint64_t subflows_withdrawn = 0;
	uint64_t stale_subflows_withdrawn = 0; // by a reconcile
	uint64_t malformed_events = 0;
	uint64_t lost_events = 0;		    // socket overflows
	std::map<uint32_t, std::string> collisions; // token -> who holds it
};

class TokenAgent {
public:
	// `events` must be open in the network namespace of the backend's
	// connections.
	TokenAgent(EventSource events, TokenAgentOptions options, LogSink log);
	~TokenAgent();
	TokenAgent(const TokenAgent &) = delete;
	TokenAgent &operator=(const TokenAgent &) = delete;

	TokenAgentView view() const;

private:
	void run();
	void log(LogLevel level, const std::string &message) const;

	EventSource events_;
	TokenAgentOptions options_;
	LogSink log_;
	UniqueFd stop_fd_;
	TokenTable table_;
	// Tokens whose state in Redis must change: true publish, false withdraw.
	std::map<uint32_t, bool> pending_;
	std::map<SubflowKey, bool> pending_subflows_;
	mutable std::mutex mutex_;
	TokenAgentView view_;
	std::thread thread_; // last: its thread uses everything above
};

} // namespace iplb::mptcp
