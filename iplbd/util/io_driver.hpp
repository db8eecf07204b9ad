// SPDX-License-Identifier: GPL-2.0-or-later
// How the core asks its host event loop for I/O readiness and timers. The
// daemon implements it on FRR's thread master; tests on poll(2).
#pragma once

#include <chrono>

namespace iplb {

enum class Interest { none, read, write, read_write };

class IoDriver {
public:
	virtual ~IoDriver() = default;

	// Replaces the interest in fd; Interest::none stops watching it. The
	// loop reports readiness back through the owner's on_io().
	virtual void watch(int fd, Interest interest) = 0;
	// One timer per owner: arming replaces the previous one.
	virtual void arm_timer(std::chrono::milliseconds delay) = 0;
	virtual void cancel_timer() = 0;
};

} // namespace iplb
