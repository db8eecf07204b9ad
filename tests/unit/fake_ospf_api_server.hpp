// SPDX-License-Identifier: GPL-2.0-or-later
// An in-process stand-in for ospfd's API server, speaking the real protocol
// over loopback TCP: it accepts the request channel, connects back to the
// client's port + 1, answers the requests and plays a script of LSAs.
#pragma once

#include "util/unique_fd.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace iplb::test {

struct FakeServerScript {
	uint32_t router_id = 0x0a000001;	      // 10.0.0.1
	std::vector<std::vector<uint8_t>> dump;	      // LSAs sent for SYNC_LSDB
	std::vector<std::vector<uint8_t>> after_sync; // LSA_UPDATE_NOTIFY bodies
	std::vector<std::vector<uint8_t>> deletes;    // LSA_DELETE_NOTIFY bodies
	std::vector<std::vector<uint8_t>> raw_async;  // arbitrary frames, after sync
	std::vector<std::vector<uint8_t>> late_async; // and these, late_delay later
	std::chrono::milliseconds late_delay{0};
	// ospfd's own view, answered to SYNC_REACHABLE / SYNC_ISM / SYNC_NSM.
	struct Interface {
		uint32_t address, area;
		uint8_t state;
	};
	struct Neighbour {
		uint32_t interface, address, router_id;
		uint8_t state;
	};
	std::vector<uint32_t> reachable;
	std::vector<Interface> interfaces;
	std::vector<Neighbour> neighbours;
	bool refuse_state_sync = false; // like an ospfd without those requests
	int8_t register_reply = 0;
	bool close_after_sync = false; // once the client has synchronised everything
};

class FakeOspfApiServer {
public:
	explicit FakeOspfApiServer(FakeServerScript script);
	~FakeOspfApiServer();

	uint16_t port() const { return port_; }
	int sessions() const { return sessions_.load(); }
	// Request types received, in order, over all sessions.
	std::vector<uint8_t> requests() const;
	// Body sizes of those requests.
	std::vector<size_t> request_sizes() const;
	// Replaces the script for the next sessions.
	void set_script(FakeServerScript script);

private:
	void serve();
	void serve_one(int sync_fd);

	UniqueFd listener_;
	uint16_t port_ = 0;
	std::atomic<bool> stopping_{false};
	std::atomic<int> sessions_{0};
	mutable std::mutex mutex_;
	FakeServerScript script_;
	std::vector<uint8_t> requests_;
	std::vector<size_t> request_sizes_;
	std::thread thread_;
};

// A loopback port nobody listens on.
uint16_t unused_port();

} // namespace iplb::test
