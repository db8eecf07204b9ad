// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * frr-iplbd configuration callbacks: validated candidate configuration in,
 * calls into the core out.
 */
#include <zebra.h>

#include "log.h"
#include "northbound.h"
#include "yang.h"

#include "iplbd/iplbd.h"
#include "iplbd/iplb_nb.h"
#include "iplbd/iplb_vip.h"

/* XPath: /frr-iplbd:iplb */
int iplb_create(struct nb_cb_create_args *args)
{
	/* iplb_apply_finish() acts once all the leaves are in place. */
	return NB_OK;
}

int iplb_destroy(struct nb_cb_destroy_args *args)
{
	if (args->event != NB_EV_APPLY)
		return NB_OK;

	/* 'no router iplb': stop the LSDB feed, back to the defaults. */
	iplb_core_lsdb_enable(iplb_g.core, false);
	iplb_core_set_role(iplb_g.core, "host", NULL, 0);
	iplb_vip_remove_all();
	return NB_OK;
}

/*
 * Runs once per commit that touched anything under 'router iplb', after the
 * leaves: the LSDB feed gets its server and runs while iplb is configured.
 */
void iplb_apply_finish(struct nb_cb_apply_finish_args *args)
{
	const char *address =
		yang_dnode_get_string(args->dnode, "./lsdb/api-server-address");
	uint16_t port =
		yang_dnode_get_uint16(args->dnode, "./lsdb/api-server-port");
	uint32_t delay =
		yang_dnode_get_uint32(args->dnode, "./lsdb/debounce/delay");
	uint32_t max_hold =
		yang_dnode_get_uint32(args->dnode, "./lsdb/debounce/max-hold");

	if (!iplb_core_lsdb_set_server(iplb_g.core, address, port, args->errmsg,
				       args->errmsg_len))
		zlog_err("iplb: LSDB API server %s port %u refused: %s",
			 address, port, args->errmsg);
	if (!iplb_core_set_debounce(iplb_g.core, delay, max_hold, args->errmsg,
				    args->errmsg_len))
		zlog_err("iplb: LSDB debounce refused: %s", args->errmsg);
	iplb_core_lsdb_enable(iplb_g.core, true);
}

/* XPath: /frr-iplbd:iplb/role */
int iplb_role_modify(struct nb_cb_modify_args *args)
{
	const char *role = yang_dnode_get_string(args->dnode, NULL);

	switch (args->event) {
	case NB_EV_VALIDATE:
		/* YANG limits the values; the core has the final word. */
		if (!iplb_core_check_role(role, args->errmsg, args->errmsg_len))
			return NB_ERR_VALIDATION;
		return NB_OK;
	case NB_EV_PREPARE:
	case NB_EV_ABORT:
		return NB_OK;
	case NB_EV_APPLY:
		if (!iplb_core_set_role(iplb_g.core, role, args->errmsg,
					args->errmsg_len))
			return NB_ERR_INCONSISTENCY;
		iplb_vip_evaluate_all();
		return NB_OK;
	}
	return NB_OK;
}

/*
 * XPath: /frr-iplbd:iplb/lsdb/api-server-address and .../api-server-port
 * YANG validates both (IPv4 without zone, port 1-65535); they are applied
 * together by iplb_apply_finish() so that one commit reconnects once.
 */
int iplb_lsdb_api_server_address_modify(struct nb_cb_modify_args *args)
{
	return NB_OK;
}

int iplb_lsdb_api_server_port_modify(struct nb_cb_modify_args *args)
{
	return NB_OK;
}

/*
 * XPath: /frr-iplbd:iplb/lsdb/debounce/delay and .../max-hold
 * YANG checks the ranges and that max-hold >= delay; iplb_apply_finish()
 * applies them.
 */
int iplb_lsdb_debounce_delay_modify(struct nb_cb_modify_args *args)
{
	return NB_OK;
}

int iplb_lsdb_debounce_max_hold_modify(struct nb_cb_modify_args *args)
{
	return NB_OK;
}
