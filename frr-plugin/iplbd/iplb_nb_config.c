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
#include "iplbd/iplb_mux.h"
#include "iplbd/iplb_nb.h"
#include "iplbd/iplb_settings.h"

/* XPath: /frr-iplbd:iplb */
int iplb_create(struct nb_cb_create_args *args)
{
	/* iplb_apply_finish() acts once all the leaves are in place. */
	return NB_OK;
}

int iplb_destroy(struct nb_cb_destroy_args *args)
{
	struct iplb_settings *iplb_settings;

	if (args->event != NB_EV_APPLY)
		return NB_OK;

	/* 'no router iplb': stop the LSDB feed, back to the defaults. The
	 * datapath is detached from its interfaces; its table stays pinned
	 * (iplbctl purge removes it). */
	iplb_core_lsdb_enable(iplb_g.core, false);
	/* Destroying 'router iplb' does not call the VIP list's destroy. */
	iplb_mux_vip_remove_all(iplb_g.core, "router iplb removed");
	iplb_core_set_role(iplb_g.core, "host", NULL, 0);
	iplb_settings = iplb_settings_new();
	if (iplb_settings) {
		iplb_core_configure(iplb_g.core, iplb_settings, NULL, 0);
		iplb_settings_free(iplb_settings);
	}
	return NB_OK;
}

static const char *leaf_or_null(const struct lyd_node *dnode, const char *xpath)
{
	if (!yang_dnode_exists(dnode, xpath))
		return NULL;
	return yang_dnode_get_string(dnode, xpath);
}

