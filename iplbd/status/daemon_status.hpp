// SPDX-License-Identifier: GPL-2.0-or-later
// What `show iplb status` reports about the daemon itself.
#pragma once

#include "status/role.hpp"

#include <chrono>

namespace iplb {

class DaemonStatus {
public:
	using Clock = std::chrono::steady_clock;

	explicit DaemonStatus(Clock::time_point started = Clock::now()) : started_(started) {}

	Role role() const { return role_; }
	void set_role(Role role) { role_ = role; }

	// Monotonic: a wall-clock step (NTP, operator) does not change it.
	std::chrono::seconds uptime(Clock::time_point now = Clock::now()) const
	{
		return std::chrono::duration_cast<std::chrono::seconds>(now - started_);
	}

private:
	Clock::time_point started_;
	Role role_ = Role::host;
};

} // namespace iplb
