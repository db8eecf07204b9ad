// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's timing pieces: one host timer shared by several clients,
// and the SPF-like debounce of topology rebuilds.
#include "daemon/debouncer.hpp"
#include "util/timer_mux.hpp"

#include "poll_loop.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace std::chrono_literals;

namespace iplb {
namespace {

TEST(TimerMux, EachClientHasItsOwnTimer)
{
	test::PollLoop loop;
	TimerMux mux(loop);
	std::vector<char> fired;
	auto &a = mux.client([&] { fired.push_back('a'); });
	auto &b = mux.client([&] { fired.push_back('b'); });
	loop.set_handlers([](int, bool, bool) {}, [&] { mux.on_timer(); });

	b.arm_timer(40ms);
	a.arm_timer(10ms);
	EXPECT_TRUE(loop.timer_armed());
	ASSERT_TRUE(loop.run_until([&] { return fired.size() == 2; }, 2s));
	EXPECT_EQ(fired, (std::vector<char>{'a', 'b'}));

	a.arm_timer(10ms);
	a.cancel_timer();
	EXPECT_FALSE(loop.timer_armed()) << "nothing left to wait for";
}

TEST(Debouncer, RunsOnceAfterChangesStop)
{
	test::PollLoop loop;
	int runs = 0;
	Debouncer d(loop, [&] { runs++; }, {20ms, 1000ms});
	loop.set_handlers([](int, bool, bool) {}, [&] { d.on_timer(); });
	for (int i = 0; i < 5; i++) {
		d.poke();
		std::this_thread::sleep_for(5ms);
	}
	EXPECT_TRUE(d.pending());
	EXPECT_EQ(runs, 0);
	ASSERT_TRUE(loop.run_until([&] { return runs > 0; }, 2s));
	loop.run_until([] { return false; }, 60ms);
	EXPECT_EQ(runs, 1) << "five changes, one rebuild";
	EXPECT_FALSE(d.pending());
}

TEST(Debouncer, AFlappingLinkCannotStarveIt)
{
	test::PollLoop loop;
	int runs = 0;
	Debouncer d(loop, [&] { runs++; }, {30ms, 60ms});
	loop.set_handlers([](int, bool, bool) {}, [&] { d.on_timer(); });
	const auto start = std::chrono::steady_clock::now();
	// A change every 10 ms, forever: the max hold still fires it.
	loop.run_until(
		[&] {
			if (runs == 0)
				d.poke();
			return runs > 0;
		},
		2s);
	EXPECT_EQ(runs, 1);
	EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
}

} // namespace
} // namespace iplb
