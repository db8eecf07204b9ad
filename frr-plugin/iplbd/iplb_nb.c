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
			.xpath = NULL,
		},
	}
};
/* clang-format on */
