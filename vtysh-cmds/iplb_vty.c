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
#include "iplbd/iplb_vip.h"
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
 * Whether value is valid for the leaf at schema path xpath; if not, says
 * why as YANG does. For commands that change several leaves, which FRR 8.4
 * would otherwise commit in part.
 */
static bool iplb_cli_value_valid(struct vty *vty, const char *xpath,
				 const char *value)
{
	const struct lysc_node *snode =
		lys_find_path(ly_native_ctx, NULL, xpath, 0);

	if (!snode)
		return true;
	if (lyd_value_validate(ly_native_ctx, snode, value, strlen(value), NULL,
			       NULL, NULL) == LY_SUCCESS)
		return true;
	vty_out(vty, "%% %s\n", ly_errmsg(ly_native_ctx));
	return false;
}

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
	return nb_cli_apply_changes(vty, NULL);
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
	return nb_cli_apply_changes(vty, NULL);
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
	return nb_cli_apply_changes(vty, NULL);
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
	return nb_cli_apply_changes(vty, NULL);
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
	return nb_cli_apply_changes(vty, NULL);
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
	return nb_cli_apply_changes(vty, NULL);
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
	"Sticky per flow until idle\n"

DEFPY_YANG(iplb_datapath_backend, iplb_datapath_backend_cmd,
	   "datapath <none|bpf>$backend [instance WORD$instance]",
	   IPLB_DATAPATH_HELP
	   "Compute and show the tables only (default)\n"
	   "The eBPF host program, its table pinned\n"
	   "Datapath instance (pins under /run/iplb/bpf)\n"
	   "Instance name (default: the pathspace, else 'default')\n")
{
	/* Both or neither: FRR 8.4 would commit the backend alone. */
	if (instance && !iplb_cli_value_valid(
				vty, IPLB_XPATH "/datapath/instance", instance))
		return CMD_WARNING_CONFIG_FAILED;
	nb_cli_enqueue_change(vty, "./datapath/backend", NB_OP_MODIFY, backend);
	nb_cli_enqueue_change(vty, "./datapath/instance",
			      instance ? NB_OP_MODIFY : NB_OP_DESTROY,
			      instance);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(no_iplb_datapath_backend, no_iplb_datapath_backend_cmd,
	   "no datapath [<none|bpf> [instance WORD]]",
	   NO_STR IPLB_DATAPATH_HELP
	   "Compute and show the tables only\n"
	   "The eBPF host program\n"
	   "Datapath instance\n"
	   "Instance name\n")
{
	/* Detached from its interfaces; the table stays pinned. */
	nb_cli_enqueue_change(vty, "./datapath/backend", NB_OP_MODIFY, NULL);
	nb_cli_enqueue_change(vty, "./datapath/instance", NB_OP_DESTROY, NULL);
	return nb_cli_apply_changes(vty, NULL);
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
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(iplb_datapath_encap, iplb_datapath_encap_cmd,
	   "[no$no] datapath encap ![<ipip|gre|gue>$encap]",
	   NO_STR IPLB_DATAPATH_HELP IPLB_ENCAP_HELP)
{
	nb_cli_enqueue_change(vty, "./datapath/encap", NB_OP_MODIFY,
			      no ? NULL : encap);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(iplb_datapath_mode, iplb_datapath_mode_cmd,
	   "[no$no] datapath mode ![<hash|weighted|flow>$mode]",
	   NO_STR IPLB_DATAPATH_HELP IPLB_MODE_HELP)
{
	nb_cli_enqueue_change(vty, "./datapath/mode", NB_OP_MODIFY,
			      no ? NULL : mode);
	return nb_cli_apply_changes(vty, NULL);
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
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(iplb_datapath_mtu, iplb_datapath_mtu_cmd,
	   "[no$no] datapath mtu ![(0-65535)$mtu]",
	   NO_STR IPLB_DATAPATH_HELP
	   "Path MTU of the routes; TCP's MSS is clamped to fit the tunnel\n"
	   "Bytes: 0 (unknown, default) or 576-65535\n")
{
	nb_cli_enqueue_change(vty, "./datapath/mtu", NB_OP_MODIFY,
			      no ? NULL : mtu_str);
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(iplb_datapath_flow_idle, iplb_datapath_flow_idle_cmd,
	   "[no$no] datapath flow-idle ![(100-3600000)$idle]",
	   NO_STR IPLB_DATAPATH_HELP
	   "Mode flow: forget a flow unseen this long\n"
	   "Milliseconds (default 30000)\n")
{
	nb_cli_enqueue_change(vty, "./datapath/flow-idle", NB_OP_MODIFY,
			      no ? NULL : idle_str);
	return nb_cli_apply_changes(vty, NULL);
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

void cli_show_iplb_datapath_backend(struct vty *vty,
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
	return nb_cli_apply_changes(vty, NULL);
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
	return nb_cli_apply_changes(vty, NULL);
}

/* XPath: /frr-iplbd:iplb/prefix */
DEFPY_YANG(iplb_prefix, iplb_prefix_cmd,
	   "prefix A.B.C.D/M$prefix {k (0-65535)$k|planner "
	   "<tree|exact>$planner|encap <ipip|gre|gue>$encap|mode "
	   "<hash|weighted|flow>$mode|weights WORD$weights}",
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
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(no_iplb_prefix, no_iplb_prefix_cmd,
	   "no prefix A.B.C.D/M$prefix [{k$k [(0-65535)]|planner$planner "
	   "[<tree|exact>]|encap$encap [<ipip|gre|gue>]|mode$mode "
	   "[<hash|weighted|flow>]|weights$weights [WORD]}]",
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
		return nb_cli_apply_changes(vty, NULL);
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
	return nb_cli_apply_changes(vty, NULL);
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
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(iplb_static_route_options, iplb_static_route_options_cmd,
	   "static-route <A.B.C.D/M|X:X::X:X/M>$prefix {encap "
	   "<ipip|gre|gue>$encap|mode <hash|weighted|flow>$mode}",
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
	return nb_cli_apply_changes(vty, NULL);
}

DEFPY_YANG(no_iplb_static_route, no_iplb_static_route_cmd,
	   "no static-route <A.B.C.D/M|X:X::X:X/M>$prefix",
	   NO_STR IPLB_STATIC_HELP)
{
	char xpath[XPATH_MAXLEN];

	snprintf(xpath, sizeof(xpath), "./static-route[prefix='%s']",
		 prefix_str);
	nb_cli_enqueue_change(vty, xpath, NB_OP_DESTROY, NULL);
	return nb_cli_apply_changes(vty, NULL);
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

/* Show commands of the table, the paths and the counters. */
static int show_core_text(struct vty *vty, char *text)
{
	if (!text) {
		vty_out(vty, "%% out of memory\n");
		return CMD_WARNING;
	}
	vty_out(vty, "%s", text);
	free(text);
	return CMD_SUCCESS;
}

DEFPY(show_iplb_table, show_iplb_table_cmd, "show iplb table [json]$json",
      SHOW_STR IPLB_STR
      "The destinations, their relay lists and the datapath\n" JSON_STR)
{
	if (json) {
		int ret =
			show_core_text(vty, iplb_core_table_json(iplb_g.core));

		vty_out(vty, "\n");
		return ret;
	}
	return show_core_text(vty, iplb_core_table_text(iplb_g.core));
}

DEFPY(show_iplb_paths, show_iplb_paths_cmd,
      "show iplb paths A.B.C.D/M$prefix [<json$json|dot$dot>]",
      SHOW_STR IPLB_STR
      "The k paths of a destination, their relays and what forwarding does\n"
      "Destination prefix\n" JSON_STR
      "Graphviz digraph of the paths (relays as boxes)\n")
{
	char err[256] = "";
	char *text = iplb_core_paths(iplb_g.core, prefix_str,
				     json  ? 1
				     : dot ? 2
					   : 0,
				     err, sizeof(err));

	if (!text) {
		vty_out(vty, "%% %s\n", err[0] ? err : "out of memory");
		return CMD_WARNING;
	}
	vty_out(vty, "%s%s", text, json ? "\n" : "");
	free(text);
	return CMD_SUCCESS;
}

DEFPY(show_iplb_counters, show_iplb_counters_cmd,
      "show iplb counters [json]$json",
      SHOW_STR IPLB_STR
      "Recomputes, their durations, datapath writes and errors\n" JSON_STR)
{
	if (json) {
		int ret = show_core_text(vty,
					 iplb_core_counters_json(iplb_g.core));

		vty_out(vty, "\n");
		return ret;
	}
	return show_core_text(vty, iplb_core_counters_text(iplb_g.core));
}

DEFPY(clear_iplb_counters, clear_iplb_counters_cmd, "clear iplb counters",
      CLEAR_STR IPLB_STR "Recompute, datapath and timing counters\n")
{
	iplb_core_clear_counters(iplb_g.core);
	return CMD_SUCCESS;
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
	return nb_cli_apply_changes(vty, IPLB_VIP_XPATH, key);
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
		return nb_cli_apply_changes(vty, IPLB_VIP_XPATH, key);
	}
	/* Setting the leaf of a missing VIP would create the VIP. */
	if (!yang_dnode_existsf(vty->candidate_config->dnode,
				IPLB_XPATH "/vip[prefix='%s']", key)) {
		vty_out(vty, "%% VIP %s is not configured\n", key);
		return CMD_WARNING_CONFIG_FAILED;
	}
	nb_cli_enqueue_change(vty, "./drain", NB_OP_MODIFY, "false");
	return nb_cli_apply_changes(vty, IPLB_VIP_XPATH, key);
}

void cli_show_iplb_vip(struct vty *vty, const struct lyd_node *dnode,
		       bool show_defaults)
{
	vty_out(vty, " vip %s%s\n", yang_dnode_get_string(dnode, "./prefix"),
		yang_dnode_get_bool(dnode, "./drain") ? " drain" : "");
}

static void show_vip_text(const struct iplb_vip_info *info, void *arg)
{
	struct vty *vty = arg;

	vty_out(vty, "%-40pFX %-7s %-10s %s\n", info->prefix,
		info->drain ? "yes" : "no", info->advertised ? "yes" : "no",
		info->reason ? info->reason : "-");
}

static void show_vip_json(const struct iplb_vip_info *info, void *arg)
{
	json_object *jv = json_object_new_object();

	json_object_string_addf(jv, "prefix", "%pFX", info->prefix);
	json_object_boolean_add(jv, "drain", info->drain);
	json_object_boolean_add(jv, "advertised", info->advertised);
	json_object_string_add(jv, "reason", info->reason ? info->reason : "");
	json_object_array_add(arg, jv);
}

DEFPY(show_iplb_vip, show_iplb_vip_cmd, "show iplb vip [json]$json",
      SHOW_STR IPLB_STR
      "The VIPs of this mux: drained, advertised to zebra, and if "
      "not, why\n" JSON_STR)
{
	json_object *jo, *jvips;

	if (!json) {
		vty_out(vty, "%-40s %-7s %-10s %s\n", "VIP", "Drained",
			"Advertised", "Reason");
		iplb_vip_walk(show_vip_text, vty);
		return CMD_SUCCESS;
	}

	jo = json_object_new_object();
	jvips = json_object_new_array();
	iplb_vip_walk(show_vip_json, jvips);
	json_object_object_add(jo, "vips", jvips);
	return vty_json(vty, jo);
}
/* end of VIPs ---------------------------------------------------------------
 */

DEFPY(show_iplb_topology, show_iplb_topology_cmd,
      "show iplb topology [json]$json",
      SHOW_STR IPLB_STR
      "The topology built from the OSPF LSDB (JSON: a topology "
      "file)\n" JSON_STR)
{
	char *text = json ? iplb_core_topology_json(iplb_g.core)
			  : iplb_core_topology_text(iplb_g.core);

	if (!text) {
		vty_out(vty, "%% out of memory\n");
		return CMD_WARNING;
	}
	vty_out(vty, "%s", text);
	free(text);
	return CMD_SUCCESS;
}

static const char *const lsa_type_keys[12] = {
	[1] = "router",	     [2] = "network",	  [3] = "summary",
	[4] = "asbrSummary", [5] = "asExternal",  [7] = "nssa",
	[9] = "opaqueLink",  [10] = "opaqueArea", [11] = "opaqueAs",
};

static void show_lsdb_text(struct vty *vty, const struct iplb_lsdb_status *l)
{
	vty_out(vty, "  LSDB feed: %s with ospfd API %s for %s\n", l->state,
		l->server, l->since);
	if (l->has_router_id)
		vty_out(vty, "    Router ID:  %s\n", l->router_id);
	vty_out(vty,
		"    LSAs:       %" PRIu64 " (router %" PRIu64
		", network %" PRIu64 ", summary %" PRIu64
		", ASBR-summary %" PRIu64 ", AS-external %" PRIu64
		", NSSA %" PRIu64 ")\n",
		l->lsas, l->lsas_by_type[1], l->lsas_by_type[2],
		l->lsas_by_type[3], l->lsas_by_type[4], l->lsas_by_type[5],
		l->lsas_by_type[7]);
	vty_out(vty,
		"    Received:   %" PRIu64 " updates, %" PRIu64
		" deletes, %" PRIu64 " malformed\n",
		l->lsa_updates, l->lsa_deletes, l->malformed);
	vty_out(vty,
		"    ospfd:      %" PRIu64 " interfaces (%" PRIu64
		" up), %" PRIu64 " neighbours (%" PRIu64 " full), %" PRIu64
		" reachable routers\n",
		l->ospf_interfaces, l->ospf_interfaces_up, l->ospf_neighbours,
		l->ospf_neighbours_full, l->ospf_reachable_routers);
	vty_out(vty,
		"    Sessions:   %" PRIu64 " syncs, %" PRIu64
		" disconnects, %" PRIu64 " connect attempts\n",
		l->syncs, l->disconnects, l->connect_attempts);
	if (l->last_error[0])
		vty_out(vty, "    Last error: %s\n", l->last_error);
	if (l->retry_in_msec >= 0)
		vty_out(vty, "    Retry in:   %" PRId64 " ms\n",
			l->retry_in_msec);
}

static void show_topology_text(struct vty *vty,
			       const struct iplb_topology_status *t)
{
	vty_out(vty,
		"  Topology:  %" PRIu64 " routers, %" PRIu64
		" networks, %" PRIu64 " links, %" PRIu64 " prefixes\n",
		t->routers, t->networks, t->links, t->prefixes);
	vty_out(vty,
		"    Dropped:    %" PRIu64 " one-way links, %" PRIu64
		" ignored, %" PRIu64 " malformed\n",
		t->one_way, t->ignored, t->malformed);
	vty_out(vty,
		"    Rebuilds:   %" PRIu64 " (last %" PRIu64 " us, max %" PRIu64
		" us), %" PRIu64
		" skipped as unchanged, debounce %u ms, max hold %u ms%s\n",
		t->rebuilds, t->last_rebuild_usec, t->max_rebuild_usec,
		t->rebuilds_unchanged, t->debounce_delay_msec,
		t->debounce_max_hold_msec,
		t->rebuild_pending ? ", rebuild pending" : "");
	vty_out(vty,
		"    Snapshots:  %" PRIu64 " to the path engine, %" PRIu64
		" rebuilds gave the same graph\n",
		t->snapshots, t->same_topology);
	if (t->last_change_ago_msec >= 0) {
		const struct iplb_topology_change *c = &t->last_change;

		vty_out(vty,
			"    Last change: %" PRId64 " ms ago: nodes +%" PRIu64
			" -%" PRIu64 ", links +%" PRIu64 " -%" PRIu64
			" ~%" PRIu64 ", prefixes +%" PRIu64 " -%" PRIu64
			" ~%" PRIu64 ", relays moved %" PRIu64 "\n",
			t->last_change_ago_msec, c->nodes_added,
			c->nodes_removed, c->links_added, c->links_removed,
			c->links_changed, c->prefixes_added,
			c->prefixes_removed, c->prefixes_changed,
			c->relays_changed);
	}
}

static json_object *topology_json(const struct iplb_topology_status *t)
{
	json_object *jt = json_object_new_object();

	json_object_int_add(jt, "routers", (int64_t)t->routers);
	json_object_int_add(jt, "networks", (int64_t)t->networks);
	json_object_int_add(jt, "links", (int64_t)t->links);
	json_object_int_add(jt, "prefixes", (int64_t)t->prefixes);
	json_object_int_add(jt, "oneWayLinks", (int64_t)t->one_way);
	json_object_int_add(jt, "ignored", (int64_t)t->ignored);
	json_object_int_add(jt, "malformed", (int64_t)t->malformed);
	json_object_int_add(jt, "rebuilds", (int64_t)t->rebuilds);
	json_object_int_add(jt, "rebuildsUnchanged",
			    (int64_t)t->rebuilds_unchanged);
	json_object_int_add(jt, "rebuildErrors", (int64_t)t->rebuild_errors);
	json_object_int_add(jt, "lastRebuildUsec",
			    (int64_t)t->last_rebuild_usec);
	json_object_int_add(jt, "maxRebuildUsec", (int64_t)t->max_rebuild_usec);
	json_object_int_add(jt, "lastRebuildAgoMsec", t->last_rebuild_ago_msec);
	json_object_boolean_add(jt, "rebuildPending", t->rebuild_pending);
	json_object_int_add(jt, "debounceDelayMsec", t->debounce_delay_msec);
	json_object_int_add(jt, "debounceMaxHoldMsec",
			    t->debounce_max_hold_msec);
	json_object_int_add(jt, "snapshots", (int64_t)t->snapshots);
	json_object_int_add(jt, "sameTopology", (int64_t)t->same_topology);
	if (t->last_change_ago_msec >= 0) {
		const struct iplb_topology_change *c = &t->last_change;
		json_object *jc = json_object_new_object();

		json_object_int_add(jc, "agoMsec", t->last_change_ago_msec);
		json_object_int_add(jc, "nodesAdded", (int64_t)c->nodes_added);
		json_object_int_add(jc, "nodesRemoved",
				    (int64_t)c->nodes_removed);
		json_object_int_add(jc, "relaysChanged",
				    (int64_t)c->relays_changed);
		json_object_int_add(jc, "linksAdded", (int64_t)c->links_added);
		json_object_int_add(jc, "linksRemoved",
				    (int64_t)c->links_removed);
		json_object_int_add(jc, "linksChanged",
				    (int64_t)c->links_changed);
		json_object_int_add(jc, "prefixesAdded",
				    (int64_t)c->prefixes_added);
		json_object_int_add(jc, "prefixesRemoved",
				    (int64_t)c->prefixes_removed);
		json_object_int_add(jc, "prefixesChanged",
				    (int64_t)c->prefixes_changed);
		json_object_object_add(jt, "lastChange", jc);
	}
	return jt;
}

static void show_table_text(struct vty *vty, const struct iplb_table_status *t)
{
	vty_out(vty, "  Table:     %" PRIu64 " destinations from router %s\n",
		t->destinations, t->has_source ? t->source : "(unknown)");
	if (t->datapath_configured)
		vty_out(vty,
			"    Datapath:   bpf instance %s, %s, attached to: %s, "
			"%s\n",
			t->instance, t->datapath_open ? "open" : "not open",
			t->attached[0] ? t->attached : "(none)",
			t->healthy ? "healthy" : "NOT healthy");
	else
		vty_out(vty,
			"    Datapath:   none (computed, not installed)\n");
	if (t->datapath_error[0])
		vty_out(vty, "    Datapath error: %s\n", t->datapath_error);
	vty_out(vty,
		"    Recomputes: %" PRIu64 " (last %" PRIu64 " us, max %" PRIu64
		" us), %" PRIu64 " routes written, %" PRIu64
		" removed, %" PRIu64 " changed nothing, %" PRIu64 " errors\n",
		t->recomputes, t->last_compute_usec, t->max_compute_usec,
		t->routes_written, t->routes_removed, t->without_changes,
		t->errors);
	if (t->updates)
		vty_out(vty,
			"    LSA to table: last %" PRId64 " ms (%" PRId64
			" ms ago), max %" PRId64 " ms, %" PRIu64 " updates\n",
			t->last_update_msec, t->last_update_ago_msec,
			t->max_update_msec, t->updates);
}

static json_object *table_json(const struct iplb_table_status *t)
{
	json_object *jt = json_object_new_object();

	json_object_int_add(jt, "destinations", (int64_t)t->destinations);
	if (t->has_source)
		json_object_string_add(jt, "source", t->source);
	json_object_string_add(jt, "datapath",
			       t->datapath_configured ? "bpf" : "none");
	if (t->datapath_configured) {
		json_object_string_add(jt, "instance", t->instance);
		json_object_boolean_add(jt, "open", t->datapath_open);
		json_object_string_add(jt, "attached", t->attached);
	}
	json_object_boolean_add(jt, "healthy", t->healthy);
	json_object_string_add(jt, "datapathError", t->datapath_error);
	json_object_int_add(jt, "recomputes", (int64_t)t->recomputes);
	json_object_int_add(jt, "lastComputeUsec",
			    (int64_t)t->last_compute_usec);
	json_object_int_add(jt, "maxComputeUsec", (int64_t)t->max_compute_usec);
	json_object_int_add(jt, "routesWritten", (int64_t)t->routes_written);
	json_object_int_add(jt, "routesRemoved", (int64_t)t->routes_removed);
	json_object_int_add(jt, "withoutChanges", (int64_t)t->without_changes);
	json_object_int_add(jt, "errors", (int64_t)t->errors);
	json_object_int_add(jt, "updates", (int64_t)t->updates);
	json_object_int_add(jt, "lsaToTableMsec", t->last_update_msec);
	json_object_int_add(jt, "maxLsaToTableMsec", t->max_update_msec);
	json_object_int_add(jt, "lastUpdateAgoMsec", t->last_update_ago_msec);
	return jt;
}

static json_object *lsdb_json(const struct iplb_lsdb_status *l)
{
	json_object *jl = json_object_new_object();
	json_object *by_type = json_object_new_object();

	json_object_string_add(jl, "state", l->state);
	json_object_string_add(jl, "server", l->server);
	json_object_int_add(jl, "stateSinceSec", (int64_t)l->since_sec);
	json_object_string_add(jl, "stateSince", l->since);
	if (l->has_router_id)
		json_object_string_add(jl, "routerId", l->router_id);
	json_object_int_add(jl, "lsas", (int64_t)l->lsas);
	for (size_t t = 0; t < array_size(lsa_type_keys); t++)
		if (lsa_type_keys[t])
			json_object_int_add(by_type, lsa_type_keys[t],
					    (int64_t)l->lsas_by_type[t]);
	json_object_object_add(jl, "lsasByType", by_type);
	json_object_int_add(jl, "lsaUpdates", (int64_t)l->lsa_updates);
	json_object_int_add(jl, "lsaDeletes", (int64_t)l->lsa_deletes);
	json_object_int_add(jl, "malformed", (int64_t)l->malformed);
	json_object_int_add(jl, "truncated", (int64_t)l->truncated);
	json_object_int_add(jl, "ospfInterfaces", (int64_t)l->ospf_interfaces);
	json_object_int_add(jl, "ospfInterfacesUp",
			    (int64_t)l->ospf_interfaces_up);
	json_object_int_add(jl, "ospfNeighbours", (int64_t)l->ospf_neighbours);
	json_object_int_add(jl, "ospfNeighboursFull",
			    (int64_t)l->ospf_neighbours_full);
	json_object_int_add(jl, "ospfReachableRouters",
			    (int64_t)l->ospf_reachable_routers);
	json_object_int_add(jl, "syncs", (int64_t)l->syncs);
	json_object_int_add(jl, "disconnects", (int64_t)l->disconnects);
	json_object_int_add(jl, "connectAttempts",
			    (int64_t)l->connect_attempts);
	json_object_string_add(jl, "lastError", l->last_error);
	if (l->retry_in_msec >= 0)
		json_object_int_add(jl, "retryInMsec", l->retry_in_msec);
	return jl;
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
		vty_out(vty, "  Role:      %s\n", st.role);
		vty_out(vty, "  Uptime:    %s\n", st.uptime);
		vty_out(vty, "  Zebra:     %s\n",
			zebra ? "connected" : "not connected");
		show_lsdb_text(vty, &st.lsdb);
		show_topology_text(vty, &st.topology);
		show_table_text(vty, &st.table);
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
	json_object_object_add(jo, "lsdb", lsdb_json(&st.lsdb));
	json_object_object_add(jo, "topology", topology_json(&st.topology));
	json_object_object_add(jo, "table", table_json(&st.table));
	return vty_json(vty, jo);
}

/*
 * Debugging: `debug iplb lsdb|paths|dataplane`, in enable mode for this
 * session's terminal monitor and logs, in configuration mode also saved.
 */
static uint32_t iplb_debug_conf, iplb_debug_term;

static const struct {
	const char *name;
	uint32_t flag;
	const char *what;
} iplb_debug_categories[] = {
	{ "lsdb", IPLB_DEBUG_LSDB,
	  "LSAs received, topology rebuilds and changes" },
	{ "paths", IPLB_DEBUG_PATHS, "each destination's paths and route" },
	{ "dataplane", IPLB_DEBUG_DATAPLANE,
	  "each record written to or removed from the datapath" },
};

DEFPY(debug_iplb, debug_iplb_cmd,
      "[no$no] debug iplb <lsdb|paths|dataplane|all>$category",
      NO_STR DEBUG_STR IPLB_STR
      "LSAs received, topology rebuilds and changes\n"
      "Each destination's paths and route at each recompute\n"
      "Each record written to or removed from the datapath\n"
      "All of the above\n")
{
	uint32_t flags = 0;

	for (size_t i = 0; i < array_size(iplb_debug_categories); i++)
		if (strmatch(category, "all") ||
		    strmatch(category, iplb_debug_categories[i].name))
			flags |= iplb_debug_categories[i].flag;
	if (vty->node == CONFIG_NODE) {
		if (no)
			iplb_debug_conf &= ~flags;
		else
			iplb_debug_conf |= flags;
	}
	if (no)
		iplb_debug_term &= ~flags;
	else
		iplb_debug_term |= flags;
	iplb_core_set_debug(iplb_g.core, iplb_debug_conf | iplb_debug_term);
	return CMD_SUCCESS;
}

DEFUN_NOSH(show_debugging_iplb, show_debugging_iplb_cmd,
	   "show debugging [iplb]", SHOW_STR DEBUG_STR IPLB_STR)
{
	uint32_t flags = iplb_debug_conf | iplb_debug_term;

	vty_out(vty, "iplbd debugging status:\n");
	for (size_t i = 0; i < array_size(iplb_debug_categories); i++)
		if (flags & iplb_debug_categories[i].flag)
			vty_out(vty, "  iplb %s debugging is on (%s)\n",
				iplb_debug_categories[i].name,
				iplb_debug_categories[i].what);
	return CMD_SUCCESS;
}

static int iplb_debug_config_write(struct vty *vty)
{
	int written = 0;

	for (size_t i = 0; i < array_size(iplb_debug_categories); i++)
		if (iplb_debug_conf & iplb_debug_categories[i].flag) {
			vty_out(vty, "debug iplb %s\n",
				iplb_debug_categories[i].name);
			written++;
		}
	return written;
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
	install_element(IPLB_NODE, &iplb_datapath_backend_cmd);
	install_element(IPLB_NODE, &no_iplb_datapath_backend_cmd);
	install_element(IPLB_NODE, &iplb_datapath_interface_cmd);
	install_element(IPLB_NODE, &iplb_datapath_encap_cmd);
	install_element(IPLB_NODE, &iplb_datapath_mode_cmd);
	install_element(IPLB_NODE, &iplb_datapath_source_cmd);
	install_element(IPLB_NODE, &iplb_datapath_mtu_cmd);
	install_element(IPLB_NODE, &iplb_datapath_flow_idle_cmd);
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

	install_element(VIEW_NODE, &show_iplb_status_cmd);
}
