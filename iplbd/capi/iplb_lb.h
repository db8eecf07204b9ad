/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The load balancer's pools, which live in etcd (docs/LB.md, "Configuring
 * pools"): vtysh's `lb vip ...` commands edit them through these calls,
 * which block for at most about two seconds (etcd unreachable), and the
 * `show iplb lb` commands read them. See iplb_core.h for the contract.
 */
#ifndef IPLB_LB_H
#define IPLB_LB_H

#include "iplb_core.h"

#ifdef __cplusplus
extern "C" {
#endif

enum iplb_lb_edit_op {
	IPLB_LB_VIP_ADD,
	IPLB_LB_VIP_REMOVE,
	IPLB_LB_BACKEND_SET,
	IPLB_LB_BACKEND_REMOVE,
	IPLB_LB_HEALTH_CHECK_SET,
	IPLB_LB_HEALTH_CHECK_REMOVE,
	IPLB_LB_DRAIN_TIMEOUT_SET,
	IPLB_LB_MPTCP_SET,
};

/* A VIP service: its address, port (0: every port) and "tcp" or "udp"
 * (NULL: tcp). */
struct iplb_lb_vip {
	const char *address;
	uint16_t port;
	const char *protocol;
};

struct iplb_lb_edit {
	enum iplb_lb_edit_op op;
	struct iplb_lb_vip vip;
	uint32_t buckets;	    /* VIP_ADD; 0: the default */
	const char *backend;	    /* BACKEND_SET, BACKEND_REMOVE */
	int64_t weight;		    /* BACKEND_SET; -1: unchanged (new: 1) */
	int drain;		    /* BACKEND_SET; -1: unchanged (new: 0) */
	const char *check;	    /* HEALTH_CHECK_SET: "tcp" or "http" */
	uint16_t check_port;	    /* 0: the VIP's */
	const char *check_path;	    /* NULL: "/" */
	uint32_t check_interval_ms; /* 0: 2000 */
	uint32_t check_timeout_ms;  /* 0: 1000 */
	uint32_t check_rise;	    /* 0: 3 */
	uint32_t check_fall;	    /* 0: 3 */
	uint32_t drain_timeout;	    /* DRAIN_TIMEOUT_SET, seconds */
	const char *mptcp;	    /* MPTCP_SET: "none", "token", "port" or
				       "direct" */
	uint16_t mptcp_first_port;  /* MPTCP_SET "port": the first of the
				       backends' ports; 0: the one set before */
};

/* Applies the edit to etcd's copy, or refuses it with the reason (and
 * nothing changes). */
bool iplb_lb_apply_edit(struct iplb_core *core, const struct iplb_lb_edit *edit, char *errbuf,
			size_t errlen);

/* `show iplb lb [vip ...] [json]` (vip NULL: every VIP) and `show iplb lb
 * buckets VIP [json]`, read from etcd now. A malloc'd string, or NULL and
 * why. */
char *iplb_show_lb(const struct iplb_core *core, const struct iplb_lb_vip *vip, bool json,
		   char *errbuf, size_t errlen);
char *iplb_show_lb_buckets(const struct iplb_core *core, const struct iplb_lb_vip *vip, bool json,
			   char *errbuf, size_t errlen);

/* `show iplb lb mux [json]`: this node's mux agent and program. */
char *iplb_show_lb_mux(const struct iplb_core *core, bool json, char *errbuf, size_t errlen);
/* `show iplb lb mptcp [json]`: the MPTCP token mirror (role mux) or agent
 * (role backend), Redis, the token map. */
char *iplb_show_lb_mptcp(const struct iplb_core *core, bool json, char *errbuf, size_t errlen);
/* `show iplb lb backend [json]`: this node's backend agent and program. */
char *iplb_show_lb_backend(const struct iplb_core *core, bool json, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* IPLB_LB_H */
