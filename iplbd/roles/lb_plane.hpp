// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's control plane on this node: its etcd endpoints and
// name, and whether it runs the controller (docs/LB.md, "Control plane:
// the controller and the muxes' agents"). Any role may run the controller;
// it works on a thread of its own (lbcontrol/controller.hpp), so show reads
// a snapshot of it.
#pragma once

#include "cluster/etcd_codec.hpp"
#include "lbcontrol/controller.hpp"
#include "lbcontrol/pool_edit.hpp"
#include "util/inbox.hpp"
#include "util/io_driver.hpp"
#include "util/log.hpp"
#include "util/status.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace iplb {

struct LbPlaneConfig {
	std::vector<std::string> endpoints; // etcd's client URLs, tried in order
	std::string prefix = std::string(lbcontrol::default_prefix);
	std::string name;	 // this node in etcd; the host name when empty
	bool controller = false; // run the controller (one node of those leads)

	friend bool operator==(const LbPlaneConfig &, const LbPlaneConfig &) = default;
};

// Every endpoint a URL (http://host:port), no endpoint twice, a name of
// [A-Za-z0-9._-] (1-64), a prefix that starts and ends with '/', and the
// controller only with endpoints.
Status check_lb_config(const LbPlaneConfig &config);

class LbPlane {
public:
	// io: the event loop, which watches inbox_fd() and calls on_inbox();
	// log: the daemon's sink, called on the loop's thread only (messages
	// of the controller's thread come through the inbox).
	LbPlane(IoDriver &io, LogSink log);
	~LbPlane();
	LbPlane(const LbPlane &) = delete;
	LbPlane &operator=(const LbPlane &) = delete;

	int inbox_fd() const { return inbox_.fd(); }
	void on_inbox() { inbox_.drain(); }

	// Checked whole; starts, restarts (new endpoints, prefix or name) or
	// stops the controller. Nothing changes on an error.
	Status configure(const LbPlaneConfig &config);
	const LbPlaneConfig &config() const { return config_; }
	// The name used in etcd (the configured one, or the host name).
	const std::string &member_name() const { return member_name_; }

	// The controller's view; nullopt when this node does not run it.
	std::optional<lbcontrol::ControllerView> controller_view() const;

	// An operator's change of a VIP's configuration in etcd, on the
	// caller's thread: it blocks for at most about two seconds (etcd
	// unreachable). Refused without endpoints.
	Status edit(const lbcontrol::PoolEdit &edit) const;
	// Everything under the prefix, read from etcd now (bounded as edit()).
	Result<cluster::RangeResult, Error> read() const;

	// At exit: resigns (a standby takes over at once).
	void stop();

private:
	// A sink for the plane's threads: their messages reach log_ through
	// the inbox, on the loop's thread.
	LogSink threaded_log();

	IoDriver &io_;
	LogSink log_;
	Inbox inbox_;
	LbPlaneConfig config_;
	std::string member_name_;
	std::unique_ptr<lbcontrol::Controller> controller_;
};

// The host name, cut to what check_member_name() accepts.
std::string default_member_name();

} // namespace iplb
