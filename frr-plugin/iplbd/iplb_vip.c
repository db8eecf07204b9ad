// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VIPs of a mux. The configuration (frr-iplbd, list vip) says which
 * VIPs exist and which are drained; this file keeps the FRR-side state of
 * each one, whether its route of type iplb is in zebra, and sends the
 * route or withdraws it whenever what should be changes:
 *
 *   advertised  <=>  role mux  and  not drained  and  datapath healthy
 *
 * (and zebra connected: on a reconnection every VIP is sent again).
 */
#include <zebra.h>

#include "log.h"
#include "memory.h"
#include "northbound.h"
#include "prefix.h"
#include "typesafe.h"
#include "yang.h"

#include "iplbd/iplbd.h"
#include "iplbd/iplb_nb.h"
#include "iplbd/iplb_vip.h"
#include "iplbd/iplb_zebra.h"

DEFINE_MGROUP(IPLBD, "iplbd");
DEFINE_MTYPE_STATIC(IPLBD, IPLB_VIP, "iplb VIP");

PREDECL_RBTREE_UNIQ(iplb_vips);

struct iplb_vip {
	struct iplb_vips_item item;
	struct prefix prefix;
	bool drain;
	/* The last message sent to zebra for it was an add. */
	bool sent;
};

static int iplb_vip_cmp(const struct iplb_vip *a, const struct iplb_vip *b)
{
	return prefix_cmp(&a->prefix, &b->prefix);
}

DECLARE_RBTREE_UNIQ(iplb_vips, struct iplb_vip, item, iplb_vip_cmp);

static struct iplb_vips_head vips = INIT_RBTREE_UNIQ(vips);

static struct iplb_vip *iplb_vip_find(const struct prefix *p)
{
	struct iplb_vip key = {};

	prefix_copy(&key.prefix, p);
	return iplb_vips_find(&vips, &key);
}

static bool iplb_vip_role_is_mux(const char **reason)
{
	struct iplb_status st;

	iplb_core_status(iplb_g.core, &st);
	if (strmatch(st.role, "mux"))
		return true;
	if (strmatch(st.role, "host"))
		*reason = "role is host";
	else if (strmatch(st.role, "backend"))
		*reason = "role is backend";
	else
		*reason = "role is not mux";
	return false;
}

/* Why the VIP must not be advertised now; NULL if it should be. */
static const char *iplb_vip_blocker(const struct iplb_vip *vip)
{
	const char *reason = NULL;

	if (vip->drain)
		return "drained";
	if (!iplb_vip_role_is_mux(&reason))
		return reason;
	if (!iplb_core_datapath_healthy(iplb_g.core))
		return "datapath not healthy";
	return NULL;
}

static void iplb_vip_evaluate(struct iplb_vip *vip)
{
	const char *blocker = iplb_vip_blocker(vip);

	if (!blocker && !vip->sent) {
		/* Not connected: sent on the connection. */
		if (iplb_zebra_vip_send(&vip->prefix, true)) {
			vip->sent = true;
			zlog_info("VIP %pFX advertised", &vip->prefix);
		}
	} else if (blocker && vip->sent) {
		/* Not connected: zebra dropped our routes when we left. */
		iplb_zebra_vip_send(&vip->prefix, false);
		vip->sent = false;
		zlog_info("VIP %pFX withdrawn: %s", &vip->prefix, blocker);
	}
}

void iplb_vip_evaluate_all(void)
{
	struct iplb_vip *vip;

	frr_each (iplb_vips, &vips, vip)
		iplb_vip_evaluate(vip);
}

static void iplb_vip_free(struct iplb_vip *vip)
{
	iplb_vips_del(&vips, vip);
	XFREE(MTYPE_IPLB_VIP, vip);
}

void iplb_vip_remove_all(void)
{
	struct iplb_vip *vip;

	/* Destroying 'router iplb' does not call the list's destroy. */
	while ((vip = iplb_vips_first(&vips))) {
		if (vip->sent) {
			iplb_zebra_vip_send(&vip->prefix, false);
			zlog_info("VIP %pFX withdrawn: router iplb removed",
				  &vip->prefix);
		}
		iplb_vip_free(vip);
	}
}

