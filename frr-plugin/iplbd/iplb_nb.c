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
			.xpath = NULL,
		},
	}
};
/* clang-format on */
