// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iplbd's CLI. Configuration commands only enqueue YANG changes; the
 * northbound validates them and the callbacks in iplb_nb_config.c apply
 * them. Show commands print what the core renders (iplb_show.h).
 */
#include <zebra.h>

#include <lib/version.h>
#include "command.h"
#include "json.h"
#include "northbound_cli.h"
#include "vty.h"
#include "yang.h"

#include "iplbd/iplbd.h"
#include "iplbd/iplb_debug.h"
#include "iplbd/iplb_lb.h"
#include "iplbd/iplb_nb.h"
#include "iplbd/iplb_show.h"
#include "iplbd/iplb_vty.h"
#include "iplbd/iplb_zebra.h"

#ifndef VTYSH_EXTRACT_PL
#include "iplbd/iplb_vty_clippy.c"
#endif

#define IPLB_STR "iplb multipath source routing and load balancing\n"
#define IPLB_LSDB_HELP "Where the OSPF link-state database is read from\n"
#define IPLB_ROLE_HELP                                                         \
	"Role of this node\n"                                                  \
	"Host: multipath source routing toward relays (default)\n"             \
	"Load-balancer node: advertises VIPs, steers flows to backends\n"      \
	"Load-balanced server: terminates tunnels, daisy-chains flows\n"

/*
 * The xpath nb_cli_apply_changes() edits for an enqueued change: relative
 * to the node the vty is in and to xpath_base, as FRR 8.4 computes it.
 */
static void iplb_cli_change_xpath(struct vty *vty, const char *xpath_base,
				  const struct vty_cfg_change *change,
				  char *xpath, size_t len)
{
	xpath[0] = '\0';
	if (vty->xpath_index > 0 &&
	    (xpath_base[0] == '.' || change->xpath[0] == '.'))
		strlcpy(xpath, VTY_CURR_XPATH, len);
	if (xpath_base[0])
		strlcat(xpath, xpath_base + (xpath_base[0] == '.'), len);
	if (change->xpath[0] == '.')
		strlcat(xpath, change->xpath + 1, len);
	else
		strlcpy(xpath, change->xpath, len);
}

/*
 * Whether every change enqueued by the command can be made: each is made on
 * a copy of the candidate, as nb_cli_apply_changes() would make it. If one
 * cannot (a value YANG refuses, an unknown node), says why as YANG does.
 */
static bool iplb_cli_changes_valid(struct vty *vty, const char *xpath_base)
{
	struct nb_config *scratch = nb_config_dup(vty->candidate_config);
	bool valid = true;

	/* Only this command's errors are reported below. */
	ly_err_clean(ly_native_ctx, NULL);
	for (size_t i = 0; valid && i < vty->num_cfg_changes; i++) {
		const struct vty_cfg_change *change = &vty->cfg_changes[i];
		char xpath[XPATH_MAXLEN];
		const struct nb_node *nb_node;
		const char *value = change->value;
		struct yang_data *data;
		int ret;

		iplb_cli_change_xpath(vty, xpath_base, change, xpath,
				      sizeof(xpath));
		nb_node = nb_node_find(xpath);
		if (!nb_node) {
			vty_out(vty, "%% unknown data path: %s\n", xpath);
			valid = false;
			break;
		}
		if (!value)
			value = yang_snode_get_default(nb_node->snode);
		data = yang_data_new(xpath, value);
		ret = nb_candidate_edit(scratch, nb_node, change->operation,
					xpath, NULL, data);
		yang_data_free(data);
		valid = ret == NB_OK || ret == NB_ERR_NOT_FOUND;
	}
	if (!valid) {
		const struct ly_err_item *e = ly_err_first(ly_native_ctx);

		/* Each message, without the schema path YANG appends. */
		for (; e; e = e->next)
			if (e->msg)
				vty_out(vty, "%% %s\n", e->msg);
		if (!ly_err_first(ly_native_ctx) && vty->num_cfg_changes)
			vty_out(vty,
				"%% the configuration could not be edited\n");
	}
	ly_err_clean(ly_native_ctx, NULL);
	nb_config_free(scratch);
	return valid;
}

/*
 * nb_cli_apply_changes() for every iplbd command, all or nothing. FRR 8.4
 * edits the candidate change by change, skips one it cannot make (a value
 * YANG refuses: "% Failed to edit configuration"), commits the others and
 * returns CMD_SUCCESS: `prefix P mode weighted weights 0` configured the
 * mode and `vtysh -c` exited 0. Here a command with one change that cannot
 * be made changes nothing and fails (CMD_WARNING_CONFIG_FAILED: vtysh
 * exits 1, as for a refused commit). What only the whole candidate can say
 * (YANG `must`, iplbd's pre_validate) is the commit's to refuse, and a
 * commit is atomic.
 */
static int iplb_cli_apply(struct vty *vty, const char *xpath_base_fmt, ...)
{
	char xpath_base[XPATH_MAXLEN] = "";

	if (xpath_base_fmt) {
		va_list ap;

		va_start(ap, xpath_base_fmt);
		vsnprintf(xpath_base, sizeof(xpath_base), xpath_base_fmt, ap);
		va_end(ap);
	}
	/* FRR returns CMD_WARNING here, which vtysh -c takes for success. */
	if (vty->type != VTY_FILE && !vty->private_config &&
	    vty->xpath_index > 0 &&
	    !yang_dnode_exists(vty->candidate_config->dnode, VTY_CURR_XPATH)) {
		vty_out(vty,
			"%% Current configuration object was deleted by "
			"another process.\n");
		vty->num_cfg_changes = 0;
		return CMD_WARNING_CONFIG_FAILED;
	}
	if (!iplb_cli_changes_valid(vty, xpath_base)) {
		vty->num_cfg_changes = 0;
		return CMD_WARNING_CONFIG_FAILED;
	}
	return nb_cli_apply_changes(vty, "%s", xpath_base);
}

/* XPath: /frr-iplbd:iplb */
DEFPY_YANG_NOSH(router_iplb, router_iplb_cmd, "router iplb",
		ROUTER_STR IPLB_STR)
{
	int ret;

	nb_cli_enqueue_change(vty, IPLB_XPATH, NB_OP_CREATE, NULL);
	ret = iplb_cli_apply(vty, NULL);
	if (ret == CMD_SUCCESS)
		VTY_PUSH_XPATH(IPLB_NODE, IPLB_XPATH);
	return ret;
}

