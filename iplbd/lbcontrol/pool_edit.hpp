// SPDX-License-Identifier: GPL-2.0-or-later
// An operator's change to a VIP's configuration in etcd (docs/LB.md,
// "Configuring pools"): the configuration is etcd's only (config/<vip>),
// so vtysh's `lb vip ...` commands are read-modify-write transactions on
// that key, never node configuration. apply_edit() is the pure part; the
// write compares the key's revision with the one read, so two operators
// editing at once cannot lose each other's change (the second is told to
// try again).
#pragma once

#include "cluster/etcd_client.hpp"
#include "lbcontrol/schema.hpp"

#include <optional>

namespace iplb::lbcontrol {

struct PoolEdit {
	enum class Op {
		add_vip,	// create (bucket_count: 0 = the default); exists: refused
		remove_vip,	// delete; unknown: refused
		set_backend,	// add, or change weight / drain of an existing one
		remove_backend, // unknown backend: refused
		set_health_check,
		remove_health_check,
		set_drain_timeout,
		set_mptcp,
	};
	Op op = Op::add_vip;
	VipId vip;
	uint32_t bucket_count = 0; // add_vip
	lb::Dip backend;
	std::optional<uint32_t> weight;	   // set_backend: unchanged when absent (new: 1)
	std::optional<bool> drain;	   // set_backend: unchanged when absent (new: no)
	HealthCheckConfig health_check;	   // set_health_check
	uint32_t drain_timeout = 240;	   // set_drain_timeout
	MptcpMode mptcp = MptcpMode::none; // set_mptcp
	uint16_t mptcp_first_port = 0;	   // set_mptcp port; 0: unchanged
};

// The configuration after the edit (nullopt: the VIP is deleted), checked
// whole (check_vip_config); an error naming what is wrong otherwise.
Result<std::optional<VipConfig>, Error> apply_edit(const std::optional<VipConfig> &current,
						   const PoolEdit &edit);

// Reads config/<vip>, applies the edit, writes it back if the key did not
// change in between. Errors: the edit's, etcd's (unreachable: "nothing
// changed"), or a concurrent change.
Status edit_pool(cluster::EtcdClient &client, const Keys &keys, const PoolEdit &edit);

} // namespace iplb::lbcontrol
