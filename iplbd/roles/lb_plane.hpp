// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's control plane on this node: its etcd endpoints and
// name, whether it runs the controller, and its role's part (docs/LB.md,
// "Control plane: the controller and the muxes' agents"):
//
//   any role      the controller, when configured (`lb controller`);
//   role mux      the mux program (XDP) on the `lb interface`s, and the mux's
//                 agent, which loads etcd's maps into it; the addresses of
//                 the VIPs it serves with the committed map go to the mux
//                 plane to be announced;
//   role backend  the backend program (TCX ingress) on the `lb interface`s,
//                 and the backend's agent: registered under the interfaces'
//                 addresses (its DIPs), it takes every VIP that names it (in
//                 a pool, or as a bucket's previous owner) and binds it on lo.
//
// With Redis endpoints (`lb redis endpoints`), MPTCP's tokens too: role
// backend runs the token agent (its connections' tokens -> its DIP), role
// mux the token mirror (Redis's tokens -> the mux's token map, misses looked
// up). Changing only the endpoints restarts only those.
//
// The controller and the agent work on threads of their own; what they
// report reaches the loop's thread through the inbox.
#pragma once

#include "cluster/etcd_codec.hpp"
#include "datapath/lb_programs.hpp"
#include "datapath/pin_dir.hpp"
#include "lbcontrol/backend_agent.hpp"
#include "lbcontrol/controller.hpp"
#include "lbcontrol/mux_agent.hpp"
#include "lbcontrol/pool_edit.hpp"
#include "mptcp/token_agent.hpp"
#include "mptcp/token_mirror.hpp"
#include "roles/host_plane.hpp"
#include "roles/lb_backend_dataplane.hpp"
#include "roles/lb_mux_dataplane.hpp"
#include "roles/role.hpp"
#include "util/inbox.hpp"
#include "util/io_driver.hpp"
#include "util/ipv6.hpp"
#include "util/log.hpp"
#include "util/status.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace iplb {

struct LbPlaneConfig {
	std::vector<std::string> endpoints; // etcd's client URLs, tried in order
	std::string prefix = std::string(lbcontrol::default_prefix);
	std::string name;	 // this node in etcd; the host name when empty
	bool controller = false; // run the controller (one node of those leads)
	// Where the role's program attaches (role mux: XDP), and the datapath
	// instance its maps and links are pinned in.
	std::vector<std::string> interfaces;
	std::string pin_root = std::string(default_pin_root);
	std::string instance = std::string(default_instance);
	// Role mux: each tunnel to the FIB's next hop toward its backend, else
	// back to the router the packet came from.
	bool fib_lookup = false;
	// Where MPTCP tokens are shared (docs/MPTCP.md), HOST:PORT each, tried
	// in order: role backend publishes its connections' tokens there, role
	// mux follows them into its token map. None: neither runs.
	std::vector<std::string> redis;

	friend bool operator==(const LbPlaneConfig &, const LbPlaneConfig &) = default;
};

// Every endpoint a URL (http://host:port), no endpoint twice, a name of
// [A-Za-z0-9._-] (1-64), a prefix that starts and ends with '/', and the
// controller and interfaces only with endpoints, interface names of 1-15
// characters, a valid instance.
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

	// The role decides what else runs (role mux: the mux program and
	// agent, when interfaces and endpoints are configured).
	void set_role(Role role);
	void set_privileges(Privileges privileges) { privileges_ = std::move(privileges); }
	// The VIP addresses to announce for etcd's pools (role mux): an address
	// whose every service this mux serves with the committed map. Called on
	// the loop's thread, whenever the set may have changed.
	void set_vips_listener(std::function<void(const std::set<IpPrefix> &)> listener)
	{
		vips_listener_ = std::move(listener);
	}
	// Called on the loop's thread when healthy() changes.
	void set_health_listener(std::function<void()> listener)
	{
		health_listener_ = std::move(listener);
	}
	// The role's program is attached to every `lb interface` (true when it
	// runs none).
	bool healthy() const { return problems_.empty(); }
	const std::vector<std::string> &problems() const { return problems_; }
	// The mux's agent, while role mux runs one.
	std::optional<lbcontrol::MuxAgentView> mux_view() const;
	// The backend's agent, while role backend runs one.
	std::optional<lbcontrol::BackendAgentView> backend_view() const;
	// MPTCP: the mux's token mirror or the backend's token agent, while
	// one runs; and the mux's maps (its token map and counters).
	std::optional<mptcp::TokenMirrorView> token_mirror_view() const;
	std::optional<mptcp::TokenAgentView> token_agent_view() const;
	const MuxMaps *mux_maps() const;
	// The plane's timer (every second while a role program runs): attaches
	// what is missing, publishes the VIPs again.
	void on_timer();

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

	// Starts, restarts or stops the role's program and agent.
	void apply_role();
	void stop_mux();
	void stop_backend();
	void attach_backend();
	// Opens the program if it is not, attaches it to every interface;
	// records what fails.
	void attach_mux();
	// Starts or stops the MPTCP token mirror (role mux) or agent (role
	// backend) as the Redis endpoints say.
	void apply_mptcp();
	void publish_vips();
	void set_problems(std::vector<std::string> problems);
	void update_watch();

	IoDriver &io_;
	LogSink log_;
	Inbox inbox_;
	LbPlaneConfig config_;
	std::string member_name_;
	Role role_ = Role::host;
	Privileges privileges_;
	std::function<void(const std::set<IpPrefix> &)> vips_listener_;
	std::function<void()> health_listener_;
	std::vector<std::string> problems_;
	std::unique_ptr<lbcontrol::Controller> controller_;

	// Role mux. The agent goes before the datapath it writes to.
	struct Mux {
		LbPlaneConfig config; // what it was started with
		std::unique_ptr<MuxProgram> program;
		std::unique_ptr<MuxMapsDataplane> dataplane;
		std::unique_ptr<MuxMapsTokens> tokens;
		std::unique_ptr<lbcontrol::MuxAgent> agent;
		std::unique_ptr<mptcp::TokenMirror> mirror; // over tokens
		std::vector<std::string> mirror_redis;	    // what it follows
	};
	std::optional<Mux> mux_;

	// Role backend, likewise.
	struct Backend {
		LbPlaneConfig config;
		std::unique_ptr<BackendProgram> program;
		std::unique_ptr<BackendMapsDataplane> dataplane;
		std::unique_ptr<lbcontrol::BackendAgent> agent;
		std::string dip; // the address its tokens map to
		std::unique_ptr<mptcp::TokenAgent> tokens;
		std::vector<std::string> tokens_redis; // what it publishes to
	};
	std::optional<Backend> backend_;
};

// The host name, cut to what check_member_name() accepts.
std::string default_member_name();

} // namespace iplb
