// SPDX-License-Identifier: GPL-2.0-or-later
// Runs an action some time after changes stop, like OSPF's SPF throttle: a
// change schedules it `delay` later, a further change pushes it back, but
// never beyond `max_hold` after the first change, so a flapping link cannot
// starve it.
#pragma once

#include "util/io_driver.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>

namespace iplb {

struct DebounceTiming {
	std::chrono::milliseconds delay{200};
	std::chrono::milliseconds max_hold{2000};
	friend bool operator==(const DebounceTiming &, const DebounceTiming &) = default;
};

class Debouncer {
public:
	using Clock = std::chrono::steady_clock;
	using Timing = DebounceTiming;

	Debouncer(IoDriver &io, std::function<void()> action, Timing timing = {})
	    : io_(io), action_(std::move(action)), timing_(timing)
	{
	}

	void set_timing(Timing timing) { timing_ = timing; }
	const Timing &timing() const { return timing_; }
	bool pending() const { return first_change_.has_value(); }

	void poke()
	{
		const auto now = Clock::now();
		if (!first_change_)
			first_change_ = now;
		const auto due = std::min(now + timing_.delay, *first_change_ + timing_.max_hold);
		io_.arm_timer(std::max(std::chrono::ceil<std::chrono::milliseconds>(due - now),
				       std::chrono::milliseconds{0}));
	}

	void on_timer()
	{
		if (!first_change_)
			return;
		first_change_.reset();
		action_();
	}

private:
	IoDriver &io_;
	std::function<void()> action_;
	Timing timing_;
	std::optional<Clock::time_point> first_change_;
};

} // namespace iplb
