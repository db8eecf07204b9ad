// SPDX-License-Identifier: GPL-2.0-or-later
// iplb_mux.h: the mux plane's VIPs, named by their text.
#include "capi/core_handle.hpp"
#include "capi/iplb_mux.h"
#include "roles/mux_plane.hpp"
#include "util/ipv6.hpp"

using iplb::capi::copy_text;
using iplb::capi::failure_of;
using iplb::capi::guarded;
using iplb::capi::take;
using iplb::capi::text_of;

namespace {

// The VIP `prefix` names, checked; false and why if it cannot be one.
bool vip_of(const char *prefix, iplb::IpPrefix &vip, char *errbuf, size_t errlen)
{
	if (!take(iplb::parse_ip_prefix(text_of(prefix)), vip, errbuf, errlen))
		return false;
	if (auto s = iplb::MuxPlane::check_vip(vip); !s) {
		copy_text(s.error().message, errbuf, errlen);
		return false;
	}
	return true;
}

} // namespace

extern "C" {

bool iplb_mux_check_vip(const char *prefix, char *errbuf, size_t errlen)
{
	return guarded(failure_of(nullptr, __func__, errbuf, errlen), false, [&] {
		iplb::IpPrefix vip;
		return vip_of(prefix, vip, errbuf, errlen);
	});
}

bool iplb_mux_vip_set(struct iplb_core *core, const char *prefix, bool drain, char *errbuf,
		      size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), false, [&] {
		iplb::IpPrefix vip;
		if (!vip_of(prefix, vip, errbuf, errlen))
			return false;
		return take(core->daemon.mux().set_vip(vip, drain), errbuf, errlen);
	});
}

void iplb_mux_vip_remove(struct iplb_core *core, const char *prefix)
{
	guarded(failure_of(core, __func__), [&] {
		iplb::IpPrefix vip;
		if (vip_of(prefix, vip, nullptr, 0))
			core->daemon.mux().remove_vip(vip);
	});
}

void iplb_mux_vip_remove_all(struct iplb_core *core, const char *why)
{
	guarded(failure_of(core, __func__), [&] { core->daemon.mux().remove_all(text_of(why)); });
}

bool iplb_mux_vip_advertised(const struct iplb_core *core, const char *prefix)
{
	return guarded(failure_of(core, __func__), false, [&] {
		iplb::IpPrefix vip;
		return vip_of(prefix, vip, nullptr, 0) && core->daemon.mux().advertised(vip);
	});
}

} // extern "C"
