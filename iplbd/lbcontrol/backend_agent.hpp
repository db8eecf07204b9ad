// SPDX-License-Identifier: GPL-2.0-or-later
// A backend's agent (docs/LB.md, "The backend's agent"). It registers the
// backend under its own lease (backends/<name>), follows etcd through a
// watch, and keeps the backend's datapath holding exactly the VIPs it must
// decapsulate: a VIP whose configuration lists one of its DIPs (active,
// drained or down), or whose committed map still names one of its DIPs in
// the pool or as a bucket's previous owner (a mux chains the connections
// of a drained or removed backend back to it: they must still be
// delivered). A VIP in neither goes.
//
// Its registration says whether it is healthy (every VIP it must serve is
// in its datapath), which VIPs it has, and why not, rewritten when that
// changes. When etcd cannot be reached it keeps every VIP (only an absence
// etcd confirmed removes one) and says so; it registers again and catches
// up when etcd returns.
//
// Runs on a thread of its own; view() and served() are safe from any
// thread, and on_change is called (on the agent's thread) after every
// change of what served() answers.
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

// What a backend announces to MPTCP clients (docs/MPTCP.md): in direct
// mode its own address; in port mode each port-mode VIP's address with the
// port the committed map gives it. Either sets the C flag, so that clients
// join only what is announced.
struct MptcpAnnouncements {
	bool direct = false;
	std::set<std::pair<IpAddress, uint16_t>> ports; // VIP address, its port

	bool c_flag() const { return direct || !ports.empty(); }
	friend bool operator==(const MptcpAnnouncements &, const MptcpAnnouncements &) = default;
};

// The backend's datapath as the agent needs it (the daemon adapts
// BackendMaps and binds the VIP's address on lo).
class BackendDataplane {
public:
	virtual ~BackendDataplane() = default;
	virtual Status add_vip(const VipId &vip) = 0;
	virtual Status remove_vip(const VipId &vip) = 0;
	virtual Result<std::set<VipId>, Error> vips() const = 0;
	// Makes the backend announce exactly `wanted` (mptcp/direct_mode.hpp):
	// the C flag, the signal endpoints.
	virtual Status set_mptcp(const MptcpAnnouncements &wanted) = 0;
};

struct BackendAgentOptions {
	std::string name; // this backend, check_member_name()
	std::string prefix = std::string(default_prefix);
	std::vector<IpAddress> addresses; // the DIPs it serves as
	int64_t lease_ttl = 5;		  // seconds
	std::chrono::milliseconds retry_delay{1000};
	std::function<uint32_t()> clock; // unix seconds; time(NULL) if empty
	bool revoke_on_stop = true;	 // false: the lease expires (a crash)
	// An add that failed is tried again after this long: a full table may
	// have room after another VIP went.
	std::chrono::milliseconds add_retry{10000};
};

struct BackendVipView {
	VipId vip;
	bool in_datapath = false;
	// Why it must be served ("listed in the configuration", "previous owner
	// of 12 buckets in the committed map"), why it is kept, or what failed.
	std::string reason;
};

struct BackendAgentView {
	std::string name;
	bool registered = false; // holds its lease and its key is written
	bool etcd_connected = false;
	std::string etcd_error;
	uint32_t etcd_lost_since = 0; // unix seconds; 0 while connected
	std::vector<BackendVipView> vips;
	bool healthy = false;	   // every VIP it must serve is in its datapath
	std::string error;	   // why not
	bool mptcp_direct = false; // direct mode on: a VIP it serves is in it
	// Port mode: "192.0.2.80 port 40000", each port it announces.
	std::vector<std::string> mptcp_ports;
	uint64_t adds = 0;
	uint64_t removes = 0;
	uint64_t failures = 0; // adds, removes or datapath reads that failed
	uint64_t malformed = 0;
};

class BackendAgent {
public:
	BackendAgent(std::vector<std::string> endpoints, BackendAgentOptions options,
		     BackendDataplane &dataplane, std::function<void()> on_change = {},
		     LogSink log = {});
	~BackendAgent();
	BackendAgent(const BackendAgent &) = delete;
	BackendAgent &operator=(const BackendAgent &) = delete;

	// Deregisters (revokes the lease: its key goes at once) and stops; the
	// datapath keeps what it holds.
	void stop();
	BackendAgentView view() const;
	// The VIPs its datapath decapsulates, as last read.
	std::set<VipId> served() const;

private:
	// Why a VIP must be in the datapath, or why it is kept there.
	struct Wanted {
		std::string reason;
		bool certain = true; // false: kept because etcd's value is malformed
	};
	// What etcd asks of the datapath: the VIPs (port mode's ports of its
	// DIPs among them), and what it announces to MPTCP clients (direct
	// mode: a configuration that lists one of its DIPs is in it; port mode:
	// the committed map gives one of its DIPs a port).
	struct Wants {
		std::map<VipId, Wanted> vips;
		MptcpAnnouncements mptcp;
	};

	void run();
	void step();
	bool grant_lease();
	void keep_alive();
	Wants wanted();
	void reconcile();
	void write_registration();
	void publish();
	uint32_t now() const;
	bool is_mine(const lb::Dip &dip) const;
	void log(LogLevel level, const std::string &message) const
	{
		if (log_)
			log_(level, "lb backend " + options_.name + ": " + message);
	}

	BackendAgentOptions options_;
	Keys keys_;
	BackendDataplane &dataplane_;
	std::function<void()> on_change_;
	LogSink log_;
	DecodeCache cache_;
	cluster::EtcdClient client_;
	std::unique_ptr<class PrefixMirror> mirror_;

	// The thread's own state.
	cluster::LeaseId lease_ = 0;
	uint32_t since_ = 0; // when the current lease was granted
	LeaseTimer keepalive_{options_.lease_ttl, options_.retry_delay};
	std::chrono::steady_clock::time_point next_retry_;
	bool reconciled_ = false;	     // the datapath was compared with a synced mirror
	std::optional<std::string> written_; // the record last put under lease_
	cluster::Revision written_revision_ = 0;
	std::map<VipId, std::string> add_errors_; // until an add succeeds
	std::map<VipId, std::chrono::steady_clock::time_point> failed_at_;
	std::map<VipId, std::string> remove_errors_;
	std::set<VipId> served_now_;
	// What it announces to MPTCP clients as the datapath has it (nothing
	// until something is wanted: a backend with no such VIP is left as the
	// operator set it).
	MptcpAnnouncements announced_;
	std::string announce_error_; // the last failure to change it, said once
	std::map<VipId, BackendVipView> vip_views_;
	BackendAgentView counters_;

	// What other threads read (view(), served()).
	mutable std::mutex mutex_;
	BackendAgentView view_;
	std::set<VipId> served_;
	Worker worker_; // last: its thread uses everything above
};

} // namespace iplb::lbcontrol
