// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iplbd's CLI. Configuration commands only enqueue YANG changes; the
 * northbound validates them and the callbacks in iplb_nb_config.c apply
 * them. Show commands print text and JSON from the same snapshot.
 */
#include <zebra.h>

#include <lib/version.h>
#include "command.h"
#include "json.h"
#include "northbound_cli.h"
#include "vty.h"
#include "yang.h"

#include "iplbd/iplbd.h"
#include "iplbd/iplb_nb.h"
#include "iplbd/iplb_vty.h"
#include "iplbd/iplb_zebra.h"

#ifndef VTYSH_EXTRACT_PL
#include "iplbd/iplb_vty_clippy.c"
#endif

#define IPLB_STR "iplb multipath source routing and load balancing\n"
#define IPLB_ROLE_HELP                                                         \
	"Role of this node\n"                                                  \
	"Host: multipath source routing toward relays (default)\n"             \
	"Load-balancer node: advertises VIPs, steers flows to backends\n"      \
	"Load-balanced server: terminates tunnels, daisy-chains flows\n"

/* XPath: /frr-iplbd:iplb */
DEFPY_YANG_NOSH(router_iplb, router_iplb_cmd, "router iplb",
		ROUTER_STR IPLB_STR)
{
	int ret;

	nb_cli_enqueue_change(vty, IPLB_XPATH, NB_OP_CREATE, NULL);
	ret = nb_cli_apply_changes(vty, NULL);
	if (ret == CMD_SUCCESS)
		VTY_PUSH_XPATH(IPLB_NODE, IPLB_XPATH);
	return ret;
}

DEFPY_YANG(no_router_iplb, no_router_iplb_cmd, "no router iplb",
	   NO_STR ROUTER_STR IPLB_STR)
{
	nb_cli_enqueue_change(vty, IPLB_XPATH, NB_OP_DESTROY, NULL);
	return nb_cli_apply_changes(vty, NULL);
}

void cli_show_router_iplb(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults)
{
	vty_out(vty, "!\nrouter iplb\n");
}

void cli_show_router_iplb_end(struct vty *vty, const struct lyd_node *dnode)
{
	vty_out(vty, "exit\n");
}

/* XPath: /frr-iplbd:iplb/role */
DEFPY_YANG(iplb_role, iplb_role_cmd, "role <host|mux|backend>$role",
	   IPLB_ROLE_HELP)
{
	nb_cli_enqueue_change(vty, "./role", NB_OP_MODIFY, role);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(no_iplb_role, no_iplb_role_cmd, "no role [<host|mux|backend>]",
	   NO_STR IPLB_ROLE_HELP)
{
	/* No value: the northbound falls back to the YANG default. */
	nb_cli_enqueue_change(vty, "./role", NB_OP_MODIFY, NULL);
	return nb_cli_apply_changes(vty, NULL);
}

void cli_show_iplb_role(struct vty *vty, const struct lyd_node *dnode,
			bool show_defaults)
{
	vty_out(vty, " role %s\n", yang_dnode_get_string(dnode, NULL));
}

DEFPY(show_iplb_status, show_iplb_status_cmd, "show iplb status [json]$json",
      SHOW_STR IPLB_STR "Daemon status\n" JSON_STR)
{
	struct iplb_status st;
	bool zebra = iplb_zebra_connected();
	json_object *jo;

	iplb_core_status(iplb_g.core, &st);

	if (!json) {
		vty_out(vty, "iplbd %s (FRRouting %s)\n", st.version,
			FRR_VERSION);
		vty_out(vty, "  Role:    %s\n", st.role);
		vty_out(vty, "  Uptime:  %s\n", st.uptime);
		vty_out(vty, "  Zebra:   %s\n",
			zebra ? "connected" : "not connected");
		return CMD_SUCCESS;
	}

	jo = json_object_new_object();
	json_object_string_add(jo, "daemon", "iplbd");
	json_object_string_add(jo, "version", st.version);
	json_object_string_add(jo, "frrVersion", FRR_VERSION);
	json_object_string_add(jo, "role", st.role);
	json_object_int_add(jo, "uptimeSec", (int64_t)st.uptime_sec);
	json_object_string_add(jo, "uptime", st.uptime);
	json_object_boolean_add(jo, "zebraConnected", zebra);
	return vty_json(vty, jo);
}

static int iplb_config_write(struct vty *vty)
{
	const struct lyd_node *dnode;

	if (!yang_dnode_exists(running_config->dnode, IPLB_XPATH))
		return 0;
	dnode = yang_dnode_get(running_config->dnode, IPLB_XPATH);
	nb_cli_show_dnode_cmds(vty, dnode, false);
	return 1;
}

static struct cmd_node iplb_node = {
	.name = "iplb",
	.node = IPLB_NODE,
	.parent_node = CONFIG_NODE,
	.prompt = "%s(config-iplb)# ",
	.config_write = iplb_config_write,
};

void iplb_vty_init(void)
{
	install_node(&iplb_node);
	install_default(IPLB_NODE);

	install_element(CONFIG_NODE, &router_iplb_cmd);
	install_element(CONFIG_NODE, &no_router_iplb_cmd);
	install_element(IPLB_NODE, &iplb_role_cmd);
	install_element(IPLB_NODE, &no_iplb_role_cmd);

	install_element(VIEW_NODE, &show_iplb_status_cmd);
}
