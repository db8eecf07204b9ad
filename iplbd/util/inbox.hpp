// SPDX-License-Identifier: GPL-2.0-or-later
// Work handed from other threads to the event loop's thread: the load
// balancer's controller and agents run on threads of their own, but
// logging (FRR's zlog wants threads it knows) and zebra belong to the main
// thread. post() queues a function and wakes the loop through an eventfd
// it watches; drain() runs what was queued, in order, on the loop's thread.
#pragma once

#include "util/unique_fd.hpp"

#include <cerrno>
#include <cstdint>
#include <functional>
#include <mutex>
#include <system_error>
#include <vector>

#include <sys/eventfd.h>
#include <unistd.h>

namespace iplb {

class Inbox {
public:
	// Throws std::system_error when no eventfd can be had.
	Inbox() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
	{
		if (fd_.get() < 0)
			throw std::system_error(errno, std::generic_category(), "eventfd");
	}

	int fd() const { return fd_.get(); }

	// From any thread.
	void post(std::function<void()> work)
	{
		{
			std::lock_guard lock(mutex_);
			queue_.push_back(std::move(work));
		}
		const uint64_t one = 1;
		// EAGAIN: the counter is saturated, a wake-up is pending anyway.
		[[maybe_unused]] const auto written = ::write(fd_.get(), &one, sizeof(one));
	}

	// On the loop's thread, when fd() is readable.
	void drain()
	{
		uint64_t count = 0;
		[[maybe_unused]] const auto read = ::read(fd_.get(), &count, sizeof(count));
		std::vector<std::function<void()>> work;
		{
			std::lock_guard lock(mutex_);
			work.swap(queue_);
		}
		for (auto &item : work)
			item();
	}

private:
	UniqueFd fd_;
	std::mutex mutex_;
	std::vector<std::function<void()>> queue_;
};

} // namespace iplb