DEFPY_YANG(no_router_iplb, no_router_iplb_cmd, "no router iplb",
	   NO_STR ROUTER_STR IPLB_STR)
{
	nb_cli_enqueue_change(vty, IPLB_XPATH, NB_OP_DESTROY, NULL);
	return iplb_cli_apply(vty, NULL);
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
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(no_iplb_role, no_iplb_role_cmd, "no role [<host|mux|backend>]",
	   NO_STR IPLB_ROLE_HELP)
{
	/* No value: the northbound falls back to the YANG default. */
	nb_cli_enqueue_change(vty, "./role", NB_OP_MODIFY, NULL);
	return iplb_cli_apply(vty, NULL);
}

void cli_show_iplb_role(struct vty *vty, const struct lyd_node *dnode,
			bool show_defaults)
{
	vty_out(vty, " role %s\n", yang_dnode_get_string(dnode, NULL));
}

/* XPath: /frr-iplbd:iplb/lsdb */
DEFPY_YANG(iplb_lsdb_api_server, iplb_lsdb_api_server_cmd,
	   "lsdb api-server A.B.C.D$address [port (1-65535)$port]",
	   IPLB_LSDB_HELP
	   "ospfd's API server (ospfd -a)\n"
	   "Its IPv4 address (default 127.0.0.1)\n"
	   "Its TCP port\n"
	   "Port number (default 2607)\n")
{
	nb_cli_enqueue_change(vty, "./lsdb/api-server-address", NB_OP_MODIFY,
			      address_str);
	nb_cli_enqueue_change(vty, "./lsdb/api-server-port", NB_OP_MODIFY,
			      port_str);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(no_iplb_lsdb_api_server, no_iplb_lsdb_api_server_cmd,
	   "no lsdb api-server [A.B.C.D [port (1-65535)]]",
	   NO_STR IPLB_LSDB_HELP
	   "ospfd's API server (ospfd -a)\n"
	   "Its IPv4 address\n"
	   "Its TCP port\n"
	   "Port number\n")
{
	nb_cli_enqueue_change(vty, "./lsdb/api-server-address", NB_OP_MODIFY,
			      NULL);
	nb_cli_enqueue_change(vty, "./lsdb/api-server-port", NB_OP_MODIFY,
			      NULL);
	return iplb_cli_apply(vty, NULL);
}

void cli_show_iplb_lsdb(struct vty *vty, const struct lyd_node *dnode,
			bool show_defaults)
{
	bool address = show_defaults ||
		       !yang_dnode_is_default(dnode, "./api-server-address");
	bool port = show_defaults ||
		    !yang_dnode_is_default(dnode, "./api-server-port");

	/* The container is also shown for its debounce: print what is set. */
	if (!address && !port)
		return;
	vty_out(vty, " lsdb api-server %s",
		yang_dnode_get_string(dnode, "./api-server-address"));
	if (port)
		vty_out(vty, " port %u",
			yang_dnode_get_uint16(dnode, "./api-server-port"));
	vty_out(vty, "\n");
}

/* XPath: /frr-iplbd:iplb/lsdb/debounce */
DEFPY_YANG(iplb_lsdb_debounce, iplb_lsdb_debounce_cmd,
	   "lsdb debounce (0-60000)$delay [max-hold (0-600000)$hold]",
	   IPLB_LSDB_HELP
	   "When the topology is rebuilt after LSDB changes\n"
	   "Milliseconds after the last change (default 200)\n"
	   "Longest wait after the first change\n"
	   "Milliseconds (default 2000)\n")
{
	nb_cli_enqueue_change(vty, "./lsdb/debounce/delay", NB_OP_MODIFY,
			      delay_str);
	nb_cli_enqueue_change(vty, "./lsdb/debounce/max-hold", NB_OP_MODIFY,
			      hold_str);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(no_iplb_lsdb_debounce, no_iplb_lsdb_debounce_cmd,
	   "no lsdb debounce [(0-60000) [max-hold (0-600000)]]",
	   NO_STR IPLB_LSDB_HELP
	   "When the topology is rebuilt after LSDB changes\n"
	   "Milliseconds after the last change\n"
	   "Longest wait after the first change\n"
	   "Milliseconds\n")
{
	nb_cli_enqueue_change(vty, "./lsdb/debounce/delay", NB_OP_MODIFY, NULL);
	nb_cli_enqueue_change(vty, "./lsdb/debounce/max-hold", NB_OP_MODIFY,
			      NULL);
	return iplb_cli_apply(vty, NULL);
}

void cli_show_iplb_lsdb_debounce(struct vty *vty, const struct lyd_node *dnode,
				 bool show_defaults)
{
	vty_out(vty, " lsdb debounce %u",
		yang_dnode_get_uint32(dnode, "./delay"));
	if (show_defaults || !yang_dnode_is_default(dnode, "./max-hold"))
		vty_out(vty, " max-hold %u",
			yang_dnode_get_uint32(dnode, "./max-hold"));
	vty_out(vty, "\n");
}

/* XPath: /frr-iplbd:iplb/path */
#define IPLB_PATH_HELP "How the paths to each destination are computed\n"

DEFPY_YANG(iplb_path, iplb_path_cmd,
	   "path <k (0-65535)$k|metric <cost|hops>$metric|planner "
	   "<tree|exact>$planner|max-relays (0-255)$relays>",
	   IPLB_PATH_HELP
	   "Shortest loopless paths per destination (Yen)\n"
	   "Number of paths, 1-64 (default 8)\n"
	   "What shortest means\n"
	   "OSPF cost, then hop count (default)\n"
	   "Hop count, then OSPF cost\n"
	   "How a path becomes a relay list\n"
	   "The seed's rule: relays where paths branch off their tree\n"
	   "Fewest relays whose forwarding follows the path (default)\n"
	   "Leave out lists with more relays\n"
	   "Relays per list, 1-8 (default 8)\n")
{
	/* The ranges are YANG's to check: its message names the limit. */
	if (k_str)
		nb_cli_enqueue_change(vty, "./path/k", NB_OP_MODIFY, k_str);
	else if (metric)
		nb_cli_enqueue_change(vty, "./path/metric", NB_OP_MODIFY,
				      metric);
	else if (planner)
		nb_cli_enqueue_change(vty, "./path/planner", NB_OP_MODIFY,
				      planner);
	else
		nb_cli_enqueue_change(vty, "./path/max-relays", NB_OP_MODIFY,
				      relays_str);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(
	no_iplb_path, no_iplb_path_cmd,
	"no path <k$k [(0-65535)]|metric$metric [<cost|hops>]|planner$planner "
	"[<tree|exact>]|max-relays$relays [(0-255)]>",
	NO_STR IPLB_PATH_HELP
	"Shortest loopless paths per destination (Yen)\n"
	"Number of paths\n"
	"What shortest means\n"
	"OSPF cost, then hop count\n"
	"Hop count, then OSPF cost\n"
	"How a path becomes a relay list\n"
	"The seed's rule\n"
	"Fewest relays whose forwarding follows the path\n"
	"Leave out lists with more relays\n"
	"Relays per list\n")
{
	const char *leaf = k	     ? "./path/k"
			   : metric  ? "./path/metric"
			   : planner ? "./path/planner"
				     : "./path/max-relays";

	nb_cli_enqueue_change(vty, leaf, NB_OP_MODIFY, NULL);
	return iplb_cli_apply(vty, NULL);
}

/* XPath: /frr-iplbd:iplb/datapath */
#define IPLB_DATAPATH_HELP "Where the tables go\n"
#define IPLB_ENCAP_HELP                                                        \
	"Encapsulation\n"                                                      \
	"IP in IP, nested per relay\n"                                         \
	"GRE, nested per relay\n"                                              \
	"GUE over UDP 6080, source port from the flow hash\n"
#define IPLB_MODE_HELP                                                         \
	"How a flow chooses a relay list\n"                                    \
	"Consistent hashing of the 5-tuple\n"                                  \
	"Consistent hashing by the lists' weights\n"                           \
	"Sticky per flow until idle\n"                                         \
	"Sticky per flow until idle, new flows take the lists in turn\n"

DEFPY_YANG(iplb_datapath_engine, iplb_datapath_engine_cmd,
	   "datapath <none|bpf>$engine [instance WORD$instance]",
	   IPLB_DATAPATH_HELP
	   "Compute and show the tables only (default)\n"
	   "The eBPF host program, its table pinned\n"
	   "Datapath instance (pins under /run/iplb/bpf)\n"
	   "Instance name (default: the pathspace, else 'default')\n")
{
	/* Both or neither (iplb_cli_apply()). */
	nb_cli_enqueue_change(vty, "./datapath/engine", NB_OP_MODIFY, engine);
	nb_cli_enqueue_change(vty, "./datapath/instance",
			      instance ? NB_OP_MODIFY : NB_OP_DESTROY,
			      instance);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(no_iplb_datapath_engine, no_iplb_datapath_engine_cmd,
	   "no datapath [<none|bpf> [instance WORD]]",
	   NO_STR IPLB_DATAPATH_HELP
	   "Compute and show the tables only\n"
	   "The eBPF host program\n"
	   "Datapath instance\n"
	   "Instance name\n")
{
	/* Detached from its interfaces; the table stays pinned. */
	nb_cli_enqueue_change(vty, "./datapath/engine", NB_OP_MODIFY, NULL);
	nb_cli_enqueue_change(vty, "./datapath/instance", NB_OP_DESTROY, NULL);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_datapath_interface, iplb_datapath_interface_cmd,
	   "[no$no] datapath interface IFNAME$ifname",
	   NO_STR IPLB_DATAPATH_HELP
	   "Encapsulate this interface's egress traffic\n"
	   "Interface name\n")
{
	/* A leaf-list entry is named by the leaf-list and its value (the
	 * northbound adds the [.='value'] predicate itself). */
	nb_cli_enqueue_change(vty, "./datapath/interface",
			      no ? NB_OP_DESTROY : NB_OP_CREATE, ifname);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_datapath_encap, iplb_datapath_encap_cmd,
	   "[no$no] datapath encap ![<ipip|gre|gue>$encap]",
	   NO_STR IPLB_DATAPATH_HELP IPLB_ENCAP_HELP)
{
	nb_cli_enqueue_change(vty, "./datapath/encap", NB_OP_MODIFY,
			      no ? NULL : encap);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_datapath_mode, iplb_datapath_mode_cmd,
	   "[no$no] datapath mode ![<hash|weighted|flow|round-robin>$mode]",
	   NO_STR IPLB_DATAPATH_HELP IPLB_MODE_HELP)
{
	nb_cli_enqueue_change(vty, "./datapath/mode", NB_OP_MODIFY,
			      no ? NULL : mode);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_datapath_source, iplb_datapath_source_cmd,
	   "[no$no] datapath source <A.B.C.D$v4|X:X::X:X$v6>",
	   NO_STR IPLB_DATAPATH_HELP
	   "Outer source address of the tunnels\n"
	   "For IPv4 tunnels\n"
	   "For IPv6 tunnels\n")
{
	const char *leaf = v4_str ? "./datapath/source" : "./datapath/source6";

	nb_cli_enqueue_change(vty, leaf, no ? NB_OP_DESTROY : NB_OP_MODIFY,
			      v4_str ? v4_str : v6_str);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_datapath_mtu, iplb_datapath_mtu_cmd,
	   "[no$no] datapath mtu ![(0-65535)$mtu]",
	   NO_STR IPLB_DATAPATH_HELP
	   "Path MTU of the routes; TCP's MSS is clamped to fit the tunnel\n"
	   "Bytes: 0 (unknown, default) or 576-65535\n")
{
	nb_cli_enqueue_change(vty, "./datapath/mtu", NB_OP_MODIFY,
			      no ? NULL : mtu_str);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_datapath_congestion, iplb_datapath_congestion_cmd,
	   "[no$no] datapath congestion-control ![<none|iplb-lia>$cc]",
	   NO_STR IPLB_DATAPATH_HELP
	   "TCP congestion control of this namespace\n"
	   "Leave it as it is (default)\n"
	   "Coupled (RFC 6356 LIA) for MPTCP subflows, cubic for plain TCP\n")
{
	nb_cli_enqueue_change(vty, "./datapath/congestion-control",
			      NB_OP_MODIFY, no ? NULL : cc);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_datapath_flow_idle, iplb_datapath_flow_idle_cmd,
	   "[no$no] datapath flow-idle ![(100-3600000)$idle]",
	   NO_STR IPLB_DATAPATH_HELP
	   "Modes flow and round-robin: forget a flow unseen this long\n"
	   "Milliseconds (default 30000)\n")
{
	nb_cli_enqueue_change(vty, "./datapath/flow-idle", NB_OP_MODIFY,
			      no ? NULL : idle_str);
	return iplb_cli_apply(vty, NULL);
}

/*
 * XPath: /frr-iplbd:iplb/lb: etcd and the controller (pools are not here:
 * they live in etcd).
 */
#define IPLB_LB_HELP "The load balancer's control plane\n"

/* A leaf-list of endpoints under lb (etcd's, Redis's) as a whole. */
struct endpoint_list {
	struct vty *vty;
	const char *xpath; /* relative to router iplb */
};

static int enqueue_endpoint_removal(const struct lyd_node *dnode, void *arg)
{
	struct endpoint_list *list = arg;

	nb_cli_enqueue_change(list->vty, list->xpath, NB_OP_DESTROY,
			      yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

/* What was there goes. */
static void enqueue_endpoints_cleared(struct vty *vty, const char *xpath)
{
	const struct lyd_node *iplb =
		yang_dnode_get(vty->candidate_config->dnode, VTY_CURR_XPATH);
	struct endpoint_list list = { .vty = vty, .xpath = xpath };

	if (iplb)
		yang_dnode_iterate(enqueue_endpoint_removal, &list, iplb, "%s",
				   xpath);
}

/* The list replaced by the arguments after the word "endpoints", in order;
 * refused, changing nothing, if one is given twice (a leaf-list holds a
 * value once: the duplicate would vanish silently). */
static int apply_endpoints(struct vty *vty, int argc, struct cmd_token *argv[],
			   const char *xpath, const char *what)
{
	int idx = 0;

	argv_find(argv, argc, "endpoints", &idx);
	for (int i = idx + 1; i < argc; i++)
		for (int j = idx + 1; j < i; j++)
			if (strcmp(argv[i]->arg, argv[j]->arg) == 0) {
				vty_out(vty,
					"%% %s endpoint %s is given twice\n",
					what, argv[i]->arg);
				return CMD_WARNING_CONFIG_FAILED;
			}
	enqueue_endpoints_cleared(vty, xpath);
	for (int i = idx + 1; i < argc; i++)
		nb_cli_enqueue_change(vty, xpath, NB_OP_CREATE, argv[i]->arg);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_lb_etcd_endpoints, iplb_lb_etcd_endpoints_cmd,
	   "lb etcd endpoints URL...",
	   IPLB_LB_HELP
	   "etcd, where pools and maps live\n"
	   "etcd's client URLs, tried in order (replaces the list)\n"
	   "http://HOST:PORT\n")
{
	return apply_endpoints(vty, argc, argv, "./lb/etcd-endpoint", "etcd");
}

DEFPY_YANG(no_iplb_lb_etcd_endpoints, no_iplb_lb_etcd_endpoints_cmd,
	   "no lb etcd endpoints",
	   NO_STR IPLB_LB_HELP
	   "etcd, where pools and maps live\n"
	   "etcd's client URLs\n")
{
	enqueue_endpoints_cleared(vty, "./lb/etcd-endpoint");
	return iplb_cli_apply(vty, NULL);
}

ALIAS_YANG(no_iplb_lb_etcd_endpoints, no_iplb_lb_etcd_endpoints_list_cmd,
	   "no lb etcd endpoints URL...",
	   NO_STR IPLB_LB_HELP
	   "etcd, where pools and maps live\n"
	   "etcd's client URLs\n"
	   "http://HOST:PORT\n")

DEFPY_YANG(iplb_lb_redis_endpoints, iplb_lb_redis_endpoints_cmd,
	   "lb redis endpoints WORD...",
	   IPLB_LB_HELP
	   "Redis, where MPTCP tokens are shared\n"
	   "Its endpoints, tried in order (replaces the list)\n"
	   "HOST:PORT ([ADDRESS]:PORT for IPv6)\n")
{
	return apply_endpoints(vty, argc, argv, "./lb/redis-endpoint", "redis");
}

DEFPY_YANG(no_iplb_lb_redis_endpoints, no_iplb_lb_redis_endpoints_cmd,
	   "no lb redis endpoints",
	   NO_STR IPLB_LB_HELP
	   "Redis, where MPTCP tokens are shared\n"
	   "Its endpoints (all of them go)\n")
{
	enqueue_endpoints_cleared(vty, "./lb/redis-endpoint");
	return iplb_cli_apply(vty, NULL);
}

ALIAS_YANG(no_iplb_lb_redis_endpoints, no_iplb_lb_redis_endpoints_list_cmd,
	   "no lb redis endpoints WORD...",
	   NO_STR IPLB_LB_HELP
	   "Redis, where MPTCP tokens are shared\n"
	   "Its endpoints (all of them go)\n"
	   "HOST:PORT\n")

DEFPY_YANG(iplb_lb_etcd_prefix, iplb_lb_etcd_prefix_cmd,
	   "[no$no] lb etcd prefix ![WORD$prefix]",
	   NO_STR IPLB_LB_HELP
	   "etcd, where pools and maps live\n"
	   "Where the load balancer's keys live (default /iplb/lb/)\n"
	   "A path that starts and ends with '/'\n")
{
	nb_cli_enqueue_change(vty, "./lb/etcd-prefix", NB_OP_MODIFY,
			      no ? NULL : prefix);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_lb_name, iplb_lb_name_cmd, "[no$no] lb name ![WORD$name]",
	   NO_STR IPLB_LB_HELP
	   "This node's name in etcd (default: the host name)\n"
	   "1-64 letters, digits, '.', '_' or '-'\n")
{
	nb_cli_enqueue_change(vty, "./lb/name",
			      no ? NB_OP_DESTROY : NB_OP_MODIFY, name);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_lb_interface, iplb_lb_interface_cmd,
	   "[no$no] lb interface IFNAME$ifname",
	   NO_STR IPLB_LB_HELP
	   "Attach the role's program here (mux: XDP, backend: TCX ingress)\n"
	   "Interface name\n")
{
	nb_cli_enqueue_change(vty, "./lb/interface",
			      no ? NB_OP_DESTROY : NB_OP_CREATE, ifname);
	return iplb_cli_apply(vty, NULL);
}

static int print_lb_interface(const struct lyd_node *dnode, void *arg)
{
	vty_out(arg, " lb interface %s\n", yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

DEFPY_YANG(iplb_lb_controller, iplb_lb_controller_cmd, "[no$no] lb controller",
	   NO_STR IPLB_LB_HELP
	   "Run the controller (the nodes that do elect one leader)\n")
{
	nb_cli_enqueue_change(vty, "./lb/controller", NB_OP_MODIFY,
			      no ? "false" : "true");
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_lb_fib_lookup, iplb_lb_fib_lookup_cmd, "[no$no] lb fib-lookup",
	   NO_STR IPLB_LB_HELP
	   "Role mux: tunnel to the FIB's next hop toward the backend, not back to the router\n")
{
	nb_cli_enqueue_change(vty, "./lb/fib-lookup", NB_OP_MODIFY,
			      no ? "false" : "true");
	return iplb_cli_apply(vty, NULL);
}

static int print_endpoint(const struct lyd_node *dnode, void *arg)
{
	vty_out(arg, " %s", yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

void cli_show_iplb_lb(struct vty *vty, const struct lyd_node *dnode,
		      bool show_defaults)
{
	if (yang_dnode_exists(dnode, "./etcd-endpoint")) {
		vty_out(vty, " lb etcd endpoints");
		yang_dnode_iterate(print_endpoint, vty, dnode,
				   "./etcd-endpoint");
		vty_out(vty, "\n");
	}
	if (show_defaults || !yang_dnode_is_default(dnode, "./etcd-prefix"))
		vty_out(vty, " lb etcd prefix %s\n",
			yang_dnode_get_string(dnode, "./etcd-prefix"));
	if (yang_dnode_exists(dnode, "./name"))
		vty_out(vty, " lb name %s\n",
			yang_dnode_get_string(dnode, "./name"));
	if (yang_dnode_get_bool(dnode, "./controller"))
		vty_out(vty, " lb controller\n");
	if (yang_dnode_get_bool(dnode, "./fib-lookup"))
		vty_out(vty, " lb fib-lookup\n");
	if (yang_dnode_exists(dnode, "./redis-endpoint")) {
		vty_out(vty, " lb redis endpoints");
		yang_dnode_iterate(print_endpoint, vty, dnode,
				   "./redis-endpoint");
		vty_out(vty, "\n");
	}
	yang_dnode_iterate(print_lb_interface, vty, dnode, "./interface");
}

/*
 * Pools: etcd's, not this node's configuration (docs/LB.md, "Configuring
 * pools"). Each command is one transaction on etcd's copy, refused with a
 * message (and nothing changed) when it is invalid or etcd cannot be
 * reached; `write memory` does not save them, `show iplb lb` shows them.
 */
#define IPLB_LB_VIP_STR                                                        \
	"lb vip <A.B.C.D|X:X::X:X>$address [port (0-65535)$port] [proto <tcp|udp>$proto]"
#define IPLB_LB_VIP_HELP                                                       \
	IPLB_LB_HELP                                                           \
	"A VIP service, in etcd\n"                                             \
	"Its IPv4 address\n"                                                   \
	"Its IPv6 address\n"                                                   \
	"Its port (default 0: every port)\n"                                   \
	"Port\n"                                                               \
	"Its protocol (default tcp)\n"                                         \
	"TCP\n"                                                                \
	"UDP\n"

static struct iplb_lb_edit lb_edit_of(enum iplb_lb_edit_op op,
				      const char *address, long port,
				      const char *proto)
{
	struct iplb_lb_edit edit = {
		.op = op,
		.vip = {.address = address,
			.port = (uint16_t)port,
			.protocol = proto},
		.weight = -1,
		.drain = -1,
	};
	return edit;
}

static int lb_apply(struct vty *vty, const struct iplb_lb_edit *edit)
{
	char err[512] = "";

	if (!iplb_lb_apply_edit(iplb_g.core, edit, err, sizeof(err))) {
		vty_out(vty, "%% %s\n", err);
		return CMD_WARNING_CONFIG_FAILED;
	}
	return CMD_SUCCESS;
}

DEFPY(iplb_lb_vip, iplb_lb_vip_cmd,
      IPLB_LB_VIP_STR " [buckets (0-4294967295)$buckets]",
      IPLB_LB_VIP_HELP
      "Its bucket count, fixed for its life (default: 4096)\n"
      "Buckets (100 per backend at least)\n")
{
	struct iplb_lb_edit edit =
		lb_edit_of(IPLB_LB_VIP_ADD, address_str, port, proto);

	edit.buckets = buckets_str ? (uint32_t)buckets : 0;
	return lb_apply(vty, &edit);
}

DEFPY(no_iplb_lb_vip, no_iplb_lb_vip_cmd, "no " IPLB_LB_VIP_STR,
      NO_STR IPLB_LB_VIP_HELP)
{
	struct iplb_lb_edit edit =
		lb_edit_of(IPLB_LB_VIP_REMOVE, address_str, port, proto);

	return lb_apply(vty, &edit);
}

DEFPY(iplb_lb_vip_backend, iplb_lb_vip_backend_cmd,
      IPLB_LB_VIP_STR
      " backend <A.B.C.D|X:X::X:X>$backend [weight (0-4294967295)$weight] [<drain$drain|undrain$undrain>]",
      IPLB_LB_VIP_HELP
      "A backend (added, or its weight or drain changed)\n"
      "Its IPv4 address (DIP)\n"
      "Its IPv6 address (DIP)\n"
      "Its weight (default 1)\n"
      "1-1000\n"
      "Drain it: no new connections, its own live on\n"
      "Undrain it\n")
{
	struct iplb_lb_edit edit =
		lb_edit_of(IPLB_LB_BACKEND_SET, address_str, port, proto);

	edit.backend = backend_str;
	edit.weight = weight_str ? weight : -1;
	edit.drain = drain ? 1 : undrain ? 0 : -1;
	return lb_apply(vty, &edit);
}

DEFPY(no_iplb_lb_vip_backend, no_iplb_lb_vip_backend_cmd,
      "no " IPLB_LB_VIP_STR " backend <A.B.C.D|X:X::X:X>$backend",
      NO_STR IPLB_LB_VIP_HELP
      "A backend (removed: its connections break)\n"
      "Its IPv4 address\n"
      "Its IPv6 address\n")
{
	struct iplb_lb_edit edit =
		lb_edit_of(IPLB_LB_BACKEND_REMOVE, address_str, port, proto);

	edit.backend = backend_str;
	return lb_apply(vty, &edit);
}

DEFPY(iplb_lb_vip_health_check, iplb_lb_vip_health_check_cmd,
      IPLB_LB_VIP_STR
      " health-check <tcp|http>$kind [port (1-65535)$check_port] [path WORD$path] [interval (1-3600000)$interval] [timeout (1-3600000)$timeout] [rise (1-100)$rise] [fall (1-100)$fall]",
      IPLB_LB_VIP_HELP
      "The controller's check of each backend\n"
      "A TCP connect\n"
      "An HTTP GET: healthy on a 2xx or 3xx status\n"
      "The port checked (default: the VIP's)\n"
      "Port\n"
      "The HTTP path (default /)\n"
      "Path\n"
      "Between two checks (default 2000)\n"
      "Milliseconds\n"
      "How long a check may take (default 1000)\n"
      "Milliseconds\n"
      "Successes in a row to come up (default 3)\n"
      "Count\n"
      "Failures in a row to go down (default 3)\n"
      "Count\n")
{
	struct iplb_lb_edit edit =
		lb_edit_of(IPLB_LB_HEALTH_CHECK_SET, address_str, port, proto);

	edit.check = kind;
	edit.check_port = check_port_str ? (uint16_t)check_port : 0;
	edit.check_path = path;
	edit.check_interval_ms = interval_str ? (uint32_t)interval : 0;
	edit.check_timeout_ms = timeout_str ? (uint32_t)timeout : 0;
	edit.check_rise = rise_str ? (uint32_t)rise : 0;
	edit.check_fall = fall_str ? (uint32_t)fall : 0;
	return lb_apply(vty, &edit);
}

DEFPY(no_iplb_lb_vip_health_check, no_iplb_lb_vip_health_check_cmd,
      "no " IPLB_LB_VIP_STR " health-check",
      NO_STR IPLB_LB_VIP_HELP "The controller's check of each backend\n")
{
	struct iplb_lb_edit edit = lb_edit_of(IPLB_LB_HEALTH_CHECK_REMOVE,
					      address_str, port, proto);

	return lb_apply(vty, &edit);
}

DEFPY(iplb_lb_vip_drain_timeout, iplb_lb_vip_drain_timeout_cmd,
      IPLB_LB_VIP_STR " drain-timeout (0-86400)$seconds",
      IPLB_LB_VIP_HELP
      "How long a drained backend keeps its connections (default 240)\n"
      "Seconds\n")
{
	struct iplb_lb_edit edit =
		lb_edit_of(IPLB_LB_DRAIN_TIMEOUT_SET, address_str, port, proto);

	edit.drain_timeout = (uint32_t)seconds;
	return lb_apply(vty, &edit);
}

DEFPY(iplb_lb_vip_mptcp, iplb_lb_vip_mptcp_cmd,
      IPLB_LB_VIP_STR " mptcp <none|token|direct>$mode",
      IPLB_LB_VIP_HELP
      "How MPTCP joins reach their connection's backend (docs/MPTCP.md)\n"
      "By bucket, like any flow (the default)\n"
      "By the token each join names (backends publish theirs in Redis)\n"
      "Straight to the backend: it sets the C flag and announces its own address\n")
{
	struct iplb_lb_edit edit =
		lb_edit_of(IPLB_LB_MPTCP_SET, address_str, port, proto);

	edit.mptcp = mode;
	return lb_apply(vty, &edit);
}

DEFPY(iplb_lb_vip_mptcp_port, iplb_lb_vip_mptcp_port_cmd,
      IPLB_LB_VIP_STR " mptcp port [(1-65024)$first_port]",
      IPLB_LB_VIP_HELP
      "How MPTCP joins reach their connection's backend (docs/MPTCP.md)\n"
      "By a port of the VIP's address each backend announces (Beamer's)\n"
      "The first of the backends' ports, 512 from it (default: as set before)\n")
{
	struct iplb_lb_edit edit =
		lb_edit_of(IPLB_LB_MPTCP_SET, address_str, port, proto);

	edit.mptcp = "port";
	edit.mptcp_first_port = first_port_str ? (uint16_t)first_port : 0;
	return lb_apply(vty, &edit);
}

/*
 * A leaf whose command is its container's name, its own and its value
 * (' path k 4', ' datapath encap gre', ' datapath interface eth0').
 */
void cli_show_iplb_leaf(struct vty *vty, const struct lyd_node *dnode,
			bool show_defaults)
{
	vty_out(vty, " %s %s %s\n", lyd_parent(dnode)->schema->name,
		dnode->schema->name, yang_dnode_get_string(dnode, NULL));
}

void cli_show_iplb_datapath_engine(struct vty *vty,
				   const struct lyd_node *dnode,
				   bool show_defaults)
{
	const struct lyd_node *datapath = lyd_parent(dnode);

	vty_out(vty, " datapath %s", yang_dnode_get_string(dnode, NULL));
	if (yang_dnode_exists(datapath, "./instance"))
		vty_out(vty, " instance %s",
			yang_dnode_get_string(datapath, "./instance"));
	vty_out(vty, "\n");
}

/*
 * The engine's line carries the instance, but running-config leaves out a
 * leaf at its default: with engine none (the default) the instance would
 * be lost by 'write memory' and a restart. It gets a line of its own then.
 */
void cli_show_iplb_datapath_instance(struct vty *vty,
				     const struct lyd_node *dnode,
				     bool show_defaults)
{
	const struct lyd_node *datapath = lyd_parent(dnode);

	if (show_defaults || !yang_dnode_is_default(datapath, "./engine"))
		return;
	vty_out(vty, " datapath %s instance %s\n",
		yang_dnode_get_string(datapath, "./engine"),
		yang_dnode_get_string(dnode, NULL));
}

void cli_show_iplb_datapath_source(struct vty *vty,
				   const struct lyd_node *dnode,
				   bool show_defaults)
{
	vty_out(vty, " datapath source %s\n",
		yang_dnode_get_string(dnode, NULL));
}

/* XPath: /frr-iplbd:iplb/destinations */
DEFPY_YANG(iplb_destinations, iplb_destinations_cmd,
	   "[no$no] destinations <include|exclude>$which A.B.C.D/M$prefix",
	   NO_STR
	   "Which LSDB prefixes get relay lists (default: all)\n"
	   "Only prefixes inside this one (and other included ones)\n"
	   "No prefix inside this one\n"
	   "IPv4 prefix\n")
{
	char xpath[XPATH_MAXLEN];

	snprintf(xpath, sizeof(xpath), "./destinations/%s", which);
	nb_cli_enqueue_change(vty, xpath, no ? NB_OP_DESTROY : NB_OP_CREATE,
			      prefix_str);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_destinations_prefix_list, iplb_destinations_prefix_list_cmd,
	   "[no$no] destinations prefix-list ![WORD$name]",
	   NO_STR
	   "Which LSDB prefixes get relay lists (default: all)\n"
	   "Only those this prefix-list permits (ip prefix-list)\n"
	   "Prefix-list name\n")
{
	nb_cli_enqueue_change(vty, "./destinations/prefix-list",
			      no ? NB_OP_DESTROY : NB_OP_MODIFY, name);
	return iplb_cli_apply(vty, NULL);
}

/* XPath: /frr-iplbd:iplb/prefix */
DEFPY_YANG(iplb_prefix, iplb_prefix_cmd,
	   "prefix A.B.C.D/M$prefix {k (0-65535)$k|planner "
	   "<tree|exact>$planner|encap <ipip|gre|gue>$encap|mode "
	   "<hash|weighted|flow|round-robin>$mode|weights WORD$weights}",
	   "What differs for one destination prefix\n"
	   "The destination, as the LSDB announces it\n"
	   "Paths for this destination\n"
	   "Number of paths\n"
	   "How its paths become relay lists\n"
	   "The seed's rule\n"
	   "Fewest relays whose forwarding follows the path\n" IPLB_ENCAP_HELP
		   IPLB_MODE_HELP
	   "Weights of its lists, best path's first\n"
	   "Numbers from 1, separated by commas (e.g. 3,1)\n")
{
	char base[XPATH_MAXLEN];
	char xpath[XPATH_MAXLEN + 16];

	/*
	 * FRR 8.4 commits what it could edit even when another change of the
	 * command was refused: the entry is created by its leaves (a refused
	 * leaf then creates nothing), on its own only without any.
	 */
	snprintf(base, sizeof(base), "./prefix[prefix='%s']", prefix_str);
	if (!k_str && !planner && !encap && !mode && !weights)
		nb_cli_enqueue_change(vty, base, NB_OP_CREATE, NULL);
#define IPLB_PREFIX_LEAF(leaf, value)                                          \
	do {                                                                   \
		if (value) {                                                   \
			snprintf(xpath, sizeof(xpath), "%s/" leaf, base);      \
			nb_cli_enqueue_change(vty, xpath, NB_OP_MODIFY,        \
					      value);                          \
		}                                                              \
	} while (0)
	IPLB_PREFIX_LEAF("k", k_str);
	IPLB_PREFIX_LEAF("planner", planner);
	IPLB_PREFIX_LEAF("encap", encap);
	IPLB_PREFIX_LEAF("mode", mode);
	IPLB_PREFIX_LEAF("weights", weights);
#undef IPLB_PREFIX_LEAF
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(no_iplb_prefix, no_iplb_prefix_cmd,
	   "no prefix A.B.C.D/M$prefix [{k$k [(0-65535)]|planner$planner "
	   "[<tree|exact>]|encap$encap [<ipip|gre|gue>]|mode$mode "
	   "[<hash|weighted|flow|round-robin>]|weights$weights [WORD]}]",
	   NO_STR
	   "What differs for one destination prefix\n"
	   "The destination\n"
	   "Paths for this destination\n"
	   "Number of paths\n"
	   "How its paths become relay lists\n"
	   "The seed's rule\n"
	   "Fewest relays whose forwarding follows the path\n" IPLB_ENCAP_HELP
		   IPLB_MODE_HELP
	   "Weights of its lists\n"
	   "Weights\n")
{
	char base[XPATH_MAXLEN];
	char xpath[XPATH_MAXLEN + 16];
	bool any = k || planner || encap || mode || weights;

	snprintf(base, sizeof(base), "./prefix[prefix='%s']", prefix_str);
	if (!any) {
		nb_cli_enqueue_change(vty, base, NB_OP_DESTROY, NULL);
		return iplb_cli_apply(vty, NULL);
	}
#define IPLB_PREFIX_UNSET(leaf, given)                                         \
	do {                                                                   \
		if (given) {                                                   \
			snprintf(xpath, sizeof(xpath), "%s/" leaf, base);      \
			nb_cli_enqueue_change(vty, xpath, NB_OP_DESTROY,       \
					      NULL);                           \
		}                                                              \
	} while (0)
	IPLB_PREFIX_UNSET("k", k);
	IPLB_PREFIX_UNSET("planner", planner);
	IPLB_PREFIX_UNSET("encap", encap);
	IPLB_PREFIX_UNSET("mode", mode);
	IPLB_PREFIX_UNSET("weights", weights);
#undef IPLB_PREFIX_UNSET
	return iplb_cli_apply(vty, NULL);
}

void cli_show_iplb_prefix(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults)
{
	static const char *const leaves[] = { "k", "planner", "encap", "mode",
					      "weights" };

	vty_out(vty, " prefix %s", yang_dnode_get_string(dnode, "./prefix"));
	for (size_t i = 0; i < array_size(leaves); i++)
		if (yang_dnode_existsf(dnode, "./%s", leaves[i]))
			vty_out(vty, " %s %s", leaves[i],
				yang_dnode_get_string(dnode, "./%s",
						      leaves[i]));
	vty_out(vty, "\n");
}

/* XPath: /frr-iplbd:iplb/static-route */
#define IPLB_STATIC_HELP                                                       \
	"A destination outside OSPF, with configured relay lists\n"            \
	"IPv4 prefix\n"                                                        \
	"IPv6 prefix\n"

DEFPY_YANG(
	iplb_static_route_list, iplb_static_route_list_cmd,
	"[no$no] static-route <A.B.C.D/M|X:X::X:X/M>$prefix list WORD$relays",
	NO_STR IPLB_STATIC_HELP
	"One of its relay lists (in order)\n"
	"Relays first hop first, comma-separated (at most 8), or 'direct'\n")
{
	char xpath[XPATH_MAXLEN];

	snprintf(xpath, sizeof(xpath), "./static-route[prefix='%s']",
		 prefix_str);
	/* The entry comes with its list: a refused list creates none. */
	strlcat(xpath, "/list", sizeof(xpath));
	nb_cli_enqueue_change(vty, xpath, no ? NB_OP_DESTROY : NB_OP_CREATE,
			      relays);
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(iplb_static_route_options, iplb_static_route_options_cmd,
	   "static-route <A.B.C.D/M|X:X::X:X/M>$prefix {encap "
	   "<ipip|gre|gue>$encap|mode <hash|weighted|flow|round-robin>$mode}",
	   IPLB_STATIC_HELP IPLB_ENCAP_HELP IPLB_MODE_HELP)
{
	char xpath[XPATH_MAXLEN];
	char leaf[XPATH_MAXLEN + 16];

	snprintf(xpath, sizeof(xpath), "./static-route[prefix='%s']",
		 prefix_str);
	if (encap) {
		snprintf(leaf, sizeof(leaf), "%s/encap", xpath);
		nb_cli_enqueue_change(vty, leaf, NB_OP_MODIFY, encap);
	}
	if (mode) {
		snprintf(leaf, sizeof(leaf), "%s/mode", xpath);
		nb_cli_enqueue_change(vty, leaf, NB_OP_MODIFY, mode);
	}
	return iplb_cli_apply(vty, NULL);
}

DEFPY_YANG(no_iplb_static_route, no_iplb_static_route_cmd,
	   "no static-route <A.B.C.D/M|X:X::X:X/M>$prefix",
	   NO_STR IPLB_STATIC_HELP)
{
	char xpath[XPATH_MAXLEN];

	snprintf(xpath, sizeof(xpath), "./static-route[prefix='%s']",
		 prefix_str);
	nb_cli_enqueue_change(vty, xpath, NB_OP_DESTROY, NULL);
	return iplb_cli_apply(vty, NULL);
}

static int show_static_list(const struct lyd_node *dnode, void *arg)
{
	struct vty *vty = arg;

	vty_out(vty, " static-route %s list %s\n",
		yang_dnode_get_string(lyd_parent(dnode), "./prefix"),
		yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

void cli_show_iplb_static_route(struct vty *vty, const struct lyd_node *dnode,
				bool show_defaults)
{
	const char *prefix = yang_dnode_get_string(dnode, "./prefix");

	yang_dnode_iterate(show_static_list, vty, dnode, "./list");
	if (yang_dnode_exists(dnode, "./encap") ||
	    yang_dnode_exists(dnode, "./mode")) {
		vty_out(vty, " static-route %s", prefix);
		if (yang_dnode_exists(dnode, "./encap"))
			vty_out(vty, " encap %s",
				yang_dnode_get_string(dnode, "./encap"));
		if (yang_dnode_exists(dnode, "./mode"))
			vty_out(vty, " mode %s",
				yang_dnode_get_string(dnode, "./mode"));
		vty_out(vty, "\n");
	}
}

/*
 * Show commands: the core renders every one of them (text, or JSON from the
 * same values); the glue adds what only it knows and prints the result.
 */
static struct iplb_glue_facts iplb_glue_facts(void)
{
	struct iplb_glue_facts facts = {
		.frr_version = FRR_VERSION,
		.zebra_connected = iplb_zebra_connected(),
	};

	return facts;
}

static int show_core_output(struct vty *vty, char *text, const char *err,
			    bool json)
{
	if (!text) {
		vty_out(vty, "%% %s\n", err[0] ? err : "out of memory");
		return CMD_WARNING;
	}
	vty_out(vty, "%s%s", text, json ? "\n" : "");
	free(text);
	return CMD_SUCCESS;
}

DEFPY(show_iplb_lb_controller, show_iplb_lb_controller_cmd,
      "show iplb lb controller [json]$json",
      SHOW_STR IPLB_STR "The load balancer\n"
      "Its controller on this node: leader, etcd, each VIP's versions\n"
      JSON_STR)
{
	char err[256] = "";

	return show_core_output(vty,
				iplb_show_lb_controller(iplb_g.core, !!json,
							err, sizeof(err)),
				err, !!json);
}

DEFPY(show_iplb_lb_mux, show_iplb_lb_mux_cmd, "show iplb lb mux [json]$json",
      SHOW_STR IPLB_STR "The load balancer\n"
      "This node's mux: its program, etcd, each VIP's generations\n" JSON_STR)
{
	char err[256] = "";

	return show_core_output(
		vty, iplb_show_lb_mux(iplb_g.core, !!json, err, sizeof(err)), err,
		!!json);
}

DEFPY(show_iplb_lb_mptcp, show_iplb_lb_mptcp_cmd,
      "show iplb lb mptcp [json]$json",
      SHOW_STR IPLB_STR "The load balancer\n"
      "MPTCP: the mux's token map and Redis, or the backend's tokens\n" JSON_STR)
{
	char err[256] = "";

	return show_core_output(
		vty, iplb_show_lb_mptcp(iplb_g.core, !!json, err, sizeof(err)),
		err, !!json);
}

DEFPY(show_iplb_lb_backend, show_iplb_lb_backend_cmd,
      "show iplb lb backend [json]$json",
      SHOW_STR IPLB_STR "The load balancer\n"
      "This node's backend: its program, etcd, the VIPs it takes\n" JSON_STR)
{
	char err[256] = "";

	return show_core_output(
		vty, iplb_show_lb_backend(iplb_g.core, !!json, err, sizeof(err)), err,
		!!json);
}

DEFPY(show_iplb_lb, show_iplb_lb_cmd,
      "show iplb lb [vip <A.B.C.D|X:X::X:X>$address [port (0-65535)$port] [proto <tcp|udp>$proto]] [json]$json",
      SHOW_STR IPLB_STR
      "The load balancer, as etcd holds it now\n"
      "One VIP\n"
      "Its IPv4 address\n"
      "Its IPv6 address\n"
      "Its port\n"
      "Port\n"
      "Its protocol\n"
      "TCP\n"
      "UDP\n" JSON_STR)
{
	struct iplb_lb_vip vip = {
		.address = address_str, .port = (uint16_t)port, .protocol = proto};
	char err[512] = "";

	return show_core_output(vty,
				iplb_show_lb(iplb_g.core, address_str ? &vip : NULL,
					     !!json, err, sizeof(err)),
				err, !!json);
}

DEFPY(show_iplb_lb_buckets, show_iplb_lb_buckets_cmd,
      "show iplb lb buckets <A.B.C.D|X:X::X:X>$address [port (0-65535)$port] [proto <tcp|udp>$proto] [json]$json",
      SHOW_STR IPLB_STR
      "The load balancer\n"
      "A VIP's committed bucket map, as runs\n"
      "Its IPv4 address\n"
      "Its IPv6 address\n"
      "Its port\n"
      "Port\n"
      "Its protocol\n"
      "TCP\n"
      "UDP\n" JSON_STR)
{
	struct iplb_lb_vip vip = {
		.address = address_str, .port = (uint16_t)port, .protocol = proto};
	char err[512] = "";

	return show_core_output(vty,
				iplb_show_lb_buckets(iplb_g.core, &vip, !!json,
						     err, sizeof(err)),
				err, !!json);
}

DEFPY(show_iplb_status, show_iplb_status_cmd, "show iplb status [json]$json",
      SHOW_STR IPLB_STR "Daemon status\n" JSON_STR)
{
	struct iplb_glue_facts facts = iplb_glue_facts();
	char err[256] = "";

	return show_core_output(
		vty,
		iplb_show_status(iplb_g.core, &facts, !!json, err, sizeof(err)),
		err, !!json);
}

DEFPY(show_iplb_table, show_iplb_table_cmd, "show iplb table [json]$json",
      SHOW_STR IPLB_STR
      "The destinations, their relay lists and the datapath\n" JSON_STR)
{
	char err[256] = "";

	return show_core_output(
		vty, iplb_show_table(iplb_g.core, !!json, err, sizeof(err)),
		err, !!json);
}

DEFPY(show_iplb_paths, show_iplb_paths_cmd,
      "show iplb paths A.B.C.D/M$prefix [<json$json|dot$dot>]",
      SHOW_STR IPLB_STR
      "The k paths of a destination, their relays and what forwarding does\n"
      "Destination prefix\n" JSON_STR
      "Graphviz digraph of the paths (relays as boxes)\n")
{
	char err[256] = "";
	enum iplb_paths_format format = json  ? IPLB_PATHS_JSON
					: dot ? IPLB_PATHS_DOT
					      : IPLB_PATHS_TEXT;

	return show_core_output(vty,
				iplb_show_paths(iplb_g.core, prefix_str, format,
						err, sizeof(err)),
				err, !!json);
}

DEFPY(show_iplb_counters, show_iplb_counters_cmd,
      "show iplb counters [json]$json",
      SHOW_STR IPLB_STR
      "Recomputes, their durations, datapath writes and errors\n" JSON_STR)
{
	char err[256] = "";

	return show_core_output(
		vty, iplb_show_counters(iplb_g.core, !!json, err, sizeof(err)),
		err, !!json);
}

DEFPY(clear_iplb_counters, clear_iplb_counters_cmd, "clear iplb counters",
      CLEAR_STR IPLB_STR "Recompute, datapath and timing counters\n")
{
	iplb_clear_counters(iplb_g.core);
	return CMD_SUCCESS;
}

DEFPY(show_iplb_topology, show_iplb_topology_cmd,
      "show iplb topology [json]$json",
      SHOW_STR IPLB_STR
      "The topology built from the OSPF LSDB (JSON: a topology "
      "file)\n" JSON_STR)
{
	char err[256] = "";

	return show_core_output(
		vty, iplb_show_topology(iplb_g.core, !!json, err, sizeof(err)),
		err, false);
}

/*
 * VIPs of a mux -------------------------------------------------------------
 * XPath: /frr-iplbd:iplb/vip
 */
#define IPLB_VIP_HELP                                                          \
	"A VIP this load-balancer node advertises (role mux)\n"                \
	"The VIP, an IPv4 /32\n"                                               \
	"The VIP, an IPv6 /128\n"
#define IPLB_VIP_XPATH "./vip[prefix='%s']"

DEFPY_YANG(iplb_vip, iplb_vip_cmd,
	   "vip <A.B.C.D/M|X:X::X:X/M>$prefix [drain$drain]",
	   IPLB_VIP_HELP
	   "Drained: withdrawn from BGP, kept in the configuration\n")
{
	char key[PREFIX_STRLEN];

	/* The form YANG stores (canonical IPv6), so that 'no vip' finds it. */
	prefix2str(prefix, key, sizeof(key));
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, "./drain", NB_OP_MODIFY,
			      drain ? "true" : "false");
	return iplb_cli_apply(vty, IPLB_VIP_XPATH, key);
}

DEFPY_YANG(no_iplb_vip, no_iplb_vip_cmd,
	   "no vip <A.B.C.D/M|X:X::X:X/M>$prefix [drain$drain]",
	   NO_STR IPLB_VIP_HELP
	   "Undrain it: advertise it again, keep the VIP\n")
{
	char key[PREFIX_STRLEN];

	prefix2str(prefix, key, sizeof(key));
	if (!drain) {
		nb_cli_enqueue_change(vty, ".", NB_OP_DESTROY, NULL);
		return iplb_cli_apply(vty, IPLB_VIP_XPATH, key);
	}
	/* Setting the leaf of a missing VIP would create the VIP. */
	if (!yang_dnode_existsf(vty->candidate_config->dnode,
				IPLB_XPATH "/vip[prefix='%s']", key)) {
		vty_out(vty, "%% VIP %s is not configured\n", key);
		return CMD_WARNING_CONFIG_FAILED;
	}
	nb_cli_enqueue_change(vty, "./drain", NB_OP_MODIFY, "false");
	return iplb_cli_apply(vty, IPLB_VIP_XPATH, key);
}

void cli_show_iplb_vip(struct vty *vty, const struct lyd_node *dnode,
		       bool show_defaults)
{
	vty_out(vty, " vip %s%s\n", yang_dnode_get_string(dnode, "./prefix"),
		yang_dnode_get_bool(dnode, "./drain") ? " drain" : "");
}

DEFPY(show_iplb_vip, show_iplb_vip_cmd, "show iplb vip [json]$json",
      SHOW_STR IPLB_STR
      "The VIPs of this mux: drained, advertised to zebra, and if "
      "not, why\n" JSON_STR)
{
	struct iplb_glue_facts facts = iplb_glue_facts();
	char err[256] = "";

	return show_core_output(
		vty,
		iplb_show_vips(iplb_g.core, &facts, !!json, err, sizeof(err)),
		err, !!json);
}
/* end of VIPs ---------------------------------------------------------------
 */

/*
 * Debugging (iplb_debug.c): in enable mode for this session's terminal
 * monitor and logs, in configuration mode also saved. 'dataplane' is the
 * former name of 'datapath', kept for configurations that have it.
 */
DEFPY(debug_iplb, debug_iplb_cmd,
      "[no$no] debug iplb <lsdb|paths|datapath|dataplane|all>$category",
      NO_STR DEBUG_STR IPLB_STR
      "LSAs received, topology rebuilds and changes\n"
      "Each destination's paths and route at each recompute\n"
      "Each record written to or removed from the datapath\n"
      "Same as datapath (its former name)\n"
      "All of the above\n")
{
	iplb_debug_set(vty->node, !no,
		       strmatch(category, "dataplane") ? "datapath" : category);
	return CMD_SUCCESS;
}

DEFUN_NOSH(show_debugging_iplb, show_debugging_iplb_cmd,
	   "show debugging [iplb]", SHOW_STR DEBUG_STR IPLB_STR)
{
	vty_out(vty, "iplbd debugging status:\n");
	iplb_debug_write(vty, false);
	return CMD_SUCCESS;
}

static int iplb_debug_config_write(struct vty *vty)
{
	return iplb_debug_write(vty, true);
}

static struct cmd_node iplb_debug_node = {
	.name = "debug",
	.node = DEBUG_NODE,
	.prompt = "",
	.config_write = iplb_debug_config_write,
};

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
	install_node(&iplb_debug_node);
	install_element(ENABLE_NODE, &debug_iplb_cmd);
	install_element(CONFIG_NODE, &debug_iplb_cmd);
	install_element(ENABLE_NODE, &show_debugging_iplb_cmd);
	install_default(IPLB_NODE);

	install_element(CONFIG_NODE, &router_iplb_cmd);
	install_element(CONFIG_NODE, &no_router_iplb_cmd);
	install_element(IPLB_NODE, &iplb_role_cmd);
	install_element(IPLB_NODE, &no_iplb_role_cmd);
	install_element(IPLB_NODE, &iplb_lsdb_api_server_cmd);
	install_element(IPLB_NODE, &no_iplb_lsdb_api_server_cmd);
	install_element(IPLB_NODE, &iplb_lsdb_debounce_cmd);
	install_element(IPLB_NODE, &no_iplb_lsdb_debounce_cmd);
	install_element(IPLB_NODE, &iplb_path_cmd);
	install_element(IPLB_NODE, &no_iplb_path_cmd);
	install_element(IPLB_NODE, &iplb_datapath_engine_cmd);
	install_element(IPLB_NODE, &no_iplb_datapath_engine_cmd);
	install_element(IPLB_NODE, &iplb_datapath_interface_cmd);
	install_element(IPLB_NODE, &iplb_datapath_encap_cmd);
	install_element(IPLB_NODE, &iplb_datapath_mode_cmd);
	install_element(IPLB_NODE, &iplb_datapath_source_cmd);
	install_element(IPLB_NODE, &iplb_datapath_mtu_cmd);
	install_element(IPLB_NODE, &iplb_datapath_flow_idle_cmd);
	install_element(IPLB_NODE, &iplb_datapath_congestion_cmd);
	install_element(IPLB_NODE, &iplb_destinations_cmd);
	install_element(IPLB_NODE, &iplb_destinations_prefix_list_cmd);
	install_element(IPLB_NODE, &iplb_prefix_cmd);
	install_element(IPLB_NODE, &no_iplb_prefix_cmd);
	install_element(IPLB_NODE, &iplb_static_route_list_cmd);
	install_element(IPLB_NODE, &iplb_static_route_options_cmd);
	install_element(IPLB_NODE, &no_iplb_static_route_cmd);
	install_element(VIEW_NODE, &show_iplb_topology_cmd);
	install_element(VIEW_NODE, &show_iplb_table_cmd);
	install_element(VIEW_NODE, &show_iplb_paths_cmd);
	install_element(VIEW_NODE, &show_iplb_counters_cmd);
	install_element(ENABLE_NODE, &clear_iplb_counters_cmd);

	/* VIPs of a mux */
	install_element(IPLB_NODE, &iplb_vip_cmd);
	install_element(IPLB_NODE, &no_iplb_vip_cmd);
	install_element(VIEW_NODE, &show_iplb_vip_cmd);

	/* The load balancer's control plane */
	install_element(IPLB_NODE, &iplb_lb_etcd_endpoints_cmd);
	install_element(IPLB_NODE, &no_iplb_lb_etcd_endpoints_cmd);
	install_element(IPLB_NODE, &no_iplb_lb_etcd_endpoints_list_cmd);
	install_element(IPLB_NODE, &iplb_lb_etcd_prefix_cmd);
	install_element(IPLB_NODE, &iplb_lb_name_cmd);
	install_element(IPLB_NODE, &iplb_lb_controller_cmd);
	install_element(IPLB_NODE, &iplb_lb_fib_lookup_cmd);
	install_element(IPLB_NODE, &iplb_lb_redis_endpoints_cmd);
	install_element(IPLB_NODE, &no_iplb_lb_redis_endpoints_cmd);
	install_element(IPLB_NODE, &no_iplb_lb_redis_endpoints_list_cmd);
	install_element(IPLB_NODE, &iplb_lb_interface_cmd);
	install_element(VIEW_NODE, &show_iplb_lb_controller_cmd);
	install_element(IPLB_NODE, &iplb_lb_vip_cmd);
	install_element(IPLB_NODE, &no_iplb_lb_vip_cmd);
	install_element(IPLB_NODE, &iplb_lb_vip_backend_cmd);
	install_element(IPLB_NODE, &no_iplb_lb_vip_backend_cmd);
	install_element(IPLB_NODE, &iplb_lb_vip_health_check_cmd);
	install_element(IPLB_NODE, &no_iplb_lb_vip_health_check_cmd);
	install_element(IPLB_NODE, &iplb_lb_vip_drain_timeout_cmd);
	install_element(IPLB_NODE, &iplb_lb_vip_mptcp_cmd);
	install_element(IPLB_NODE, &iplb_lb_vip_mptcp_port_cmd);
	install_element(VIEW_NODE, &show_iplb_lb_cmd);
	install_element(VIEW_NODE, &show_iplb_lb_mux_cmd);
	install_element(VIEW_NODE, &show_iplb_lb_mptcp_cmd);
	install_element(VIEW_NODE, &show_iplb_lb_backend_cmd);
	install_element(VIEW_NODE, &show_iplb_lb_buckets_cmd);

	install_element(VIEW_NODE, &show_iplb_status_cmd);
}