void iplb_vip_zebra_connected(void)
{
	struct iplb_vip *vip;

	/* A new zebra, or the same one after our session ended: it holds
	 * none of our routes. */
	frr_each (iplb_vips, &vips, vip) {
		vip->sent = false;
		iplb_vip_evaluate(vip);
	}
}

void iplb_vip_walk(void (*cb)(const struct iplb_vip_info *info, void *arg),
		   void *arg)
{
	bool zebra = iplb_zebra_connected();
	struct iplb_vip_info info;
	struct iplb_vip *vip;

	frr_each (iplb_vips, &vips, vip) {
		info.prefix = &vip->prefix;
		info.drain = vip->drain;
		info.reason = iplb_vip_blocker(vip);
		if (!info.reason && !zebra)
			info.reason = "zebra not connected";
		else if (!info.reason && !vip->sent)
			info.reason = "zebra refused the route";
		info.advertised = !info.reason;
		cb(&info, arg);
	}
}

void iplb_vip_terminate(void)
{
	struct iplb_vip *vip;

	while ((vip = iplb_vips_first(&vips)))
		iplb_vip_free(vip);
	iplb_vips_fini(&vips);
}

/*
 * XPath: /frr-iplbd:iplb/vip
 * YANG accepts only host routes and only under role mux; the length is
 * checked again here because the route code relies on it.
 */
int iplb_vip_create(struct nb_cb_create_args *args)
{
	struct iplb_vip *vip;
	struct prefix p;

	yang_dnode_get_prefix(&p, args->dnode, "./prefix");
	switch (args->event) {
	case NB_EV_VALIDATE:
		if (p.prefixlen !=
		    (p.family == AF_INET ? IPV4_MAX_BITLEN : IPV6_MAX_BITLEN)) {
			snprintfrr(args->errmsg, args->errmsg_len,
				   "VIP %pFX: an IPv4 /32 or an IPv6 /128 only",
				   &p);
			return NB_ERR_VALIDATION;
		}
		return NB_OK;
	case NB_EV_PREPARE:
	case NB_EV_ABORT:
		return NB_OK;
	case NB_EV_APPLY:
		break;
	}

	vip = iplb_vip_find(&p);
	if (!vip) {
		vip = XCALLOC(MTYPE_IPLB_VIP, sizeof(*vip));
		prefix_copy(&vip->prefix, &p);
		iplb_vips_add(&vips, vip);
	}
	vip->drain = yang_dnode_get_bool(args->dnode, "./drain");
	iplb_vip_evaluate(vip);
	return NB_OK;
}

int iplb_vip_destroy(struct nb_cb_destroy_args *args)
{
	struct iplb_vip *vip;
	struct prefix p;

	if (args->event != NB_EV_APPLY)
		return NB_OK;

	yang_dnode_get_prefix(&p, args->dnode, "./prefix");
	vip = iplb_vip_find(&p);
	if (!vip)
		return NB_OK;
	if (vip->sent) {
		iplb_zebra_vip_send(&vip->prefix, false);
		zlog_info("VIP %pFX withdrawn: removed", &vip->prefix);
	}
	iplb_vip_free(vip);
	return NB_OK;
}

/* XPath: /frr-iplbd:iplb/vip/drain */
int iplb_vip_drain_modify(struct nb_cb_modify_args *args)
{
	struct iplb_vip *vip;
	struct prefix p;

	if (args->event != NB_EV_APPLY)
		return NB_OK;

	yang_dnode_get_prefix(&p, args->dnode, "../prefix");
	vip = iplb_vip_find(&p);
	if (!vip)
		return NB_OK;
	vip->drain = yang_dnode_get_bool(args->dnode, NULL);
	iplb_vip_evaluate(vip);
	return NB_OK;
}
