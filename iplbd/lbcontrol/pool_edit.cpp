// SPDX-License-Identifier: GPL-2.0-or-later
#include "lbcontrol/pool_edit.hpp"

#include "lb/assign.hpp"

#include <algorithm>

namespace iplb::lbcontrol {

Result<std::optional<VipConfig>, Error> apply_edit(const std::optional<VipConfig> &current,
						   const PoolEdit &edit)
{
	using Op = PoolEdit::Op;
	const auto vip = to_string(edit.vip);
	if (edit.op == Op::add_vip) {
		if (current)
			return unexpected(Error{"VIP " + vip + " exists already"});
		VipConfig config;
		config.vip = edit.vip;
		config.bucket_count =
			edit.bucket_count != 0 ? edit.bucket_count : lb::default_bucket_count(0);
		if (auto checked = check_vip_config(config); !checked)
			return unexpected(checked.error());
		return std::optional<VipConfig>{config};
	}
	if (!current)
		return unexpected(Error{"unknown VIP " + vip + " ('lb vip " +
					to_string(edit.vip.address) + " ...' creates it)"});
	if (edit.op == Op::remove_vip)
		return std::optional<VipConfig>{};
	VipConfig config = *current;
	auto &backends = config.backends;
	const auto it = std::find_if(backends.begin(), backends.end(),
				     [&](const auto &b) { return b.dip == edit.backend; });
	switch (edit.op) {
	case Op::set_backend:
		if (edit.weight && (*edit.weight < lb::min_weight || *edit.weight > lb::max_weight))
			return unexpected(Error{"weight " + std::to_string(*edit.weight) +
						" is out of range (" +
						std::to_string(lb::min_weight) + "-" +
						std::to_string(lb::max_weight) + ")"});
		if (it == backends.end()) {
			backends.push_back({edit.backend, edit.weight.value_or(1),
					    edit.drain.value_or(false)});
			std::sort(backends.begin(), backends.end(),
				  [](const auto &a, const auto &b) { return a.dip < b.dip; });
		} else if (!edit.weight && !edit.drain) {
			return unexpected(Error{"backend " + to_string(edit.backend) +
						" is in the pool of " + vip +
						" already (give a weight, drain or undrain to "
						"change it)"});
		} else {
			if (edit.weight)
				it->weight = *edit.weight;
			if (edit.drain)
				it->drain = *edit.drain;
		}
		break;
	case Op::remove_backend:
		if (it == backends.end())
			return unexpected(
				Error{"VIP " + vip + " has no backend " + to_string(edit.backend)});
		backends.erase(it);
		break;
	case Op::set_health_check:
		config.health_check = edit.health_check;
		break;
	case Op::remove_health_check:
		config.health_check = HealthCheckConfig{};
		break;
	case Op::set_drain_timeout:
		config.drain_timeout = edit.drain_timeout;
		break;
	case Op::set_mptcp:
		config.mptcp = edit.mptcp;
		if (edit.mptcp_first_port != 0)
			config.mptcp_first_port = edit.mptcp_first_port;
		break;
	case Op::add_vip:
	case Op::remove_vip:
		break;
	}
	if (auto checked = check_vip_config(config); !checked)
		return unexpected(checked.error());
	return std::optional<VipConfig>{config};
}

Status edit_pool(cluster::EtcdClient &client, const Keys &keys, const PoolEdit &edit)
{
	const auto key = keys.config(edit.vip);
	auto read = client.get(key);
	if (!read)
		return unexpected(Error{"etcd: " + read.error().message + "; nothing changed"});
	std::optional<VipConfig> current;
	cluster::Revision revision = 0;
	if (*read) {
		auto decoded = decode_vip_config((*read)->value);
		if (!decoded)
			return unexpected(Error{"the stored configuration of " +
						to_string(edit.vip) + " is unreadable (" +
						decoded.error().message + "): fix or delete " +
						key});
		current = *decoded;
		revision = (*read)->mod_revision;
	}
	auto next = apply_edit(current, edit);
	if (!next)
		return unexpected(next.error());
	cluster::Txn txn;
	txn.compares.push_back(cluster::Compare::mod_revision_is(key, revision));
	txn.success.push_back(*next ? cluster::TxnOp::put(key, encode(**next))
				    : cluster::TxnOp::erase(key));
	auto written = client.txn(txn);
	if (!written)
		return unexpected(
			Error{"etcd: " + written.error().message +
			      "; the change may not have been applied (check 'show iplb lb')"});
	if (!written->succeeded)
		return unexpected(Error{"the configuration of " + to_string(edit.vip) +
					" changed meanwhile; nothing changed, try again"});
	return ok();
}

} // namespace iplb::lbcontrol
