// SPDX-License-Identifier: GPL-2.0-or-later
// The mux plane: the VIPs this load-balancer node announces. Each VIP's
// route of type iplb is in zebra exactly while
//
//   the role runs the mux plane  and  not drained  and  the datapath is healthy
//
// (and zebra is there: a new zebra session gets every such VIP again). The
// plane decides; the glue only carries its announcements to zebra.
#pragma once

#include "roles/role.hpp"
#include "util/ipv6.hpp"
#include "util/log.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace iplb {

// Sends a VIP's route to zebra (announce) or withdraws it; false when it
// could not be sent (no zebra session).
using VipAnnouncer = std::function<bool(const IpPrefix &vip, bool announce)>;

// A VIP as `show iplb vip` reports it.
struct VipView {
	IpPrefix prefix;
	bool drain = false;
	bool advertised = false;
	std::string reason; // why not advertised; empty when it is
	bool etcd = false;  // a VIP of etcd's pools (the mux's agent serves it)
};

class MuxPlane {
public:
	explicit MuxPlane(LogSink log = {}) : log_(std::move(log)) {}

	void set_announcer(VipAnnouncer announcer) { announcer_ = std::move(announcer); }

	// An IPv4 /32 or IPv6 /128 only.
	static Status check_vip(const IpPrefix &vip);
	// Adds the VIP or changes its drain; announced or withdrawn at once.
	Status set_vip(const IpPrefix &vip, bool drain);
	void remove_vip(const IpPrefix &vip);
	// Withdraws and forgets every VIP (`no router iplb`); `why` is logged.
	void remove_all(std::string_view why);
	// The VIP addresses of etcd's pools this mux serves with the committed
	// map (its agent decides): announced as configured ones are (role mux,
	// datapath healthy), never drained. Replaces the previous set; a
	// configured VIP in it stays configured when it leaves the set.
	void set_etcd_vips(const std::set<IpPrefix> &vips);

	// What the decisions depend on.
	void set_role(Role role);
	void set_datapath_healthy(bool healthy);
	// A new zebra session holds none of our routes: every VIP that should
	// be advertised is sent again.
	void zebra_connected();

	// Why the VIP must not be advertised now; nullopt if it should be (or
	// if it is not one of ours: see advertised()). O(log n).
	std::optional<std::string_view> blocker(const IpPrefix &vip) const;
	// Whether its route is in zebra now. O(log n).
	bool advertised(const IpPrefix &vip) const;
	// Every VIP in prefix order; `zebra_up` tells a VIP that should be
	// advertised but is not why.
	std::vector<VipView> vips(bool zebra_up) const;

	// At exit: forgets every VIP without withdrawing (zebra drops a
	// departed client's routes).
	void forget_all() { vips_.clear(); }

private:
	struct Vip {
		bool drain = false;
		bool sent = false;	 // the last message to zebra for it was an announce
		bool configured = false; // `vip PREFIX`
		bool etcd = false;	 // set_etcd_vips()
	};

	std::optional<std::string_view> blocker(const Vip &vip) const;
	void evaluate(const IpPrefix &prefix, Vip &vip);
	void evaluate_all();
	void send(const IpPrefix &prefix, bool announce);
	void info(const std::string &message) const
	{
		if (log_)
			log_(LogLevel::info, message);
	}

	LogSink log_;
	VipAnnouncer announcer_;
	std::map<IpPrefix, Vip> vips_;
	Role role_ = Role::host;
	bool healthy_ = true;
};

} // namespace iplb
