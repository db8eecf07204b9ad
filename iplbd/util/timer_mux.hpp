// SPDX-License-Identifier: GPL-2.0-or-later
// Several components of the core, one timer of the host's event loop: each
// client sees its own IoDriver with its own timer; the mux keeps the host
// timer on the earliest deadline and fires the clients that are due.
#pragma once

#include "util/io_driver.hpp"

#include <chrono>
#include <functional>
#include <list>
#include <optional>

namespace iplb {

class TimerMux {
public:
	using Clock = std::chrono::steady_clock;

	explicit TimerMux(IoDriver &host) : host_(host) {}
	TimerMux(const TimerMux &) = delete;
	TimerMux &operator=(const TimerMux &) = delete;

	class Client final : public IoDriver {
	public:
		void watch(int fd, Interest interest) override { mux_.host_.watch(fd, interest); }
		void arm_timer(std::chrono::milliseconds delay) override
		{
			deadline_ = Clock::now() + delay;
			mux_.rearm();
		}
		void cancel_timer() override
		{
			deadline_.reset();
			mux_.rearm();
		}
		bool armed() const { return deadline_.has_value(); }

	private:
		friend class TimerMux;
		Client(TimerMux &mux, std::function<void()> fire)
		    : mux_(mux), fire_(std::move(fire))
		{
		}

		TimerMux &mux_;
		std::function<void()> fire_;
		std::optional<Clock::time_point> deadline_;
	};

	// `fire` runs when the client's timer expires.
	Client &client(std::function<void()> fire)
	{
		return clients_.emplace_back(Client(*this, std::move(fire)));
	}

	// The host timer expired: fire every client that is due.
	void on_timer()
	{
		const auto now = Clock::now();
		for (Client &c : clients_)
			if (c.deadline_ && *c.deadline_ <= now) {
				c.deadline_.reset();
				c.fire_(); // may re-arm
			}
		rearm();
	}

private:
	void rearm()
	{
		std::optional<Clock::time_point> earliest;
		for (const Client &c : clients_)
			if (c.deadline_ && (!earliest || *c.deadline_ < *earliest))
				earliest = c.deadline_;
		if (!earliest) {
			host_.cancel_timer();
			return;
		}
		const auto delay =
			std::chrono::ceil<std::chrono::milliseconds>(*earliest - Clock::now());
		host_.arm_timer(std::max(delay, std::chrono::milliseconds{0}));
	}

	IoDriver &host_;
	std::list<Client> clients_; // stable addresses
};

} // namespace iplb
