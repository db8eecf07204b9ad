// SPDX-License-Identifier: GPL-2.0-or-later
// struct iplb_core, the handle the C glue holds: the daemon and the glue's
// callbacks it runs on. Shared by the capi/ files, never seen by C.
#pragma once

#include "capi/guard.hpp"
#include "capi/iplb_core.h"
#include "daemon/daemon.hpp"
#include "util/io_driver.hpp"

namespace iplb::capi {

// The daemon's event loop, seen through the C callbacks it registered.
class CallbackIoDriver final : public IoDriver {
public:
	explicit CallbackIoDriver(const iplb_io_ops &ops) : ops_(ops) {}

	void watch(int fd, Interest interest) override
	{
		ops_.watch(ops_.ctx, fd,
			   interest == Interest::read || interest == Interest::read_write,
			   interest == Interest::write || interest == Interest::read_write);
	}
	void arm_timer(std::chrono::milliseconds delay) override
	{
		ops_.arm_timer(ops_.ctx, static_cast<uint32_t>(delay.count()));
	}
	void cancel_timer() override { ops_.cancel_timer(ops_.ctx); }

private:
	iplb_io_ops ops_;
};

} // namespace iplb::capi

struct iplb_core {
	explicit iplb_core(const iplb_io_ops &ops);

	iplb_io_ops ops;
	iplb::capi::CallbackIoDriver io;
	iplb::Daemon daemon;
};

namespace iplb::capi {

// Where a failure of a call on `core` is reported: its log, and errbuf.
inline Failure failure_of(const iplb_core *core, const char *function, char *errbuf = nullptr,
			  size_t errlen = 0) noexcept
{
	return {function, core != nullptr ? &core->ops : nullptr, nullptr, errbuf, errlen};
}

} // namespace iplb::capi
