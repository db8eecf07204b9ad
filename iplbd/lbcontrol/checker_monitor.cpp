// SPDX-License-Identifier: GPL-2.0-or-later
#include "lbcontrol/checker_monitor.hpp"

namespace iplb::lbcontrol {

std::map<std::string, health::CheckSpec> check_targets(const std::map<VipId, VipConfig> &vips)
{
	std::map<std::string, health::CheckSpec> targets;
	for (const auto &[vip, config] : vips) {
		const auto &check = config.health_check;
		if (check.kind == HealthCheckConfig::Kind::none)
			continue;
		for (const auto &backend : config.backends) {
			health::CheckSpec spec;
			spec.kind = check.kind == HealthCheckConfig::Kind::http
					    ? health::CheckSpec::Kind::http
					    : health::CheckSpec::Kind::tcp;
			spec.address = backend.dip.address;
			spec.port = check.port != 0 ? check.port : vip.port;
			spec.http_path = check.path;
			spec.interval = std::chrono::milliseconds(check.interval_ms);
			spec.timeout = std::chrono::milliseconds(check.timeout_ms);
			spec.rise = check.rise;
			spec.fall = check.fall;
			targets[vip_name(vip) + "/" + to_string(backend.dip)] = spec;
		}
	}
	return targets;
}

CheckerMonitor::CheckerMonitor(LogSink log) : log_(std::move(log))
{
	checker_ = std::make_unique<health::HealthChecker>([this](const std::string &target,
								  health::Health health) {
		if (log_)
			log_(LogLevel::info, "health check " + target + ": " +
						     std::string(health::to_string(health)));
		std::function<void()> call;
		{
			std::lock_guard lock(mutex_);
			call = on_change_;
		}
		if (call)
			call();
	});
}

void CheckerMonitor::set_checks(const std::map<VipId, VipConfig> &vips)
{
	auto targets = check_targets(vips);
	{
		std::lock_guard lock(mutex_);
		if (targets == targets_)
			return;
		targets_ = targets;
	}
	if (auto set = checker_->set_targets(std::move(targets)); !set && log_)
		log_(LogLevel::error, "health checks not changed: " + set.error().message);
}

std::map<lb::Dip, Health> CheckerMonitor::observed(const VipId &vip) const
{
	const auto prefix = vip_name(vip) + "/";
	std::map<lb::Dip, Health> out;
	for (const auto &[target, status] : checker_->status()) {
		if (!target.starts_with(prefix))
			continue;
		auto dip = lb::parse_dip(std::string_view(target).substr(prefix.size()));
		if (!dip)
			continue;
		out[*dip] = status.health == health::Health::up	    ? Health::up
			    : status.health == health::Health::down ? Health::down
								    : Health::unknown;
	}
	return out;
}

void CheckerMonitor::set_on_change(std::function<void()> on_change)
{
	std::lock_guard lock(mutex_);
	on_change_ = std::move(on_change);
}

} // namespace iplb::lbcontrol
