// SPDX-License-Identifier: GPL-2.0-or-later
// iplb_lb.h: the load balancer's pools in etcd, edited and shown.
#include "capi/core_handle.hpp"
#include "capi/iplb_lb.h"
#include "show/show.hpp"

#include <string>

using iplb::capi::c_string;
using iplb::capi::copy_text;
using iplb::capi::failure_of;
using iplb::capi::guarded;
using iplb::capi::text_of;

namespace {

iplb::Result<iplb::lbcontrol::VipId, iplb::Error> vip_of(const iplb_lb_vip *vip)
{
	if (vip == nullptr || vip->address == nullptr)
		return iplb::unexpected(iplb::Error{"no VIP given"});
	auto address = iplb::parse_ip_address(text_of(vip->address));
	if (!address)
		return iplb::unexpected(address.error());
	const std::string protocol(vip->protocol ? text_of(vip->protocol) : "tcp");
	if (protocol != "tcp" && protocol != "udp")
		return iplb::unexpected(iplb::Error{"protocol '" + protocol + "': tcp or udp"});
	iplb::lbcontrol::VipId id{*address, static_cast<uint8_t>(protocol == "tcp" ? 6 : 17),
				  vip->port};
	if (auto checked = iplb::lbcontrol::check_vip(id); !checked)
		return iplb::unexpected(checked.error());
	return id;
}

iplb::Result<iplb::lbcontrol::PoolEdit, iplb::Error> edit_of(const iplb_lb_edit &in)
{
	using Op = iplb::lbcontrol::PoolEdit::Op;
	iplb::lbcontrol::PoolEdit edit;
	auto vip = vip_of(&in.vip);
	if (!vip)
		return iplb::unexpected(vip.error());
	edit.vip = *vip;
	switch (in.op) {
	case IPLB_LB_VIP_ADD:
		edit.op = Op::add_vip;
		edit.bucket_count = in.buckets;
		break;
	case IPLB_LB_VIP_REMOVE:
		edit.op = Op::remove_vip;
		break;
	case IPLB_LB_BACKEND_SET:
	case IPLB_LB_BACKEND_REMOVE: {
		edit.op = in.op == IPLB_LB_BACKEND_SET ? Op::set_backend : Op::remove_backend;
		auto dip = iplb::lb::parse_dip(text_of(in.backend));
		if (!dip)
			return iplb::unexpected(iplb::Error{"backend: " + dip.error().message});
		edit.backend = *dip;
		if (in.weight >= 0)
			edit.weight =
				static_cast<uint32_t>(std::min<int64_t>(in.weight, UINT32_MAX));
		if (in.drain >= 0)
			edit.drain = in.drain != 0;
		break;
	}
	case IPLB_LB_HEALTH_CHECK_SET: {
		edit.op = Op::set_health_check;
		auto &check = edit.health_check;
		const std::string kind(text_of(in.check));
		if (kind != "tcp" && kind != "http")
			return iplb::unexpected(
				iplb::Error{"health check '" + kind + "': tcp or http"});
		check.kind = kind == "tcp" ? iplb::lbcontrol::HealthCheckConfig::Kind::tcp
					   : iplb::lbcontrol::HealthCheckConfig::Kind::http;
		check.port = in.check_port;
		if (in.check_path != nullptr)
			check.path = std::string(text_of(in.check_path));
		if (in.check_interval_ms != 0)
			check.interval_ms = in.check_interval_ms;
		if (in.check_timeout_ms != 0)
			check.timeout_ms = in.check_timeout_ms;
		if (in.check_rise != 0)
			check.rise = in.check_rise;
		if (in.check_fall != 0)
			check.fall = in.check_fall;
		break;
	}
	case IPLB_LB_HEALTH_CHECK_REMOVE:
		edit.op = Op::remove_health_check;
		break;
	case IPLB_LB_DRAIN_TIMEOUT_SET:
		edit.op = Op::set_drain_timeout;
		edit.drain_timeout = in.drain_timeout;
		break;
	case IPLB_LB_MPTCP_SET: {
		edit.op = Op::set_mptcp;
		auto mode = iplb::lbcontrol::parse_mptcp_mode(text_of(in.mptcp));
		if (!mode)
			return iplb::unexpected(mode.error());
		edit.mptcp = *mode;
		edit.mptcp_first_port = in.mptcp_first_port;
		break;
	}
	default:
		return iplb::unexpected(iplb::Error{"unknown edit"});
	}
	return edit;
}

char *handed_over(const std::string &text, char *errbuf, size_t errlen)
{
	char *out = c_string(text);
	if (out == nullptr)
		copy_text("out of memory", errbuf, errlen);
	return out;
}

constexpr char *none = nullptr;

} // namespace

extern "C" {

bool iplb_lb_apply_edit(struct iplb_core *core, const struct iplb_lb_edit *edit, char *errbuf,
			size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), false, [&] {
		if (edit == nullptr) {
			copy_text("no edit", errbuf, errlen);
			return false;
		}
		auto pool_edit = edit_of(*edit);
		if (!pool_edit) {
			copy_text(pool_edit.error().message, errbuf, errlen);
			return false;
		}
		auto done = core->daemon.lb().edit(*pool_edit);
		if (!done)
			copy_text(done.error().message, errbuf, errlen);
		return done.has_value();
	});
}

char *iplb_show_lb(const struct iplb_core *core, const struct iplb_lb_vip *vip, bool json,
		   char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&]() -> char * {
		std::optional<iplb::lbcontrol::VipId> only;
		if (vip != nullptr) {
			auto id = vip_of(vip);
			if (!id) {
				copy_text(id.error().message, errbuf, errlen);
				return nullptr;
			}
			only = *id;
		}
		auto shown = iplb::lb_json(core->daemon, only);
		if (!shown) {
			copy_text(shown.error().message, errbuf, errlen);
			return nullptr;
		}
		return handed_over(json ? shown->dump() : iplb::lb_text(*shown), errbuf, errlen);
	});
}

char *iplb_show_lb_buckets(const struct iplb_core *core, const struct iplb_lb_vip *vip, bool json,
			   char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&]() -> char * {
		auto id = vip_of(vip);
		if (!id) {
			copy_text(id.error().message, errbuf, errlen);
			return nullptr;
		}
		auto shown = iplb::lb_buckets_json(core->daemon, *id);
		if (!shown) {
			copy_text(shown.error().message, errbuf, errlen);
			return nullptr;
		}
		return handed_over(json ? shown->dump() : iplb::lb_buckets_text(*shown), errbuf,
				   errlen);
	});
}

char *iplb_show_lb_mux(const struct iplb_core *core, bool json, char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&] {
		const auto mux = iplb::lb_mux_json(core->daemon);
		return handed_over(json ? mux.dump() : iplb::lb_mux_text(mux), errbuf, errlen);
	});
}

char *iplb_show_lb_mptcp(const struct iplb_core *core, bool json, char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&] {
		const auto mptcp = iplb::lb_mptcp_json(core->daemon);
		return handed_over(json ? mptcp.dump() : iplb::lb_mptcp_text(mptcp), errbuf,
				   errlen);
	});
}

char *iplb_show_lb_backend(const struct iplb_core *core, bool json, char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&] {
		const auto backend = iplb::lb_backend_json(core->daemon);
		return handed_over(json ? backend.dump() : iplb::lb_backend_text(backend), errbuf,
				   errlen);
	});
}

} // extern "C"
