// SPDX-License-Identifier: GPL-2.0-or-later
/* iplbd's CLI: configuration (router iplb) and show commands. */
#ifndef _IPLB_VTY_H
#define _IPLB_VTY_H

#include "northbound_cli.h"

void iplb_vty_init(void);

/* show running-config, one function per YANG node (iplb_nb.c) */
void cli_show_router_iplb(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults);
void cli_show_router_iplb_end(struct vty *vty, const struct lyd_node *dnode);
void cli_show_iplb_role(struct vty *vty, const struct lyd_node *dnode,
			bool show_defaults);
void cli_show_iplb_lsdb(struct vty *vty, const struct lyd_node *dnode,
			bool show_defaults);
void cli_show_iplb_lsdb_debounce(struct vty *vty, const struct lyd_node *dnode,
				 bool show_defaults);
void cli_show_iplb_leaf(struct vty *vty, const struct lyd_node *dnode,
			bool show_defaults);
void cli_show_iplb_datapath_engine(struct vty *vty,
				    const struct lyd_node *dnode,
				    bool show_defaults);
void cli_show_iplb_datapath_instance(struct vty *vty,
				    const struct lyd_node *dnode,
				    bool show_defaults);
void cli_show_iplb_datapath_source(struct vty *vty,
				   const struct lyd_node *dnode,
				   bool show_defaults);
void cli_show_iplb_prefix(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults);
void cli_show_iplb_static_route(struct vty *vty, const struct lyd_node *dnode,
				bool show_defaults);
void cli_show_iplb_lb(struct vty *vty, const struct lyd_node *dnode,
		      bool show_defaults);
void cli_show_iplb_vip(struct vty *vty, const struct lyd_node *dnode,
		       bool show_defaults);

#endif /* _IPLB_VTY_H */
