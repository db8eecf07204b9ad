// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VIPs of a mux: configured through frr-iplbd (list vip), announced to
 * zebra as routes of type iplb while they should be.
 */
#ifndef _IPLB_VIP_H
#define _IPLB_VIP_H

#include "prefix.h"

/* A VIP as `show iplb vip` reports it. */
struct iplb_vip_info {
	const struct prefix *prefix;
	bool drain;
	bool advertised;
	/* Why it is not advertised; NULL when it is. */
	const char *reason;
};

/* Re-evaluates every VIP: the role or the datapath's health changed. */
void iplb_vip_evaluate_all(void);

/* 'no router iplb': withdraws and forgets every VIP. */
void iplb_vip_remove_all(void);

/* zebra (re)connected: announces again every VIP that should be. */
void iplb_vip_zebra_connected(void);

/* Calls cb for each VIP, in prefix order. */
void iplb_vip_walk(void (*cb)(const struct iplb_vip_info *info, void *arg),
		   void *arg);

/* At exit: frees the table (zebra drops a departed client's routes). */
void iplb_vip_terminate(void);

#endif /* _IPLB_VIP_H */
