// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/mux_plane.hpp"

namespace iplb {

Status MuxPlane::check_vip(const IpPrefix &vip)
{
	const unsigned host_length = is_v6(vip) ? 128 : 32;
	const unsigned length =
		is_v6(vip) ? std::get<Ipv6Prefix>(vip).length : std::get<Ipv4Prefix>(vip).length;
	if (length != host_length)
		return unexpected(
			Error{"VIP " + to_string(vip) + ": an IPv4 /32 or an IPv6 /128 only"});
	// Announced into BGP for others to reach: a unicast address of a node.
	const IpAddress address = is_v6(vip) ? IpAddress{std::get<Ipv6Prefix>(vip).address}
					     : IpAddress{std::get<Ipv4Prefix>(vip).address};
	if (const std::string_view why = unusable_node_address(address); !why.empty())
		return unexpected(Error{"VIP " + to_string(vip) + ": " + std::string(why) +
					" cannot be a VIP"});
	return ok();
}

Status MuxPlane::set_vip(const IpPrefix &vip, bool drain)
{
	if (auto s = check_vip(vip); !s)
		return s;
	Vip &entry = vips_[vip];
	entry.drain = drain;
	entry.configured = true;
	evaluate(vip, entry);
	return ok();
}

void MuxPlane::set_etcd_vips(const std::set<IpPrefix> &vips)
{
	for (auto it = vips_.begin(); it != vips_.end();) {
		Vip &vip = it->second;
		if (!vip.etcd || vips.contains(it->first)) {
			++it;
			continue;
		}
		vip.etcd = false;
		if (vip.configured) {
			++it;
			continue;
		}
		if (vip.sent) {
			send(it->first, false);
			info("VIP " + to_string(it->first) +
			     " withdrawn: not served from etcd's pools now");
		}
		it = vips_.erase(it);
	}
	for (const auto &prefix : vips) {
		if (!check_vip(prefix))
			continue;
		Vip &vip = vips_[prefix];
		vip.etcd = true;
		evaluate(prefix, vip);
	}
}

void MuxPlane::remove_vip(const IpPrefix &vip)
{
	auto it = vips_.find(vip);
	if (it == vips_.end())
		return;
	if (it->second.etcd) {
		// Still one of etcd's: it stays, announced as those are.
		it->second.configured = false;
		it->second.drain = false;
		evaluate(vip, it->second);
		return;
	}
	if (it->second.sent) {
		send(vip, false);
		info("VIP " + to_string(vip) + " withdrawn: removed");
	}
	vips_.erase(it);
}

void MuxPlane::remove_all(std::string_view why)
{
	for (const auto &[prefix, vip] : vips_)
		if (vip.sent) {
			send(prefix, false);
			info("VIP " + to_string(prefix) + " withdrawn: " + std::string(why));
		}
	vips_.clear();
}

void MuxPlane::set_role(Role role)
{
	role_ = role;
	evaluate_all();
}

void MuxPlane::set_datapath_healthy(bool healthy)
{
	healthy_ = healthy;
	evaluate_all();
}

void MuxPlane::zebra_connected()
{
	for (auto &[prefix, vip] : vips_) {
		vip.sent = false;
		evaluate(prefix, vip);
	}
}

std::optional<std::string_view> MuxPlane::blocker(const Vip &vip) const
{
	if (vip.drain)
		return "drained";
	if (!planes_of(role_).mux) {
		switch (role_) {
		case Role::host:
			return "role is host";
		case Role::backend:
			return "role is backend";
		case Role::mux:
			break;
		}
		return "role is not mux";
	}
	if (!healthy_)
		return "datapath not healthy";
	return std::nullopt;
}

std::optional<std::string_view> MuxPlane::blocker(const IpPrefix &vip) const
{
	auto it = vips_.find(vip);
	return it == vips_.end() ? std::nullopt : blocker(it->second);
}

bool MuxPlane::advertised(const IpPrefix &vip) const
{
	auto it = vips_.find(vip);
	return it != vips_.end() && it->second.sent;
}

std::vector<VipView> MuxPlane::vips(bool zebra_up) const
{
	std::vector<VipView> out;
	for (const auto &[prefix, vip] : vips_) {
		VipView view{.prefix = prefix,
			     .drain = vip.drain,
			     .advertised = false,
			     .reason = {},
			     .etcd = vip.etcd};
		if (auto why = blocker(vip))
			view.reason = *why;
		else if (!zebra_up)
			view.reason = "zebra not connected";
		else if (!vip.sent)
			view.reason = "zebra refused the route";
		view.advertised = view.reason.empty();
		out.push_back(std::move(view));
	}
	return out;
}

void MuxPlane::evaluate(const IpPrefix &prefix, Vip &vip)
{
	const auto why = blocker(vip);
	if (!why && !vip.sent) {
		// Not sent (no zebra session): it is, on the next connection.
		if (announcer_ && announcer_(prefix, true)) {
			vip.sent = true;
			info("VIP " + to_string(prefix) + " advertised");
		}
	} else if (why && vip.sent) {
		// Not sent: zebra dropped our routes when we left.
		send(prefix, false);
		vip.sent = false;
		info("VIP " + to_string(prefix) + " withdrawn: " + std::string(*why));
	}
}

void MuxPlane::evaluate_all()
{
	for (auto &[prefix, vip] : vips_)
		evaluate(prefix, vip);
}

void MuxPlane::send(const IpPrefix &prefix, bool announce)
{
	if (announcer_)
		(void)announcer_(prefix, announce);
}

} // namespace iplb
