/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The core's configuration, as the northbound callbacks hand it over: the
 * role, the LSDB feed, and the host plane's paths, destinations and
 * datapath as one checked value. Every refusal leaves what runs unchanged
 * and, if errbuf is given, says why. See iplb_core.h for the contract.
 */
#ifndef IPLB_SETTINGS_H
#define IPLB_SETTINGS_H

#include "iplb_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Roles by their CLI/YANG name (host, mux, backend). */
bool iplb_core_check_role(const char *name, char *errbuf, size_t errlen);
bool iplb_core_set_role(struct iplb_core *core, const char *name, char *errbuf, size_t errlen);

/*
 * The LSDB feed: a session with ospfd's API server at address:port
 * (IPv4). Enabled, it connects, synchronises and follows the LSDB,
 * reconnecting with backoff; disabled, it closes the session and keeps
 * the last database. Setting the server reconnects if it changed.
 */
bool iplb_core_lsdb_set_server(struct iplb_core *core, const char *address, uint16_t port,
			       char *errbuf, size_t errlen);
void iplb_core_lsdb_enable(struct iplb_core *core, bool enable);

/*
 * The topology is rebuilt from the LSDB `delay_msec` after changes stop,
 * and at most `max_hold_msec` after the first change (delay <= max hold).
 */
bool iplb_core_set_debounce(struct iplb_core *core, uint32_t delay_msec, uint32_t max_hold_msec,
			    char *errbuf, size_t errlen);

/*
 * Paths, destinations and datapath, as one configuration built leaf by leaf
 * from the YANG tree (text as the leaves hold it; NULL or "" and 0: not
 * set). The first leaf that does not parse is the configuration's error.
 * iplb_settings_new() returns NULL if it cannot allocate.
 */
struct iplb_settings;
struct iplb_settings *iplb_settings_new(void);
void iplb_settings_free(struct iplb_settings *config);
void iplb_settings_path(struct iplb_settings *config, uint32_t k, const char *metric,
			const char *planner, uint32_t max_relays);
/* engine: none or bpf; instance: its pin directory's name ("": default). */
void iplb_settings_datapath(struct iplb_settings *config, const char *engine, const char *instance,
			    const char *encap, const char *mode, uint32_t mtu,
			    uint32_t flow_idle_msec);
void iplb_settings_datapath_source(struct iplb_settings *config, const char *address);
/* The namespace's TCP congestion control: none or iplb-lia. */
void iplb_settings_datapath_congestion(struct iplb_settings *config, const char *choice);
void iplb_settings_datapath_interface(struct iplb_settings *config, const char *ifname);
void iplb_settings_destination(struct iplb_settings *config, bool include, const char *prefix);
void iplb_settings_destination_prefix_list(struct iplb_settings *config, const char *name);
/* weights: "3,1", the prefix's lists in order. */
void iplb_settings_policy(struct iplb_settings *config, const char *prefix, uint32_t k,
			  const char *planner, const char *encap, const char *mode,
			  const char *weights);
/* A static route: its options, then one call per relay list ("A,B" or "direct"). */
void iplb_settings_static_options(struct iplb_settings *config, const char *prefix,
				  const char *encap, const char *mode);
void iplb_settings_static_list(struct iplb_settings *config, const char *prefix,
			       const char *relays);
/* Whether the configuration can run here; if not, why. */
/* The load balancer's control plane: this node's name in etcd (NULL or
 * "": the host name), the etcd key prefix (NULL: /iplb/lb/), whether it
 * runs the controller, the datapath instance its role's program is pinned
 * in (NULL or "": default); then etcd's endpoints and the interfaces the
 * role's program attaches to, one call each, in order. */
void iplb_settings_lb(struct iplb_settings *config, const char *name, const char *prefix,
		      bool controller, const char *instance);
void iplb_settings_lb_endpoint(struct iplb_settings *config, const char *url);
void iplb_settings_lb_interface(struct iplb_settings *config, const char *ifname);
/* Role mux: tunnels to the FIB's next hop toward the backend (true), or back
 * to the router the packet came from (false, the default). */
void iplb_settings_lb_fib_lookup(struct iplb_settings *config, bool fib_lookup);
/* Where MPTCP tokens are shared: one Redis endpoint (HOST:PORT) per call,
 * in order. */
void iplb_settings_lb_redis_endpoint(struct iplb_settings *config, const char *endpoint);

bool iplb_settings_check(const struct iplb_settings *config, char *errbuf, size_t errlen);
/*
 * Applies it: the table is recomputed and the datapath brought to it. False
 * when it was refused (nothing changed) or the datapath could not be brought
 * up (the configuration is kept and shown; errbuf says why).
 */
bool iplb_core_configure(struct iplb_core *core, const struct iplb_settings *config, char *errbuf,
			 size_t errlen);

/* A prefix-list was added, changed or deleted: destinations are selected again. */
void iplb_core_prefix_lists_changed(struct iplb_core *core);

#ifdef __cplusplus
}
#endif

#endif /* IPLB_SETTINGS_H */
