// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/lb_plane.hpp"

#include "cluster/etcd_client.hpp"
#include "lbcontrol/checker_monitor.hpp"

#include <algorithm>
#include <cctype>
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

LbPlane::LbPlane(IoDriver &io, LogSink log) : io_(io), log_(std::move(log)) {}

LbPlane::~LbPlane()
{
	stop();
}

void LbPlane::stop()
{
	if (!controller_)
		return;
	controller_.reset(); // its thread posts to the inbox until it ends
	inbox_.drain();
	io_.watch(inbox_.fd(), Interest::none);
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
	const bool same = config == config_ && name == member_name_;
	config_ = config;
	member_name_ = name;
	if (same && (controller_ != nullptr) == config.controller)
		return ok();
	stop(); // resigns first: the new one campaigns afresh
	if (config.controller) {
		// The inbox is watched while a thread may post to it.
		io_.watch(inbox_.fd(), Interest::read);
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
