// SPDX-License-Identifier: GPL-2.0-or-later
/* iplbd's YANG module (frr-iplbd) and its northbound callbacks. */
#ifndef _IPLB_NB_H
#define _IPLB_NB_H

#include "northbound.h"

extern const struct frr_yang_module_info frr_iplbd_info;

/* Configuration callbacks, iplb_nb_config.c */
int iplb_create(struct nb_cb_create_args *args);
int iplb_destroy(struct nb_cb_destroy_args *args);
void iplb_apply_finish(struct nb_cb_apply_finish_args *args);
int iplb_role_modify(struct nb_cb_modify_args *args);
int iplb_lsdb_api_server_address_modify(struct nb_cb_modify_args *args);
int iplb_lsdb_api_server_port_modify(struct nb_cb_modify_args *args);
int iplb_lsdb_debounce_delay_modify(struct nb_cb_modify_args *args);
int iplb_lsdb_debounce_max_hold_modify(struct nb_cb_modify_args *args);
int iplb_pre_validate(struct nb_cb_pre_validate_args *args);
int iplb_applied_at_finish_modify(struct nb_cb_modify_args *args);
int iplb_applied_at_finish_create(struct nb_cb_create_args *args);
int iplb_applied_at_finish_destroy(struct nb_cb_destroy_args *args);
int iplb_applied_at_finish_move(struct nb_cb_move_args *args);

/* VIPs of a mux, iplb_vip.c */
int iplb_vip_create(struct nb_cb_create_args *args);
int iplb_vip_destroy(struct nb_cb_destroy_args *args);
int iplb_vip_drain_modify(struct nb_cb_modify_args *args);

#define IPLB_XPATH "/frr-iplbd:iplb"

#endif /* _IPLB_NB_H */
