// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's controller (docs/LB.md, "The controller"). Every node
// configured with `lb controller` runs one; they elect a leader through an
// etcd lease, and only the leader writes. For each VIP it
//
//   1. stores the health of its backends and when each was drained (status),
//   2. computes the next map when the pool the VIP should serve changes
//      (plan.hpp), and writes it as `prepared` (version v+1),
//   3. commits it (`map` := v+1, `prepared` removed) once every live mux has
//      acknowledged it, loaded or not, or after ack_timeout,
//
// one prepared version per VIP at a time. A standby follows the same copy of
// etcd (mirror.hpp) and takes over when the leader's key goes with its
// lease; it continues from the stored map and status, so nothing moves that
// the pool does not ask to. Every write is a transaction that holds only
// while the writer's lease is the leader key's, so a deposed leader cannot
// write.
//
// It runs on a thread of its own (etcd calls block, bounded by the client's
// timeouts); status() is a snapshot for show, safe from any thread.
#pragma once

#include "cluster/etcd_client.hpp"
#include "lbcontrol/decoded.hpp"
#include "lbcontrol/lease_timer.hpp"
#include "lbcontrol/schema.hpp"
#include "lbcontrol/worker.hpp"
#include "util/log.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace iplb::lbcontrol {

// The health checks the leader runs (health.hpp adapts the checker); the
// controller tells it what to check and reads what it saw.
class HealthMonitor {
public:
	virtual ~HealthMonitor() = default;
	// The checks to run from now on, one per backend of each VIP with a
	// check; an empty map stops every check. Called at every step of the
	// leader: checks that did not change keep their state.
	virtual void set_checks(const std::map<VipId, VipConfig> &vips) = 0;
	// What the checks say of each backend of the VIP (unknown until they
	// conclude).
	virtual std::map<lb::Dip, Health> observed(const VipId &vip) const = 0;
	// Called (from any thread) when an observation changes.
	virtual void set_on_change(std::function<void()> on_change) = 0;
};

struct ControllerOptions {
	std::string name; // this node, check_member_name()
	std::string prefix = std::string(default_prefix);
	int64_t lease_ttl = 5;			     // seconds
	std::chrono::milliseconds ack_timeout{5000}; // a mux that does not answer
	std::chrono::milliseconds retry_delay{1000}; // after a failed etcd call
	std::function<uint32_t()> clock;	     // unix seconds; time(NULL) if empty
	// stop() revokes the lease, so a standby takes over at once; false
	// leaves it to expire, as a crash does (tests).
	bool revoke_on_stop = true;
};

struct ControllerVipView {
	VipId vip;
	uint32_t committed = 0;		  // generation, 0: none
	uint32_t prepared = 0;		  // 0: none pending
	std::vector<std::string> acked;	  // of the prepared version, loaded
	std::vector<std::string> failed;  // answered that they could not load it
	std::vector<std::string> waiting; // live muxes that have not answered
	std::vector<lb::Backend> pool;	  // what the committed map serves
	VipStatus status;
	std::string error; // why the VIP is not being planned (a bad value)
	// A change waiting so as not to move a bucket twice within the drain
	// timeout (unix seconds; 0: none held).
	uint32_t held_until = 0;
};

struct ControllerView {
	std::string name;
	bool leader = false;
	std::string leader_name; // "" when there is none
	bool etcd_connected = false;
	std::string etcd_error;
	std::vector<std::string> muxes; // live
	std::vector<ControllerVipView> vips;
	uint64_t prepares = 0; // versions written by this node
	uint64_t commits = 0;
	uint64_t commits_incomplete = 0; // committed at ack_timeout without every answer
	uint64_t malformed = 0;		 // values refused by the decoders
	uint64_t terms = 0;		 // times this node became leader
	uint64_t holds = 0;		 // changes held back (a bucket's second move)
};

class Controller {
public:
	Controller(std::vector<std::string> endpoints, ControllerOptions options,
		   std::unique_ptr<HealthMonitor> health, LogSink log = {});
	~Controller();
	Controller(const Controller &) = delete;
	Controller &operator=(const Controller &) = delete;

	// Resigns (revokes the lease, so a standby takes over at once) and
	// stops the thread.
	void stop();
	ControllerView view() const;

private:
	struct Pending {
		uint32_t generation = 0;
		std::chrono::steady_clock::time_point seen;
	};

	void run();
	void step();
	bool campaign();
	void keep_alive();
	void resign(const std::string &why);
	void reconcile();
	void reconcile_vip(const VipId &vip);
	void remove_vip(const VipId &vip);
	bool leader_write(cluster::Txn txn, const std::string &what);
	uint32_t now() const;
	std::vector<std::string> live_muxes() const;
	void publish();
	void log(LogLevel level, const std::string &message) const
	{
		if (log_)
			log_(level, "lb controller " + options_.name + ": " + message);
	}

	ControllerOptions options_;
	Keys keys_;
	std::unique_ptr<HealthMonitor> health_;
	LogSink log_;
	DecodeCache cache_;
	cluster::EtcdClient client_;
	std::unique_ptr<class PrefixMirror> mirror_;

	// The thread's own state.
	cluster::LeaseId lease_ = 0;
	LeaseTimer keepalive_{options_.lease_ttl, options_.retry_delay};
	std::chrono::steady_clock::time_point next_retry_;
	std::map<VipId, Pending> pending_;
	std::map<VipId, uint32_t> held_; // changes held back, until when
	std::optional<std::chrono::steady_clock::time_point> wake_at_;
	ControllerView counters_;

	// What other threads read (view()).
	mutable std::mutex mutex_;
	ControllerView view_;
	Worker worker_; // last: its thread uses everything above
};

} // namespace iplb::lbcontrol
