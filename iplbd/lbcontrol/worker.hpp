// SPDX-License-Identifier: GPL-2.0-or-later
// The thread the controller and both agents run on, and how it waits: the
// owner starts it once, its loop waits through wait_until() (until its next
// deadline, or until an event calls wake()) and acts after each wait, and
// stop() ends it. The owner keeps its own state, and its own lock for what
// other threads read.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace iplb::lbcontrol {

class Worker {
public:
	using Clock = std::chrono::steady_clock;

	Worker() = default;
	// Stops and joins the thread, if its owner has not.
	~Worker() { stop(); }
	Worker(const Worker &) = delete;
	Worker &operator=(const Worker &) = delete;

	// Runs `body` on a new thread. Called once, once everything `body`
	// uses is ready (last in the owner's constructor).
	void start(std::function<void()> body) { thread_ = std::thread(std::move(body)); }

	// Tells the thread to stop (wait_until() returns false from now on)
	// and waits for it to end. Safe to call again; not from the thread.
	void stop()
	{
		{
			std::lock_guard lock(mutex_);
			stopping_ = true;
		}
		cv_.notify_all();
		if (thread_.joinable())
			thread_.join();
	}

	// Ends the thread's current wait, or its next one (from any thread).
	void wake()
	{
		{
			std::lock_guard lock(mutex_);
			woken_ = true;
		}
		cv_.notify_all();
	}

	// On the thread: waits until `deadline` or a wake(), whichever comes
	// first; false once stop() was called (the thread then ends).
	bool wait_until(Clock::time_point deadline)
	{
		std::unique_lock lock(mutex_);
		cv_.wait_until(lock, deadline, [this] { return woken_ || stopping_; });
		if (stopping_)
			return false;
		woken_ = false;
		return true;
	}

private:
	std::mutex mutex_;
	std::condition_variable cv_;
	bool woken_ = false;
	bool stopping_ = false;
	std::thread thread_;
};

} // namespace iplb::lbcontrol
