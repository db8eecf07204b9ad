// SPDX-License-Identifier: GPL-2.0-or-later
// A client session with ospfd's API server: the two TCP channels, the
// registration and synchronisation requests, live LSA events, and
// reconnection with exponential backoff. Non-blocking, driven by the
// host's event loop through IoDriver.
//
// The LSDB mirror it fills is replaced only when a full synchronisation
// has completed, so while ospfd is away (or a resync is under way) readers
// keep the last complete view.
#pragma once

#include "lsdb/api_protocol.hpp"
#include "lsdb/lsa_database.hpp"
#include "util/io_driver.hpp"
#include "util/ipv4.hpp"
#include "util/log.hpp"
#include "util/unique_fd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace iplb {

struct ApiSessionConfig {
	Ipv4 server{0x7f000001}; // 127.0.0.1
	uint16_t port = ospfapi::default_port;
	std::chrono::milliseconds backoff_initial{1000};
	std::chrono::milliseconds backoff_max{30000};

	friend bool operator==(const ApiSessionConfig &, const ApiSessionConfig &) = default;
};

enum class SessionState {
	idle,	     // not started
	connecting,  // TCP connect and the server's connection back
	syncing,     // registration and LSDB dump under way
	established, // synchronised, following live events
	backoff,     // failed; retrying after a delay
};

const char *to_string(SessionState state);

struct SessionCounters {
	uint64_t connect_attempts = 0;
	uint64_t syncs = 0;	     // completed synchronisations
	uint64_t disconnects = 0;    // established or syncing sessions lost
	uint64_t lsa_updates = 0;    // LSA_UPDATE_NOTIFY received
	uint64_t lsa_deletes = 0;    // LSA_DELETE_NOTIFY received
	uint64_t malformed = 0;	     // messages or LSAs that failed to decode, skipped
	uint64_t truncated = 0;	     // LSAs ospfd cut to its buffer (kept, not used)
	uint64_t other_messages = 0; // messages the session has no use for
};

struct SessionStatus {
	SessionState state = SessionState::idle;
	ApiSessionConfig config;
	std::optional<Ipv4> router_id;
	std::string last_error;
	std::chrono::seconds since{0}; // in the current state
	std::optional<std::chrono::milliseconds> retry_in;
	SessionCounters counters;
	size_t lsas = 0;
	// What ospfd says of itself (synchronised after the LSDB, then live).
	size_t reachable_routers = 0; // by its SPF
	size_t interfaces = 0;
	size_t interfaces_up = 0; // not Down
	size_t neighbours = 0;
	size_t neighbours_full = 0;
};

class ApiSession {
public:
	using Clock = std::chrono::steady_clock;

	ApiSession(IoDriver &io, ApiSessionConfig config);
	~ApiSession();
	ApiSession(const ApiSession &) = delete;
	ApiSession &operator=(const ApiSession &) = delete;

	// Starts connecting; a no-op unless idle.
	void start();
	// Closes both channels and goes idle; the mirror is kept.
	void stop();
	// Applies a new server address/port; reconnects if it changed.
	void reconfigure(const ApiSessionConfig &config);

	void set_log(LogSink log) { log_ = std::move(log); }
	// Called when the published database changes: a completed sync, or a
	// live update that changes more than ages and sequence numbers.
	void set_on_change(std::function<void()> on_change) { on_change_ = std::move(on_change); }

	// Readiness of a descriptor this session watches, and its timer.
	void on_io(int fd, bool readable, bool writable);
	void on_timer();

	SessionStatus status() const;
	const LsaDatabase &database() const { return database_; }

private:
	// Registration first, so nothing changes unseen between it and the
	// dump. ospfd answers SYNC_LSDB before it has written the whole dump
	// (one message per write event, on the other channel), so the dump is
	// complete only when the ROUTER_ID_CHANGE answering a later
	// SYNC_ROUTER_ID comes out of the same notification queue: a barrier.
	// Then ospfd's own view: reachable routers, interfaces, neighbours.
	enum class Step {
		none,
		register_event,
		sync_lsdb,
		barrier,
		sync_reachable,
		sync_ism,
		sync_nsm,
		done
	};

	void connect();
	void fail(const std::string &why);
	void forget_ospfd_state();
	void enter(SessionState state);
	void close_channels();

	void on_connected();
	void on_accept();
	void on_readable(int fd);
	void flush();
	void send(std::vector<uint8_t> bytes);
	void next_request();
	void complete_sync();
	void drain(int fd);
	void read_channel(int fd, bool draining);
	void handle(const ospfapi::Message &message, bool async_channel);
	void handle_reply(const ospfapi::Message &message);
	void handle_lsa(const ospfapi::Message &message, bool update);

	void log(LogLevel level, const std::string &message) const
	{
		if (log_)
			log_(level, message);
	}

	IoDriver &io_;
	LogSink log_;
	std::function<void()> on_change_;
	ApiSessionConfig config_;
	SessionState state_ = SessionState::idle;
	Clock::time_point state_since_ = Clock::now();
	Clock::time_point retry_at_{};
	std::chrono::milliseconds backoff_{0};
	std::string last_error_;
	SessionCounters counters_;

	UniqueFd listener_; // waits for the server's async connection
	UniqueFd sync_;	    // requests and replies
	UniqueFd async_;    // notifications and dumps
	ospfapi::FrameReader sync_reader_;
	ospfapi::FrameReader async_reader_;
	std::vector<uint8_t> outbox_;
	bool connected_ = false;
	uint64_t generation_ = 0; // bumped whenever the channels are closed

	Step step_ = Step::none;
	uint32_t next_seq_ = 1;
	uint32_t pending_seq_ = 0;
	bool barrier_replied_ = false;
	bool barrier_seen_ = false;
	std::optional<Ipv4> router_id_;
	std::set<Ipv4> reachable_;
	std::map<Ipv4, uint8_t> interfaces_;		      // address -> ISM state
	std::map<std::pair<Ipv4, Ipv4>, uint8_t> neighbours_; // (interface, address) -> NSM
	LsaDatabase database_;				      // the last complete view
	LsaDatabase incoming_;				      // being synchronised
};

} // namespace iplb
