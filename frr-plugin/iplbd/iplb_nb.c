// SPDX-License-Identifier: GPL-2.0-or-later
/* The frr-iplbd YANG module: which callback serves which node. */
#include <zebra.h>

#include "northbound.h"

#include "iplbd/iplb_nb.h"
#include "iplbd/iplb_vty.h"

/* clang-format off */
const struct frr_yang_module_info frr_iplbd_info = {
	.name = "frr-iplbd",
	.nodes = {
		{
			.xpath = IPLB_XPATH,
			.cbs = {
				.create = iplb_create,
				.destroy = iplb_destroy,
				.pre_validate = iplb_pre_validate,
				.apply_finish = iplb_apply_finish,
				.cli_show = cli_show_router_iplb,
				.cli_show_end = cli_show_router_iplb_end,
			},
		},
		{
			.xpath = IPLB_XPATH "/role",
			.cbs = {
				.modify = iplb_role_modify,
				.cli_show = cli_show_iplb_role,
			},
		},
		{
			.xpath = IPLB_XPATH "/lsdb",
			.cbs = {
				.cli_show = cli_show_iplb_lsdb,
			},
		},
		{
			.xpath = IPLB_XPATH "/lsdb/api-server-address",
			.cbs = {
				.modify = iplb_lsdb_api_server_address_modify,
			},
		},
		{
			.xpath = IPLB_XPATH "/lsdb/api-server-port",
			.cbs = {
				.modify = iplb_lsdb_api_server_port_modify,
			},
		},
		{
			.xpath = IPLB_XPATH "/lsdb/debounce",
			.cbs = {
				.cli_show = cli_show_iplb_lsdb_debounce,
			},
		},
		{
			.xpath = IPLB_XPATH "/lsdb/debounce/delay",
			.cbs = {
				.modify = iplb_lsdb_debounce_delay_modify,
			},
		},
		{
			.xpath = IPLB_XPATH "/lsdb/debounce/max-hold",
			.cbs = {
				.modify = iplb_lsdb_debounce_max_hold_modify,
			},
		},
		{
			.xpath = IPLB_XPATH "/path/k",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/path/metric",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/path/planner",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/path/max-relays",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/datapath/engine",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.cli_show = cli_show_iplb_datapath_engine,
			},
		},
		{
			.xpath = IPLB_XPATH "/datapath/instance",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
				.cli_show = cli_show_iplb_datapath_instance,
			},
		},
		{
			.xpath = IPLB_XPATH "/datapath/interface",
			.cbs = {
				.create = iplb_applied_at_finish_create,
				.destroy = iplb_applied_at_finish_destroy,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/datapath/encap",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/datapath/mode",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/datapath/source",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
				.cli_show = cli_show_iplb_datapath_source,
			},
		},
		{
			.xpath = IPLB_XPATH "/datapath/source6",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
				.cli_show = cli_show_iplb_datapath_source,
			},
		},
		{
			.xpath = IPLB_XPATH "/datapath/mtu",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/datapath/flow-idle",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/datapath/congestion-control",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/destinations/include",
			.cbs = {
				.create = iplb_applied_at_finish_create,
				.destroy = iplb_applied_at_finish_destroy,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/destinations/exclude",
			.cbs = {
				.create = iplb_applied_at_finish_create,
				.destroy = iplb_applied_at_finish_destroy,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/destinations/prefix-list",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
				.cli_show = cli_show_iplb_leaf,
			},
		},
		{
			.xpath = IPLB_XPATH "/prefix",
			.cbs = {
				.create = iplb_applied_at_finish_create,
				.destroy = iplb_applied_at_finish_destroy,
				.cli_show = cli_show_iplb_prefix,
			},
		},
		{
			.xpath = IPLB_XPATH "/prefix/k",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
			},
		},
		{
			.xpath = IPLB_XPATH "/prefix/planner",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
			},
		},
		{
			.xpath = IPLB_XPATH "/prefix/encap",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
			},
		},
		{
			.xpath = IPLB_XPATH "/prefix/mode",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
			},
		},
		{
			.xpath = IPLB_XPATH "/prefix/weights",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
			},
		},
		{
			.xpath = IPLB_XPATH "/static-route",
			.cbs = {
				.create = iplb_applied_at_finish_create,
				.destroy = iplb_applied_at_finish_destroy,
				.cli_show = cli_show_iplb_static_route,
			},
		},
		{
			.xpath = IPLB_XPATH "/static-route/list",
			.cbs = {
				.create = iplb_applied_at_finish_create,
				.destroy = iplb_applied_at_finish_destroy,
				.move = iplb_applied_at_finish_move,
			},
		},
		{
			.xpath = IPLB_XPATH "/static-route/encap",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
			},
		},
		{
			.xpath = IPLB_XPATH "/static-route/mode",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
			},
		},
		{
			.xpath = IPLB_XPATH "/vip",
			.cbs = {
				.create = iplb_vip_create,
				.destroy = iplb_vip_destroy,
				.cli_show = cli_show_iplb_vip,
			},
		},
		{
			.xpath = IPLB_XPATH "/vip/drain",
			.cbs = {
				.modify = iplb_vip_drain_modify,
			},
		},
		{
			.xpath = IPLB_XPATH "/lb",
			.cbs = {
				.cli_show = cli_show_iplb_lb,
			},
		},
		{
			.xpath = IPLB_XPATH "/lb/etcd-endpoint",
			.cbs = {
				.create = iplb_applied_at_finish_create,
				.destroy = iplb_applied_at_finish_destroy,
				.move = iplb_applied_at_finish_move,
			},
		},
		{
			.xpath = IPLB_XPATH "/lb/redis-endpoint",
			.cbs = {
				.create = iplb_applied_at_finish_create,
				.destroy = iplb_applied_at_finish_destroy,
				.move = iplb_applied_at_finish_move,
			},
		},
		{
			.xpath = IPLB_XPATH "/lb/interface",
			.cbs = {
				.create = iplb_applied_at_finish_create,
				.destroy = iplb_applied_at_finish_destroy,
			},
		},
		{
			.xpath = IPLB_XPATH "/lb/etcd-prefix",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
			},
		},
		{
			.xpath = IPLB_XPATH "/lb/name",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
				.destroy = iplb_applied_at_finish_destroy,
			},
		},
		{
			.xpath = IPLB_XPATH "/lb/controller",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
			},
		},
		{
			.xpath = IPLB_XPATH "/lb/fib-lookup",
			.cbs = {
				.modify = iplb_applied_at_finish_modify,
			},
		},
		{
			.xpath = NULL,
		},
	}
};
/* clang-format on */
