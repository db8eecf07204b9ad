// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * frr-iplbd list vip: the VIPs of a mux, handed to the core, which decides
 * whether each is advertised (iplb_mux.h) and sends it to zebra through
 * iplb_zebra_vip_send().
 */
#include <zebra.h>

#include "northbound.h"
#include "prefix.h"
#include "yang.h"

#include "iplbd/iplbd.h"
#include "iplbd/iplb_mux.h"
#include "iplbd/iplb_nb.h"

/* The VIP of the list entry at dnode, as the core names it. */
static void iplb_vip_key(const struct lyd_node *dnode, const char *xpath,
			 char *buf, size_t len)
{
	struct prefix p;

	yang_dnode_get_prefix(&p, dnode, xpath);
	prefix2str(&p, buf, len);
}

/*
 * XPath: /frr-iplbd:iplb/vip
 * YANG accepts only host routes and only under role mux; the core checks
 * the length again, the route code relies on it.
 */
int iplb_vip_create(struct nb_cb_create_args *args)
{
	char vip[PREFIX_STRLEN];

	iplb_vip_key(args->dnode, "./prefix", vip, sizeof(vip));
	switch (args->event) {
	case NB_EV_VALIDATE:
		if (!iplb_mux_check_vip(vip, args->errmsg, args->errmsg_len))
			return NB_ERR_VALIDATION;
		return NB_OK;
	case NB_EV_PREPARE:
	case NB_EV_ABORT:
		return NB_OK;
	case NB_EV_APPLY:
		break;
	}
	if (!iplb_mux_vip_set(iplb_g.core, vip,
			      yang_dnode_get_bool(args->dnode, "./drain"),
			      args->errmsg, args->errmsg_len))
		return NB_ERR_INCONSISTENCY;
	return NB_OK;
}

int iplb_vip_destroy(struct nb_cb_destroy_args *args)
{
	char vip[PREFIX_STRLEN];

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	iplb_vip_key(args->dnode, "./prefix", vip, sizeof(vip));
	iplb_mux_vip_remove(iplb_g.core, vip);
	return NB_OK;
}

/* XPath: /frr-iplbd:iplb/vip/drain */
int iplb_vip_drain_modify(struct nb_cb_modify_args *args)
{
	char vip[PREFIX_STRLEN];

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	iplb_vip_key(args->dnode, "../prefix", vip, sizeof(vip));
	if (!iplb_mux_vip_set(iplb_g.core, vip,
			      yang_dnode_get_bool(args->dnode, NULL),
			      args->errmsg, args->errmsg_len))
		return NB_ERR_INCONSISTENCY;
	return NB_OK;
}
