// SPDX-License-Identifier: GPL-2.0-or-later
// A mux's MPTCP token mirror (docs/MPTCP.md): on a thread of its own it
// keeps the mux's token map equal to what the backends published in Redis,
// so that a join SYN finds its backend in the map when it arrives.
//
// - Push: it subscribes to the store's channel and applies every "+"/"-" as
//   it comes. It subscribes before it reads the whole store (SCAN) at start
//   and after every reconnect, so that no change made during the read is
//   missed (those applied after it are idempotent).
// - Misses: the datapath hands over the joins it dropped (unknown token),
//   with their frames; each token is looked up (GET) and, found, written,
//   and the join sent again through the datapath at once (replay), instead
//   of at the client's SYN retransmission about 1 s later. A token Redis
//   does not have yet (the join overtook the backend's publish) is parked
//   for a while: if its "+" comes, the join is sent then.
// - Redis unreachable: the map is left as it is (cached tokens keep
//   working), misses are counted as unanswered, and it connects again.
// - Subflows: the backends' announcements of the join subflows they
//   accepted (a second channel; the whole set read after each connect,
//   not at the periodic reads: the pushes keep it) go into the mux's
//   subflow map, so a join subflow that ECMP moves here from another mux
//   reaches its backend. No stale removal: the map is an LRU that the
//   program writes too (at each join it sends), a new connection on a
//   4-tuple clears its entry, and each subflow's "-" removes it.
// - Stale entries: a token the store no longer has is removed when two
//   full reads in a row miss it (or at its "-"). Not at the first: a Redis
//   that restarted is empty until the backends publish again, which they do
//   at once when they reconnect; removing everything then would drop the
//   joins of every live connection meanwhile.
//
// Its log lines go through the sink from the mirror's thread: a daemon hands
// them to its loop (util/inbox.hpp).
#pragma once

#include "mptcp/token_store.hpp"
#include "util/log.hpp"
#include "util/result.hpp"
#include "util/status.hpp"
#include "util/unique_fd.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace iplb::mptcp {

// A join the datapath dropped for want of its token.
struct DroppedJoin {
	uint32_t token = 0;
	std::vector<uint8_t> frame; // as it arrived (empty: not kept)
	uint32_t ifindex = 0;	    // where
	uint32_t rx_queue = 0;
};

// The mux's token map and its misses, as the mirror needs them (MuxMaps in
// iplbd, roles/lb_mux_dataplane; an in-memory one in the tests). Called
// from the mirror's thread only.
class TokenDataplane {
public:
	virtual ~TokenDataplane() = default;
	// `dip` as the store has it (an address in text): refused when it does
	// not parse.
	virtual Status set_token(uint32_t token, const std::string &dip) = 0;
	virtual Status remove_token(uint32_t token) = 0;
	virtual Result<std::map<uint32_t, std::string>, Error> tokens() const = 0;
	virtual Status set_subflow(const SubflowKey &subflow, const std::string &dip) = 0;
	virtual Status remove_subflow(const SubflowKey &subflow) = 0;
	// Readable (poll) when misses wait; -1: none are reported.
	virtual int misses_fd() const = 0;
	virtual Result<std::vector<DroppedJoin>, Error> read_misses() = 0;
	// Sends a dropped join again, its token now in the map; refused when
	// it cannot (no frame kept, a kernel without live replay).
	virtual Status replay(const DroppedJoin &join) = 0;
};

struct TokenMirrorOptions {
	std::vector<std::string> redis; // HOST:PORT each, tried in order
	std::string prefix = std::string(default_token_prefix);
	std::chrono::milliseconds redis_timeout{1000};
	std::chrono::milliseconds retry{1000};	 // Redis unreachable: connect again
	std::chrono::milliseconds resync{30000}; // a full read, while connected
	// How long a dropped join whose token Redis lacks waits for its "+"
	// (the backend's publish is about a millisecond behind).
	std::chrono::milliseconds park{500};
};

struct TokenMirrorView {
	bool redis_connected = false;
	std::string redis_error;
	uint64_t full_reads = 0;      // SCANs of the whole store
	uint64_t updates = 0;	      // "+"/"-" applied from the channel
	uint64_t malformed = 0;	      // channel messages or store values refused
	uint64_t stale_removed = 0;   // by two full reads in a row
	uint64_t subflow_updates = 0; // "+"/"-" applied from the subflow channel
	uint64_t subflows_read = 0;   // written by the full read after a connect
	uint64_t misses = 0;	      // joins the datapath dropped, handed over
	uint64_t miss_found = 0;      // looked up and written
	uint64_t miss_unknown = 0;    // the store has no such token either
	uint64_t miss_unanswered = 0; // Redis unreachable: not looked up
	uint64_t replayed = 0;	      // dropped joins sent again once their token came
	uint64_t replay_errors = 0;   // could not be sent again (the client's retransmission will)
	uint64_t parked_expired = 0;  // no token came in time
	uint64_t dataplane_errors = 0;
};

class TokenMirror {
public:
	TokenMirror(TokenDataplane &dataplane, TokenMirrorOptions options, LogSink log);
	~TokenMirror();
	TokenMirror(const TokenMirror &) = delete;
	TokenMirror &operator=(const TokenMirror &) = delete;

	TokenMirrorView view() const;

private:
	void run();
	void log(LogLevel level, const std::string &message) const;

	TokenDataplane &dataplane_;
	TokenMirrorOptions options_;
	LogSink log_;
	UniqueFd stop_fd_;
	mutable std::mutex mutex_;
	TokenMirrorView view_;
	std::thread thread_; // last: its thread uses everything above
};

} // namespace iplb::mptcp
