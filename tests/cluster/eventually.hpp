// SPDX-License-Identifier: GPL-2.0-or-later
// Waiting in tests for what another thread or process does: a condition
// polled until it holds or a bound passes (every wait in a test is bounded).
#pragma once

#include <chrono>
#include <thread>

namespace iplb::test_support {

// Polls `condition` every `poll` until it holds or `timeout` passes;
// whether it held.
template <typename F>
bool eventually(std::chrono::milliseconds timeout, F condition,
		std::chrono::milliseconds poll = std::chrono::milliseconds(20))
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	while (!condition()) {
		if (std::chrono::steady_clock::now() >= deadline)
			return false;
		std::this_thread::sleep_for(poll);
	}
	return true;
}

} // namespace iplb::test_support
