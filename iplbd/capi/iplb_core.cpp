// SPDX-License-Identifier: GPL-2.0-or-later
// The C interface of the core (iplb_core.h): converts types and errors,
// holds no logic of its own.
#include "capi/iplb_core.h"

#include "status/daemon_status.hpp"
#include "status/uptime.hpp"

#include <cstdio>
#include <memory>
#include <new>
#include <string_view>

#ifndef IPLB_VERSION
#error "IPLB_VERSION must be defined by the build"
#endif

struct iplb_core {
	iplb::DaemonStatus status;
};

namespace {

void copy_text(std::string_view text, char *buf, size_t len)
{
	if (buf == nullptr || len == 0)
		return;
	std::snprintf(buf, len, "%.*s", static_cast<int>(text.size()), text.data());
}

} // namespace

extern "C" {

struct iplb_core *iplb_core_new(void)
{
	return new (std::nothrow) iplb_core{};
}

void iplb_core_free(struct iplb_core *core)
{
	std::unique_ptr<iplb_core> owned(core);
}

const char *iplb_core_version(void)
{
	return IPLB_VERSION;
}

bool iplb_core_set_role(struct iplb_core *core, const char *name, char *errbuf, size_t errlen)
{
	auto role = iplb::parse_role(name != nullptr ? name : "");
	if (!role) {
		copy_text(role.error().message, errbuf, errlen);
		return false;
	}
	core->status.set_role(*role);
	return true;
}

void iplb_core_status(const struct iplb_core *core, struct iplb_status *status)
{
	const auto uptime = core->status.uptime();

	*status = {};
	copy_text(IPLB_VERSION, status->version, sizeof(status->version));
	copy_text(iplb::to_string(core->status.role()), status->role, sizeof(status->role));
	status->uptime_sec = static_cast<uint64_t>(uptime.count());
	copy_text(iplb::format_uptime(uptime), status->uptime, sizeof(status->uptime));
}

} // extern "C"
