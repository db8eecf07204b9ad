// SPDX-License-Identifier: GPL-2.0-or-later
// The controller's HealthMonitor on the health checker (iplbd/health/): one
// target per backend of each VIP with a check, named "<vip>/<dip>", probing
// the backend's address on the check's port (the VIP's when 0).
#pragma once

#include "health/checker.hpp"
#include "lbcontrol/controller.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace iplb::lbcontrol {

// The checker's targets for these VIPs (pure, for tests).
std::map<std::string, health::CheckSpec> check_targets(const std::map<VipId, VipConfig> &vips);

class CheckerMonitor : public HealthMonitor {
public:
	explicit CheckerMonitor(LogSink log = {});

	void set_checks(const std::map<VipId, VipConfig> &vips) override;
	std::map<lb::Dip, Health> observed(const VipId &vip) const override;
	void set_on_change(std::function<void()> on_change) override;

private:
	LogSink log_;
	mutable std::mutex mutex_;
	std::function<void()> on_change_;
	std::map<std::string, health::CheckSpec> targets_;
	// Last: its thread calls back into the members above.
	std::unique_ptr<health::HealthChecker> checker_;
};

} // namespace iplb::lbcontrol
