// SPDX-License-Identifier: GPL-2.0-or-later
// When a lease held by the controller or an agent is refreshed, and when
// it must be taken for lost: refreshed every third of its TTL, retried
// after a failure, lost once etcd says it is gone or has not confirmed it
// for a whole TTL (etcd will have expired it by then).
#pragma once

#include "cluster/etcd_client.hpp"

#include <chrono>
#include <string>

namespace iplb::lbcontrol {

class LeaseTimer {
public:
	using Clock = std::chrono::steady_clock;

	LeaseTimer(int64_t ttl_seconds, std::chrono::milliseconds retry_delay)
	    : ttl_(ttl_seconds), retry_delay_(retry_delay)
	{
	}

	// A lease was just granted.
	void granted()
	{
		last_ok_ = Clock::now();
		next_ = last_ok_ + ttl_ / 3;
	}
	bool due() const { return Clock::now() >= next_; }
	Clock::time_point next() const { return next_; }

	enum class Refresh { kept, failed, lost };
	// Refreshes `lease`; on failure `error` says why.
	Refresh refresh(cluster::EtcdClient &client, cluster::LeaseId lease, std::string &error)
	{
		auto ttl = client.keep_alive(lease);
		if (ttl) {
			granted();
			return Refresh::kept;
		}
		error = ttl.error().message;
		next_ = Clock::now() + retry_delay_;
		if (error.find("lease") != std::string::npos || Clock::now() - last_ok_ >= ttl_)
			return Refresh::lost;
		return Refresh::failed;
	}

private:
	std::chrono::seconds ttl_;
	std::chrono::milliseconds retry_delay_;
	Clock::time_point last_ok_{};
	Clock::time_point next_{};
};

} // namespace iplb::lbcontrol
