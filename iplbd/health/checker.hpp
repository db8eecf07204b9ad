// SPDX-License-Identifier: GPL-2.0-or-later
// Health checks of a set of backends, run by the controller leader: every
// target is probed on its own interval, all concurrently, on one thread of
// the checker's own (non-blocking sockets and poll(2)), and a target turns
// up after `rise` successful probes in a row and down after `fall` failures
// in a row (docs/DEVELOPMENT.md, "Load balancer: health checks").
#pragma once

#include "health/check.hpp"
#include "util/status.hpp"
#include "util/unique_fd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace iplb::health {

using Clock = std::chrono::steady_clock;

struct TargetStatus {
	Health health = Health::unknown;
	uint32_t consecutive_ok = 0;
	uint32_t consecutive_fail = 0;
	uint64_t probes = 0;	   // finished since the target was (re)configured
	std::string last_error;	   // of the latest probe; empty if it succeeded
	Clock::time_point since{}; // of the last change of health, or of configuration
};

class HealthChecker {
public:
	// Called on transitions only (unknown->up, unknown->down, up->down,
	// down->up), on the checker's thread, in the order they happen, never
	// for a target that set_targets has removed or changed before the call.
	// It may call status() and set_targets(); it must not throw nor destroy
	// the checker, and it delays every probe while it runs.
	using OnChange = std::function<void(const std::string &target_id, Health)>;

	// Starts the thread; throws std::system_error if it cannot get an eventfd.
	explicit HealthChecker(OnChange on_change);
	// Stops the thread promptly: probes in flight are abandoned (their
	// sockets closed), no callback runs after it returns.
	~HealthChecker();
	HealthChecker(const HealthChecker &) = delete;
	HealthChecker &operator=(const HealthChecker &) = delete;

	// Replaces the set of targets. A target whose spec is unchanged keeps
	// its state, counters and schedule; a new or changed one starts unknown
	// and is probed at once; a removed one is forgotten with no callback.
	// Refuses the whole set, changing nothing, if one spec is invalid.
	Status set_targets(std::map<std::string, CheckSpec> targets);

	// A consistent snapshot; callable from any thread.
	std::map<std::string, TargetStatus> status() const;

private:
	// One probe in flight; its socket closes with it.
	struct Probe {
		enum class Stage { connecting, sending, receiving };
		uint64_t serial = 0; // tells a stale poll result from this probe's
		UniqueFd fd;
		Stage stage = Stage::connecting;
		Clock::time_point deadline;
		std::string request; // http
		std::size_t sent = 0;
		std::string received; // up to the status line's end, bounded
	};
	struct Target {
		CheckSpec spec;
		uint64_t generation = 0; // changes when the spec does
		TargetStatus status;
		Clock::time_point next_due;
		std::optional<Probe> probe;
	};
	struct Transition {
		std::string id;
		uint64_t generation;
		Health health;
	};

	void run();
	void start_probe(const std::string &id, Target &target, Clock::time_point now);
	void advance_probe(const std::string &id, Target &target, short revents);
	void finish_probe(const std::string &id, Target &target, std::string error);
	void deliver(std::vector<Transition> transitions);
	void wake();

	OnChange on_change_;
	UniqueFd wake_fd_;	   // an eventfd: set_targets and the destructor end a poll early
	mutable std::mutex mutex_; // targets_, stopping_, pending_, the counters below
	std::mutex deliver_mutex_; // held while callbacks run, so set_targets can wait them out
	std::map<std::string, Target> targets_;
	std::vector<Transition> pending_;
	bool stopping_ = false;
	uint64_t next_generation_ = 1;
	uint64_t next_probe_serial_ = 1;
	std::thread thread_;
};

} // namespace iplb::health
