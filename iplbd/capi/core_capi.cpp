// SPDX-License-Identifier: GPL-2.0-or-later
// iplb_core.h: the core's life, its event-loop callbacks, debug flags.
// Converts types and errors, holds no logic of its own.
#include "capi/core_handle.hpp"

#include <memory>
#include <new>

#ifndef IPLB_VERSION
#error "IPLB_VERSION must be defined by the build"
#endif

using iplb::capi::failure_of;
using iplb::capi::guarded;

namespace {

iplb::LogSink log_sink(const iplb_io_ops &ops)
{
	if (ops.log == nullptr)
		return {};
	return [ops](iplb::LogLevel level, const std::string &message) {
		ops.log(ops.ctx, static_cast<int>(level), message.c_str());
	};
}

} // namespace

iplb_core::iplb_core(const iplb_io_ops &ops_) : ops(ops_), io(ops_), daemon(io, log_sink(ops_))
{
	if (ops.raise_privileges != nullptr && ops.lower_privileges != nullptr)
		daemon.set_privileges({[this] { ops.raise_privileges(ops.ctx); },
				       [this] {
					       ops.lower_privileges(ops.ctx);
				       }});
	if (ops.prefix_list_permits != nullptr)
		daemon.host().pipeline().set_prefix_list_check(
			[this](const std::string &name, const iplb::Ipv4Prefix &p) {
				return ops.prefix_list_permits(ops.ctx, name.c_str(),
							       p.address.value, p.length);
			});
	if (ops.announce_vip != nullptr)
		daemon.mux().set_announcer([this](const iplb::IpPrefix &vip, bool announce) {
			return ops.announce_vip(ops.ctx, iplb::to_string(vip).c_str(), announce);
		});
}

extern "C" {

struct iplb_core *iplb_core_new(const struct iplb_io_ops *ops)
{
	if (ops == nullptr || ops->watch == nullptr || ops->arm_timer == nullptr ||
	    ops->cancel_timer == nullptr)
		return nullptr;
	return guarded(failure_of(nullptr, __func__), static_cast<iplb_core *>(nullptr),
		       [&] { return new iplb_core(*ops); });
}

void iplb_core_free(struct iplb_core *core)
{
	guarded(failure_of(core, __func__), [&] { std::unique_ptr<iplb_core> owned(core); });
}

void iplb_core_on_io(struct iplb_core *core, int fd, bool readable, bool writable)
{
	guarded(failure_of(core, __func__), [&] { core->daemon.on_io(fd, readable, writable); });
}

void iplb_core_on_timer(struct iplb_core *core)
{
	guarded(failure_of(core, __func__), [&] { core->daemon.on_timer(); });
}

void iplb_core_zebra_connected(struct iplb_core *core)
{
	guarded(failure_of(core, __func__), [&] { core->daemon.mux().zebra_connected(); });
}

void iplb_core_set_state_dir(struct iplb_core *core, const char *dir)
{
	guarded(failure_of(core, __func__), [&] {
		if (dir && *dir)
			core->daemon.host().set_record(
				iplb::OwnedInstances(std::string(dir) + "/iplbd.datapath"));
	});
}

void iplb_core_config_loaded(struct iplb_core *core)
{
	guarded(failure_of(core, __func__), [&] { core->daemon.host().configuration_loaded(); });
}

const char *iplb_core_version(void)
{
	return IPLB_VERSION;
}

void iplb_core_set_debug(struct iplb_core *core, uint32_t categories)
{
	guarded(failure_of(core, __func__), [&] {
		core->daemon.set_debug({.lsdb = (categories & IPLB_DEBUG_LSDB) != 0,
					.paths = (categories & IPLB_DEBUG_PATHS) != 0,
					.datapath = (categories & IPLB_DEBUG_DATAPATH) != 0});
	});
}

} // extern "C"
