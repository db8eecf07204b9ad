// SPDX-License-Identifier: GPL-2.0-or-later
// A mux's side of the two-phase commit (docs/LB.md, "The controller"). The
// agent registers the mux under its own lease (muxes/<name>), follows etcd
// through a watch, and for each VIP:
//
//   prepared v+1  -> loads it into the slot packets do not read (stage) and
//                    acknowledges it (acks/<vip>/<name>, under its lease), or
//                    acknowledges that it could not;
//   committed v   -> flips to it (activate); a version it never staged (it
//                    joined late, or missed the prepare) is staged and
//                    flipped at once;
//   gone          -> the VIP is removed from the datapath.
//
// A VIP is servable (its route may be announced) while the mux forwards
// with the committed map: never after a load failed. When etcd cannot be
// reached the mux keeps forwarding with the last committed map and says
// so; it catches up when etcd returns (a new lease, a full read).
//
// Runs on a thread of its own; view() and servable() are safe from any
// thread, and on_change is called (on the agent's thread) after every
// change of what servable() answers.
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
#include <set>
#include <string>
#include <vector>

namespace iplb::lbcontrol {

// What a VIP's datapath holds: the generation packets read, and the one
// staged in the other slot, if any.
struct InstalledGenerations {
	uint32_t active = 0; // 0: the VIP is not installed (or only staged)
	std::optional<uint32_t> staged;
};

// The mux's datapath as the agent needs it (the glue adapts MuxMaps).
class MuxDataplane {
public:
	virtual ~MuxDataplane() = default;
	virtual Status stage(const VipId &vip, const MapVersion &version) = 0;
	virtual Status activate(const VipId &vip, uint32_t generation) = 0;
	virtual Status remove(const VipId &vip) = 0;
	virtual Result<std::map<VipId, InstalledGenerations>, Error> installed() const = 0;
};

struct MuxAgentOptions {
	std::string name; // this mux, check_member_name()
	std::string prefix = std::string(default_prefix);
	int64_t lease_ttl = 5; // seconds
	std::chrono::milliseconds retry_delay{1000};
	std::function<uint32_t()> clock; // unix seconds; time(NULL) if empty
	bool revoke_on_stop = true;	 // false: the lease expires (a crash)
	// A load that failed is tried again after this long (at once for a
	// newer generation): a full table may have room after another VIP went.
	std::chrono::milliseconds load_retry{10000};
};

struct MuxVipView {
	VipId vip;
	uint32_t committed = 0; // in etcd, as last seen
	uint32_t prepared = 0;
	uint32_t active = 0; // in the datapath
	std::optional<uint32_t> staged;
	bool servable = false;
	std::string reason; // why not servable, or why it is on an old map
};

struct MuxAgentView {
	std::string name;
	bool registered = false; // holds its lease and key
	bool etcd_connected = false;
	std::string etcd_error;
	uint32_t etcd_lost_since = 0; // unix seconds; 0 while connected
	std::vector<MuxVipView> vips;
	uint64_t staged = 0;
	uint64_t activated = 0;
	uint64_t load_failures = 0;
	uint64_t malformed = 0;
};

class MuxAgent {
public:
	MuxAgent(std::vector<std::string> endpoints, MuxAgentOptions options,
		 MuxDataplane &dataplane, std::function<void()> on_change = {}, LogSink log = {});
	~MuxAgent();
	MuxAgent(const MuxAgent &) = delete;
	MuxAgent &operator=(const MuxAgent &) = delete;

	// Deregisters (revokes the lease: the controller stops waiting for
	// this mux at once) and stops; the datapath keeps what it holds.
	void stop();
	MuxAgentView view() const;
	// The VIPs whose traffic this mux may attract now.
	std::set<VipId> servable() const;

private:
	void run();
	void step();
	bool register_self();
	void keep_alive();
	void reconcile();
	void reconcile_vip(const VipId &vip, const InstalledGenerations &installed);
	void acknowledge(const VipId &vip, const Ack &ack);
	void publish();
	uint32_t now() const;
	void log(LogLevel level, const std::string &message) const
	{
		if (log_)
			log_(level, "lb mux " + options_.name + ": " + message);
	}

	MuxAgentOptions options_;
	Keys keys_;
	MuxDataplane &dataplane_;
	std::function<void()> on_change_;
	LogSink log_;
	DecodeCache cache_;
	cluster::EtcdClient client_;
	std::unique_ptr<class PrefixMirror> mirror_;

	// The thread's own state.
	cluster::LeaseId lease_ = 0;
	LeaseTimer keepalive_{options_.lease_ttl, options_.retry_delay};
	std::chrono::steady_clock::time_point next_retry_;
	std::map<VipId, std::string> load_errors_;    // by VIP, until a load succeeds
	std::map<VipId, uint32_t> failed_generation_; // retried when it changes,
	std::map<VipId, std::chrono::steady_clock::time_point> failed_at_; // or later
	std::map<VipId, MuxVipView> vip_views_;
	std::map<VipId, std::pair<Ack, cluster::LeaseId>> acked_; // the last ack written
	MuxAgentView counters_;

	// What other threads read (view(), servable()).
	mutable std::mutex mutex_;
	MuxAgentView view_;
	std::set<VipId> servable_;
	Worker worker_; // last: its thread uses everything above
};

} // namespace iplb::lbcontrol
