// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/lb_plane.hpp"

#include "cluster/etcd_client.hpp"
#include "datapath/tcx_link.hpp"
#include "lbcontrol/checker_monitor.hpp"
#include "netlink/interface_addresses.hpp"
#include "redis/redis_client.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include <unistd.h>

namespace iplb {

Status check_lb_config(const LbPlaneConfig &config)
{
	std::set<std::string> seen;
	for (const auto &endpoint : config.endpoints) {
		if (auto valid = cluster::validate_endpoint(endpoint); !valid)
			return unexpected(Error{"etcd endpoint '" + endpoint +
						"': " + valid.error().message});
		if (!seen.insert(endpoint).second)
			return unexpected(Error{"etcd endpoint " + endpoint + " is given twice"});
	}
	if (!config.name.empty())
		if (auto name = lbcontrol::check_member_name(config.name); !name)
			return unexpected(Error{"lb " + name.error().message});
	if (config.prefix.size() < 2 || config.prefix.front() != '/' || config.prefix.back() != '/')
		return unexpected(
			Error{"etcd prefix '" + config.prefix + "': it starts and ends with '/'"});
	if (config.controller && config.endpoints.empty())
		return unexpected(Error{"lb controller needs etcd endpoints ('lb etcd endpoints "
					"URL...')"});
	std::set<std::string> interfaces;
	for (const auto &ifname : config.interfaces) {
		if (ifname.empty() || ifname.size() > 15 ||
		    ifname.find_first_of("/ \t") != std::string::npos)
			return unexpected(Error{"lb interface '" + ifname +
						"': not an interface name (1-15 characters)"});
		if (!interfaces.insert(ifname).second)
			return unexpected(Error{"lb interface " + ifname + " is given twice"});
	}
	if (!config.interfaces.empty() && config.endpoints.empty())
		return unexpected(Error{"lb interface needs etcd endpoints ('lb etcd endpoints "
					"URL...'): the maps come from there"});
	if (auto instance = check_instance(config.instance); !instance)
		return instance;
	std::set<std::string> redis;
	for (const auto &endpoint : config.redis) {
		if (auto valid = redis::parse_endpoint(endpoint); !valid)
			return unexpected(valid.error());
		if (!redis.insert(endpoint).second)
			return unexpected(Error{"redis endpoint " + endpoint + " is given twice"});
	}
	return ok();
}

std::string default_member_name()
{
	char host[256] = {};
	if (::gethostname(host, sizeof(host) - 1) != 0)
		return "iplbd";
	std::string name;
	for (const char *c = host; *c && name.size() < 64; ++c)
		if (std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' || *c == '_' ||
		    *c == '-')
			name += *c;
	return name.empty() ? "iplbd" : name;
}

namespace {

// What the role's program and agent are started with: everything but the
// controller flag, which is not theirs (turning the controller on or off
// leaves them running).
LbPlaneConfig role_config(LbPlaneConfig config)
{
	config.controller = false;
	return config;
}

// Without what a running mux or backend takes in place: where tunnels go,
// and Redis (only the MPTCP part restarts).
LbPlaneConfig without_live_settings(LbPlaneConfig config)
{
	config.fib_lookup = false;
	config.redis.clear();
	return config;
}

// The address a backend's MPTCP tokens map to and its direct mode
// announces: the DIP the muxes tunnel to, its first IPv4 address (else
// IPv6).
std::optional<IpAddress> token_dip(const std::vector<IpAddress> &addresses)
{
	for (const auto &address : addresses)
		if (!is_v6(address))
			return address;
	if (addresses.empty())
		return std::nullopt;
	return addresses.front();
}

} // namespace

LbPlane::LbPlane(IoDriver &io, LogSink log) : io_(io), log_(std::move(log)) {}

LbPlane::~LbPlane()
{
	stop();
}

void LbPlane::stop()
{
	// Their threads post to the inbox until they end.
	controller_.reset();
	if (mux_) {
		mux_->mirror.reset();
		mux_->agent.reset();
	}
	if (backend_) {
		backend_->tokens.reset();
		backend_->agent.reset();
	}
	inbox_.drain();
	// The programs' links stay pinned: the node goes on forwarding.
	mux_.reset();
	backend_.reset();
	update_watch();
}

void LbPlane::update_watch()
{
	const bool threads = controller_ || (mux_ && (mux_->agent || mux_->mirror)) ||
			     (backend_ && (backend_->agent || backend_->tokens));
	io_.watch(inbox_.fd(), threads ? Interest::read : Interest::none);
	if (mux_ || backend_)
		io_.arm_timer(std::chrono::seconds(1));
	else
		io_.cancel_timer();
}

void LbPlane::set_problems(std::vector<std::string> problems)
{
	const bool was = problems_.empty();
	problems_ = std::move(problems);
	if (was != problems_.empty() && health_listener_)
		health_listener_();
}

void LbPlane::set_role(Role role)
{
	role_ = role;
	apply_role();
}

void LbPlane::stop_mux()
{
	if (!mux_)
		return;
	mux_->mirror.reset();
	mux_->agent.reset();
	inbox_.drain();
	// Leaving the role: its program must not go on balancing with a map
	// nobody updates.
	{
		RaisedPrivileges raised(privileges_);
		if (auto pins = existing_pin_dir(mux_->config.pin_root, mux_->config.instance))
			for (const auto &ifname : mux_->config.interfaces)
				std::remove(xdp_pin_path(*pins, ifname).c_str());
	}
	mux_.reset();
	if (vips_listener_)
		vips_listener_({});
	set_problems({});
	update_watch();
}

void LbPlane::stop_backend()
{
	if (!backend_)
		return;
	backend_->tokens.reset();
	backend_->agent.reset();
	inbox_.drain();
	{
		RaisedPrivileges raised(privileges_);
		if (auto pins =
			    existing_pin_dir(backend_->config.pin_root, backend_->config.instance))
			for (const auto &ifname : backend_->config.interfaces)
				std::remove(tcx_pin_path(pins->path, "backend",
							 TcxDirection::ingress, ifname)
						    .c_str());
	}
	backend_.reset();
	set_problems({});
	update_watch();
}

void LbPlane::attach_backend()
{
	std::vector<std::string> problems;
	auto &backend = *backend_;
	std::vector<IpAddress> addresses;
	{
		RaisedPrivileges raised(privileges_);
		if (!backend.program) {
			auto pins =
				prepare_pin_dir(backend.config.pin_root, backend.config.instance);
			auto program =
				pins ? BackendProgram::open(*pins)
				     : Result<BackendProgram, Error>(unexpected(pins.error()));
			if (!program) {
				set_problems({"cannot open the backend program: " +
					      program.error().message});
				return;
			}
			backend.program = std::make_unique<BackendProgram>(std::move(*program));
			// The daisy timeout as configured before, and the program's clock.
			auto config = backend.program->maps().config();
			if (auto set = backend.program->maps().set_config(config ? *config
										 : BackendConfig{});
			    !set)
				problems.push_back("backend settings: " + set.error().message);
		}
		for (const auto &ifname : backend.config.interfaces) {
			if (auto attached = backend.program->attach(ifname); !attached)
				problems.push_back("lb interface " + ifname + ": " +
						   attached.error().message);
			if (auto own = interface_addresses(ifname))
				addresses.insert(addresses.end(), own->begin(), own->end());
		}
	}
	if (!backend.agent) {
		if (addresses.empty()) {
			problems.push_back("no address on the lb interfaces: a backend is known "
					   "by its DIPs");
			set_problems(std::move(problems));
			return;
		}
		const auto announced = token_dip(addresses);
		backend.dip = announced ? to_string(*announced) : std::string();
		backend.dataplane = std::make_unique<BackendMapsDataplane>(backend.program->maps(),
									   privileges_, announced);
		lbcontrol::BackendAgentOptions options;
		options.name = member_name_;
		options.prefix = backend.config.prefix;
		options.addresses = addresses;
		backend.agent = std::make_unique<lbcontrol::BackendAgent>(
			backend.config.endpoints, options, *backend.dataplane, [] {},
			threaded_log());
		if (log_)
			log_(LogLevel::info,
			     "lb backend " + member_name_ + " started on " +
				     std::to_string(backend.config.interfaces.size()) +
				     " interface(s)");
	}
	apply_mptcp();
	set_problems(std::move(problems));
}

void LbPlane::apply_role()
{
	const bool configured = !config_.endpoints.empty() && !config_.interfaces.empty();
	if (role_ == Role::backend && configured) {
		stop_mux();
		if (backend_ && backend_->config == role_config(config_))
			return;
		if (backend_ && without_live_settings(backend_->config) ==
					without_live_settings(role_config(config_))) {
			backend_->config = role_config(config_);
			attach_backend();
			update_watch();
			return;
		}
		stop_backend();
		backend_.emplace();
		backend_->config = role_config(config_);
		attach_backend();
		update_watch();
		return;
	}
	stop_backend();
	const bool wanted = role_ == Role::mux && configured;
	if (!wanted) {
		stop_mux();
		return;
	}
	if (mux_ && mux_->config == role_config(config_))
		return;
	// Only where tunnels go, or Redis: set in the running program, the
	// agent left running.
	if (mux_ &&
	    without_live_settings(mux_->config) == without_live_settings(role_config(config_))) {
		mux_->config = role_config(config_);
		attach_mux();
		update_watch();
		return;
	}
	stop_mux();
	mux_.emplace();
	mux_->config = role_config(config_);
	attach_mux();
	update_watch();
}

void LbPlane::attach_mux()
{
	std::vector<std::string> problems;
	auto &mux = *mux_;
	{
		RaisedPrivileges raised(privileges_);
		if (!mux.program) {
			auto pins = prepare_pin_dir(mux.config.pin_root, mux.config.instance);
			auto program = pins ? MuxProgram::open(*pins)
					    : Result<MuxProgram, Error>(unexpected(pins.error()));
			if (!program) {
				set_problems({"cannot open the mux program: " +
					      program.error().message});
				return;
			}
			mux.program = std::make_unique<MuxProgram>(std::move(*program));
		}
		for (const auto &ifname : mux.config.interfaces) {
			auto attached = mux.program->attach(ifname);
			if (!attached)
				problems.push_back("lb interface " + ifname + ": " +
						   attached.error().message);
		}
		// The tunnels' source, unless set: the first interface's addresses.
		if (auto source = set_default_mux_source(mux.program->maps(),
							 mux.config.interfaces.front());
		    !source)
			problems.push_back("the tunnels' source: " + source.error().message);
		if (auto next_hop = set_mux_fib_lookup(mux.program->maps(), mux.config.fib_lookup);
		    !next_hop)
			problems.push_back("the tunnels' next hop: " + next_hop.error().message);
	}
	if (!mux.agent) {
		mux.dataplane = std::make_unique<MuxMapsDataplane>(mux.program->maps());
		lbcontrol::MuxAgentOptions options;
		options.name = member_name_;
		options.prefix = mux.config.prefix;
		mux.agent = std::make_unique<lbcontrol::MuxAgent>(
			mux.config.endpoints, options, *mux.dataplane,
			[this] { inbox_.post([this] { publish_vips(); }); }, threaded_log());
		if (log_)
			log_(LogLevel::info, "lb mux " + member_name_ + " started on " +
						     std::to_string(mux.config.interfaces.size()) +
						     " interface(s)");
	}
	apply_mptcp();
	set_problems(std::move(problems));
}

void LbPlane::apply_mptcp()
{
	const auto options = [](const LbPlaneConfig &config) {
		mptcp::TokenMirrorOptions o;
		o.redis = config.redis;
		return o;
	};
	if (mux_ && mux_->program) {
		auto &mux = *mux_;
		if (mux.mirror && mux.mirror_redis == mux.config.redis)
			return;
		mux.mirror.reset();
		mux.mirror_redis.clear();
		if (mux.config.redis.empty())
			return;
		if (!mux.tokens) {
			auto tokens =
				MuxMapsTokens::open(mux.program->maps(), mux.program->prog_fd());
			if (!tokens) {
				if (log_)
					log_(LogLevel::error,
					     "mptcp tokens: " + tokens.error().message);
				return;
			}
			mux.tokens = std::make_unique<MuxMapsTokens>(std::move(*tokens));
		}
		mux.mirror = std::make_unique<mptcp::TokenMirror>(*mux.tokens, options(mux.config),
								  threaded_log());
		mux.mirror_redis = mux.config.redis;
		return;
	}
	if (backend_ && backend_->agent) {
		auto &backend = *backend_;
		if (backend.tokens && backend.tokens_redis == backend.config.redis)
			return;
		backend.tokens.reset();
		backend.tokens_redis.clear();
		if (backend.config.redis.empty() || backend.dip.empty())
			return;
		// Joining the path manager's multicast group needs CAP_NET_ADMIN.
		auto events = [&] {
			RaisedPrivileges raised(privileges_);
			return mptcp::EventSource::open();
		}();
		if (!events) {
			if (log_)
				log_(LogLevel::error, "mptcp tokens: " + events.error().message);
			return;
		}
		mptcp::TokenAgentOptions o;
		o.dip = backend.dip;
		o.redis = backend.config.redis;
		backend.tokens =
			std::make_unique<mptcp::TokenAgent>(std::move(*events), o, threaded_log());
		backend.tokens_redis = backend.config.redis;
	}
}

std::optional<mptcp::TokenMirrorView> LbPlane::token_mirror_view() const
{
	if (!mux_ || !mux_->mirror)
		return std::nullopt;
	return mux_->mirror->view();
}

std::optional<mptcp::TokenAgentView> LbPlane::token_agent_view() const
{
	if (!backend_ || !backend_->tokens)
		return std::nullopt;
	return backend_->tokens->view();
}

const MuxMaps *LbPlane::mux_maps() const
{
	return mux_ && mux_->program ? &mux_->program->maps() : nullptr;
}

void LbPlane::publish_vips()
{
	if (!vips_listener_)
		return;
	std::set<IpPrefix> announce;
	if (mux_ && mux_->agent) {
		// An address is announced when every service on it is servable:
		// a mux that cannot follow one of its maps takes none of its
		// traffic.
		std::map<IpAddress, bool> addresses;
		for (const auto &vip : mux_->agent->view().vips) {
			auto [it, inserted] = addresses.emplace(vip.vip.address, vip.servable);
			if (!inserted)
				it->second = it->second && vip.servable;
		}
		for (const auto &[address, servable] : addresses)
			if (servable)
				announce.insert(
					is_v6(address)
						? IpPrefix{Ipv6Prefix{std::get<Ipv6>(address), 128}}
						: IpPrefix{
							  Ipv4Prefix{std::get<Ipv4>(address), 32}});
	}
	vips_listener_(announce);
}

void LbPlane::on_timer()
{
	if (backend_)
		attach_backend();
	if (!mux_ && !backend_)
		return;
	if (mux_) {
		attach_mux();
		publish_vips();
	}
	io_.arm_timer(std::chrono::seconds(1));
}

std::optional<lbcontrol::BackendAgentView> LbPlane::backend_view() const
{
	if (!backend_ || !backend_->agent)
		return std::nullopt;
	return backend_->agent->view();
}

std::optional<lbcontrol::MuxAgentView> LbPlane::mux_view() const
{
	if (!mux_ || !mux_->agent)
		return std::nullopt;
	return mux_->agent->view();
}

LogSink LbPlane::threaded_log()
{
	return [this](LogLevel level, const std::string &message) {
		inbox_.post([this, level, message] {
			if (log_)
				log_(level, message);
		});
	};
}

Status LbPlane::configure(const LbPlaneConfig &config)
{
	if (auto checked = check_lb_config(config); !checked)
		return checked;
	const auto name = config.name.empty() ? default_member_name() : config.name;
	// The controller depends on these only: a new interface or instance
	// leaves it leading.
	const bool same = config.endpoints == config_.endpoints &&
			  config.prefix == config_.prefix && name == member_name_;
	config_ = config;
	member_name_ = name;
	apply_role();
	if (same && (controller_ != nullptr) == config.controller)
		return ok();
	controller_.reset(); // resigns first: the new one campaigns afresh
	inbox_.drain();
	update_watch();
	if (config.controller) {
		lbcontrol::ControllerOptions options;
		options.name = member_name_;
		options.prefix = config.prefix;
		controller_ = std::make_unique<lbcontrol::Controller>(
			config.endpoints, options,
			std::make_unique<lbcontrol::CheckerMonitor>(threaded_log()),
			threaded_log());
		if (log_)
			log_(LogLevel::info, "lb controller " + member_name_ + " started (etcd " +
						     config.endpoints.front() + "...)");
		update_watch();
	}
	return ok();
}

namespace {

// Operators wait for these calls at the prompt: short timeouts.
constexpr cluster::HttpTimeouts operator_timeouts{std::chrono::milliseconds(700),
						  std::chrono::milliseconds(2000)};

} // namespace

Status LbPlane::edit(const lbcontrol::PoolEdit &edit) const
{
	if (config_.endpoints.empty())
		return unexpected(
			Error{"no etcd endpoints configured ('lb etcd endpoints URL...'): "
			      "pools live in etcd"});
	cluster::EtcdClient client(config_.endpoints, operator_timeouts);
	return lbcontrol::edit_pool(client, lbcontrol::Keys{config_.prefix}, edit);
}

Result<cluster::RangeResult, Error> LbPlane::read() const
{
	if (config_.endpoints.empty())
		return unexpected(
			Error{"no etcd endpoints configured ('lb etcd endpoints URL...')"});
	cluster::EtcdClient client(config_.endpoints, operator_timeouts);
	auto range = client.get_prefix(config_.prefix);
	if (!range)
		return unexpected(Error{"etcd: " + range.error().message});
	return range;
}

std::optional<lbcontrol::ControllerView> LbPlane::controller_view() const
{
	if (!controller_)
		return std::nullopt;
	return controller_->view();
}

} // namespace iplb
