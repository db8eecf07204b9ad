// SPDX-License-Identifier: GPL-2.0-or-later
// A poll(2) event loop implementing IoDriver, standing in for FRR's thread
// master in unit tests of the core's non-blocking components.
#pragma once

#include "util/io_driver.hpp"

#include <poll.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace iplb::test {

class PollLoop final : public IoDriver {
public:
	using Clock = std::chrono::steady_clock;
	using IoHandler = std::function<void(int fd, bool readable, bool writable)>;
	using TimerHandler = std::function<void()>;

	void watch(int fd, Interest interest) override
	{
		if (interest == Interest::none)
			watched_.erase(fd);
		else
			watched_[fd] = interest;
	}
	void arm_timer(std::chrono::milliseconds delay) override
	{
		timer_ = Clock::now() + delay;
		timer_arms_.push_back(delay);
	}
	void cancel_timer() override { timer_.reset(); }

	void set_handlers(IoHandler io, TimerHandler timer)
	{
		on_io_ = std::move(io);
		on_timer_ = std::move(timer);
	}

	// Dispatches events until done() holds or the timeout passes; returns
	// done(). Timers fire as the loop reaches them (tests may shorten them
	// through the component's configuration).
	bool run_until(const std::function<bool()> &done, std::chrono::milliseconds timeout)
	{
		const auto deadline = Clock::now() + timeout;
		while (!done()) {
			const auto now = Clock::now();
			if (now >= deadline)
				return false;
			if (timer_ && *timer_ <= now) {
				timer_.reset();
				on_timer_();
				continue;
			}
			auto wait = deadline - now;
			if (timer_)
				wait = std::min(wait, *timer_ - now);
			std::vector<pollfd> fds;
			for (auto [fd, interest] : watched_) {
				short events = 0;
				if (interest == Interest::read || interest == Interest::read_write)
					events |= POLLIN;
				if (interest == Interest::write || interest == Interest::read_write)
					events |= POLLOUT;
				fds.push_back({fd, events, 0});
			}
			const int ms =
				static_cast<int>(
					std::chrono::duration_cast<std::chrono::milliseconds>(wait)
						.count()) +
				1;
			if (::poll(fds.data(), fds.size(), std::min(ms, 50)) <= 0)
				continue;
			for (const pollfd &p : fds) {
				if (p.revents == 0 || !watched_.count(p.fd))
					continue;
				const bool error = p.revents & (POLLERR | POLLHUP | POLLNVAL);
				on_io_(p.fd, (p.revents & POLLIN) || error,
				       (p.revents & POLLOUT) || error);
			}
		}
		return true;
	}

	size_t watched() const { return watched_.size(); }
	bool timer_armed() const { return timer_.has_value(); }
	const std::vector<std::chrono::milliseconds> &timer_arms() const { return timer_arms_; }

private:
	std::map<int, Interest> watched_;
	std::optional<Clock::time_point> timer_;
	std::vector<std::chrono::milliseconds> timer_arms_;
	IoHandler on_io_;
	TimerHandler on_timer_;
};

} // namespace iplb::test