static int add_interface(const struct lyd_node *dnode, void *arg)
{
	iplb_settings_datapath_interface(arg,
					 yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

static int add_include(const struct lyd_node *dnode, void *arg)
{
	iplb_settings_destination(arg, true,
				  yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

static int add_exclude(const struct lyd_node *dnode, void *arg)
{
	iplb_settings_destination(arg, false,
				  yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

static int add_policy(const struct lyd_node *dnode, void *arg)
{
	uint32_t k = yang_dnode_exists(dnode, "./k")
			     ? yang_dnode_get_uint16(dnode, "./k")
			     : 0;

	iplb_settings_policy(arg, yang_dnode_get_string(dnode, "./prefix"), k,
			     leaf_or_null(dnode, "./planner"),
			     leaf_or_null(dnode, "./encap"),
			     leaf_or_null(dnode, "./mode"),
			     leaf_or_null(dnode, "./weights"));
	return YANG_ITER_CONTINUE;
}

struct static_list_arg {
	struct iplb_settings *settings;
	const char *prefix;
};

static int add_static_list(const struct lyd_node *dnode, void *arg)
{
	struct static_list_arg *a = arg;

	iplb_settings_static_list(a->settings, a->prefix,
				  yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

static int add_static_route(const struct lyd_node *dnode, void *arg)
{
	struct static_list_arg a = {
		.settings = arg,
		.prefix = yang_dnode_get_string(dnode, "./prefix"),
	};

	iplb_settings_static_options(arg, a.prefix,
				     leaf_or_null(dnode, "./encap"),
				     leaf_or_null(dnode, "./mode"));
	yang_dnode_iterate(add_static_list, &a, dnode, "./list");
	return YANG_ITER_CONTINUE;
}

static int add_etcd_endpoint(const struct lyd_node *dnode, void *arg)
{
	iplb_settings_lb_endpoint(arg, yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

static int add_redis_endpoint(const struct lyd_node *dnode, void *arg)
{
	iplb_settings_lb_redis_endpoint(arg, yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

static int add_lb_interface(const struct lyd_node *dnode, void *arg)
{
	iplb_settings_lb_interface(arg, yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

/*
 * The paths, destinations and datapath of the 'router iplb' tree as one
 * settings value for the core, which checks and applies it whole.
 */
static struct iplb_settings *iplb_settings_of(const struct lyd_node *dnode)
{
	struct iplb_settings *settings = iplb_settings_new();
	const char *instance = leaf_or_null(dnode, "./datapath/instance");

	if (!settings)
		return NULL;
	if (!instance)
		instance = iplb_g.pathspace ? iplb_g.pathspace : "";
	iplb_settings_path(settings, yang_dnode_get_uint16(dnode, "./path/k"),
			   yang_dnode_get_string(dnode, "./path/metric"),
			   yang_dnode_get_string(dnode, "./path/planner"),
			   yang_dnode_get_uint8(dnode, "./path/max-relays"));
	iplb_settings_datapath(
		settings, yang_dnode_get_string(dnode, "./datapath/engine"),
		instance, yang_dnode_get_string(dnode, "./datapath/encap"),
		yang_dnode_get_string(dnode, "./datapath/mode"),
		yang_dnode_get_uint16(dnode, "./datapath/mtu"),
		yang_dnode_get_uint32(dnode, "./datapath/flow-idle"));
	iplb_settings_datapath_congestion(
		settings,
		yang_dnode_get_string(dnode, "./datapath/congestion-control"));
	if (yang_dnode_exists(dnode, "./datapath/source"))
		iplb_settings_datapath_source(
			settings,
			yang_dnode_get_string(dnode, "./datapath/source"));
	if (yang_dnode_exists(dnode, "./datapath/source6"))
		iplb_settings_datapath_source(
			settings,
			yang_dnode_get_string(dnode, "./datapath/source6"));
	yang_dnode_iterate(add_interface, settings, dnode,
			   "./datapath/interface");
	yang_dnode_iterate(add_include, settings, dnode,
			   "./destinations/include");
	yang_dnode_iterate(add_exclude, settings, dnode,
			   "./destinations/exclude");
	iplb_settings_destination_prefix_list(
		settings, leaf_or_null(dnode, "./destinations/prefix-list"));
	yang_dnode_iterate(add_policy, settings, dnode, "./prefix");
	yang_dnode_iterate(add_static_route, settings, dnode, "./static-route");
	iplb_settings_lb(settings, leaf_or_null(dnode, "./lb/name"),
			 yang_dnode_get_string(dnode, "./lb/etcd-prefix"),
			 yang_dnode_get_bool(dnode, "./lb/controller"), instance);
	iplb_settings_lb_fib_lookup(
		settings, yang_dnode_get_bool(dnode, "./lb/fib-lookup"));
	yang_dnode_iterate(add_etcd_endpoint, settings, dnode,
			   "./lb/etcd-endpoint");
	yang_dnode_iterate(add_lb_interface, settings, dnode,
			   "./lb/interface");
	yang_dnode_iterate(add_redis_endpoint, settings, dnode,
			   "./lb/redis-endpoint");
	return settings;
}

/*
 * Every candidate is checked whole by the core (interfaces that exist,
 * lists the datapath can hold, ...): what YANG cannot say.
 */
int iplb_pre_validate(struct nb_cb_pre_validate_args *args)
{
	struct iplb_settings *settings = iplb_settings_of(args->dnode);
	bool ok;

	if (!settings) {
		snprintf(args->errmsg, args->errmsg_len, "out of memory");
		return NB_ERR_RESOURCE;
	}
	ok = iplb_settings_check(settings, args->errmsg, args->errmsg_len);
	iplb_settings_free(settings);
	return ok ? NB_OK : NB_ERR_VALIDATION;
}

/* Configuration the core reads whole, in iplb_apply_finish(). */
int iplb_applied_at_finish_modify(struct nb_cb_modify_args *args)
{
	return NB_OK;
}

int iplb_applied_at_finish_create(struct nb_cb_create_args *args)
{
	return NB_OK;
}

int iplb_applied_at_finish_destroy(struct nb_cb_destroy_args *args)
{
	return NB_OK;
}

int iplb_applied_at_finish_move(struct nb_cb_move_args *args)
{
	return NB_OK;
}

/*
 * Runs once per commit that touched anything under 'router iplb', after the
 * leaves: the LSDB feed gets its server and runs while iplb is configured,
 * and the core gets its paths, destinations and datapath.
 */
void iplb_apply_finish(struct nb_cb_apply_finish_args *args)
{
	struct iplb_settings *settings = iplb_settings_of(args->dnode);

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

	/* Validated already; what fails here is the datapath (logged, and
	 * shown by 'show iplb status'). */
	if (settings && !iplb_core_configure(iplb_g.core, settings,
					     args->errmsg, args->errmsg_len))
		zlog_err("iplb: %s", args->errmsg);
	iplb_settings_free(settings);
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
		/* A mux's VIPs follow at once. */
		if (!iplb_core_set_role(iplb_g.core, role, args->errmsg,
					args->errmsg_len))
			return NB_ERR_INCONSISTENCY;
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
