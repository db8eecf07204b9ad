/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The narrow C interface between iplbd's FRR glue (C) and the iplb core
 * (C++20). No FRR type crosses it and no C++ exception leaves it, so the
 * glue stays in FRR's C and the core stays testable without FRR.
 */
#ifndef IPLB_CORE_H
#define IPLB_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iplb_core;

/*
 * The core does non-blocking I/O through the daemon's event loop: it says
 * which descriptors it wants to hear about and when it wants a timer, and
 * the daemon calls iplb_core_on_io() / iplb_core_on_timer() back.
 */
struct iplb_io_ops {
	void *ctx;
	/* Replace the interest in fd; both false: stop watching it. */
	void (*watch)(void *ctx, int fd, bool read, bool write);
	/* One timer: arming replaces the previous one. */
	void (*arm_timer)(void *ctx, uint32_t msec);
	void (*cancel_timer)(void *ctx);
	/* Optional: the core's log messages; level 0 error .. 3 debug. */
	void (*log)(void *ctx, int level, const char *message);
	/* Optional: the datapath became healthy or stopped being so (see
	 * iplb_core_datapath_healthy()); a mux re-evaluates its VIPs. */
	void (*datapath_changed)(void *ctx, bool healthy);
	/* Optional: the datapath's work (bpf(), bpffs, TCX links) needs
	 * privileges the daemon otherwise drops; held between the two calls. */
	void (*raise_privileges)(void *ctx);
	void (*lower_privileges)(void *ctx);
	/* Optional: whether the prefix-list `name` permits address/length
	 * (host order); true when no such list exists. */
	bool (*prefix_list_permits)(void *ctx, const char *name, uint32_t address, uint8_t length);
};

/* One core per daemon; NULL if it cannot be allocated. ops is copied. */
struct iplb_core *iplb_core_new(const struct iplb_io_ops *ops);
void iplb_core_free(struct iplb_core *core);

void iplb_core_on_io(struct iplb_core *core, int fd, bool readable, bool writable);
void iplb_core_on_timer(struct iplb_core *core);

/* The iplb release, e.g. "0.1.0". */
const char *iplb_core_version(void);

/*
 * Roles by their CLI/YANG name (host, mux, backend). An unknown name is
 * refused with false and, if errbuf is given, a message for the operator;
 * the role is then unchanged.
 */
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
 * Whether the local datapath can carry traffic: attached to every
 * interface it is configured for. True when none is configured. A mux
 * announces its VIPs only while this holds.
 */
bool iplb_core_datapath_healthy(const struct iplb_core *core);

/*
 * Paths, destinations and datapath, as one configuration built leaf by leaf
 * from the YANG tree (text as the leaves hold it; NULL or "" and 0: not
 * set). The first leaf that does not parse is the configuration's error.
 */
struct iplb_settings;
struct iplb_settings *iplb_settings_new(void);
void iplb_settings_free(struct iplb_settings *config);
void iplb_settings_path(struct iplb_settings *config, uint32_t k, const char *metric,
			const char *planner, uint32_t max_relays);
/* backend: none or bpf; instance: its pin directory's name ("": default). */
void iplb_settings_datapath(struct iplb_settings *config, const char *backend, const char *instance,
			    const char *encap, const char *mode, uint32_t mtu,
			    uint32_t flow_idle_msec);
void iplb_settings_datapath_source(struct iplb_settings *config, const char *address);
void iplb_settings_datapath_interface(struct iplb_settings *config, const char *ifname);
void iplb_settings_destination(struct iplb_settings *config, bool include, const char *prefix);
void iplb_settings_destination_prefix_list(struct iplb_settings *config, const char *name);
/* A prefix-list was added, changed or deleted: destinations are selected again. */
void iplb_core_prefix_lists_changed(struct iplb_core *core);
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
bool iplb_settings_check(const struct iplb_settings *config, char *errbuf, size_t errlen);
/*
 * Applies it: the table is recomputed and the datapath brought to it. False
 * when it was refused (nothing changed) or the datapath could not be brought
 * up (the configuration is kept and shown; errbuf says why).
 */
bool iplb_core_configure(struct iplb_core *core, const struct iplb_settings *config, char *errbuf,
			 size_t errlen);

/* `debug iplb lsdb|paths|dataplane`: which debug messages the core logs. */
#define IPLB_DEBUG_LSDB 0x1u
#define IPLB_DEBUG_PATHS 0x2u
#define IPLB_DEBUG_DATAPLANE 0x4u
void iplb_core_set_debug(struct iplb_core *core, uint32_t categories);

/* `show iplb table`, `show iplb counters`: free() the text. */
char *iplb_core_table_text(const struct iplb_core *core);
char *iplb_core_table_json(const struct iplb_core *core);
char *iplb_core_counters_text(const struct iplb_core *core);
char *iplb_core_counters_json(const struct iplb_core *core);
void iplb_core_clear_counters(struct iplb_core *core);
/* `show iplb paths PREFIX`; format: 0 text, 1 JSON, 2 Graphviz. NULL and
 * errbuf filled when PREFIX is not a destination. */
char *iplb_core_paths(const struct iplb_core *core, const char *prefix, int format, char *errbuf,
		      size_t errlen);

/* The current topology for `show iplb topology [json]`; free() the text. */
char *iplb_core_topology_text(const struct iplb_core *core);
char *iplb_core_topology_json(const struct iplb_core *core);

/* The LSDB feed as `show iplb status` prints it. */
struct iplb_lsdb_status {
	char state[16];	 /* idle, connecting, syncing, established, backoff */
	char server[24]; /* A.B.C.D:port */
	char since[32];	 /* time in this state, formatted like FRR's uptimes */
	uint64_t since_sec;
	bool has_router_id;
	char router_id[16];
	char last_error[128];  /* why the last session ended; empty if none */
	int64_t retry_in_msec; /* in backoff; -1 otherwise */
	uint64_t lsas;
	uint64_t lsas_by_type[12]; /* index: LSA type 1..11 */
	uint64_t connect_attempts;
	uint64_t syncs;
	uint64_t disconnects;
	uint64_t lsa_updates;
	uint64_t lsa_deletes;
	uint64_t malformed;
	uint64_t truncated;
	/* ospfd's own view, as it reports it over the API */
	uint64_t ospf_interfaces;
	uint64_t ospf_interfaces_up; /* not Down */
	uint64_t ospf_neighbours;
	uint64_t ospf_neighbours_full;
	uint64_t ospf_reachable_routers; /* by ospfd's SPF */
};

/* What the last new snapshot changed: nodes are routers and transit networks;
 * a relay change is a router whose relay address moved. */
struct iplb_topology_change {
	uint64_t nodes_added, nodes_removed, relays_changed;
	uint64_t links_added, links_removed, links_changed;
	uint64_t prefixes_added, prefixes_removed, prefixes_changed;
};

/* The topology built from the LSDB. */
struct iplb_topology_status {
	uint64_t routers;
	uint64_t networks;
	uint64_t links;
	uint64_t prefixes;
	uint64_t one_way;   /* links dropped by the two-way check */
	uint64_t ignored;   /* LSAs and links not used */
	uint64_t malformed; /* LSAs that did not parse */
	uint64_t rebuilds;
	uint64_t rebuilds_unchanged; /* changes that left the content as it was */
	uint64_t rebuild_errors;
	uint64_t last_rebuild_usec;
	uint64_t max_rebuild_usec;
	int64_t last_rebuild_ago_msec; /* -1: never */
	bool rebuild_pending;
	uint32_t debounce_delay_msec;
	uint32_t debounce_max_hold_msec;
	/* New snapshots handed to the path engine: rebuilds whose graph differed. */
	uint64_t snapshots;
	uint64_t same_topology;	      /* rebuilds of a changed LSDB, same graph */
	int64_t last_change_ago_msec; /* -1: never */
	struct iplb_topology_change last_change;
};

/* The table and the datapath. */
struct iplb_table_status {
	uint64_t destinations;
	bool has_source;
	char source[16]; /* our router id */
	bool datapath_configured;
	bool datapath_open;
	bool healthy;
	char instance[72];
	char attached[256]; /* interfaces, space-separated */
	char datapath_error[160];
	uint64_t recomputes;
	uint64_t routes_written;
	uint64_t routes_removed;
	uint64_t without_changes;
	uint64_t errors;
	uint64_t last_compute_usec;
	uint64_t max_compute_usec;
	/* From the first LSDB change to the table updated. */
	uint64_t updates;
	int64_t last_update_msec; /* -1: none yet */
	int64_t max_update_msec;
	int64_t last_update_ago_msec;
};

/* Everything `show iplb status` prints, taken at one instant. */
struct iplb_status {
	char version[32];
	char role[16];
	uint64_t uptime_sec;
	char uptime[32]; /* formatted like FRR's uptimes */
	struct iplb_lsdb_status lsdb;
	struct iplb_topology_status topology;
	struct iplb_table_status table;
};

void iplb_core_status(const struct iplb_core *core, struct iplb_status *status);

#ifdef __cplusplus
}
#endif

#endif /* IPLB_CORE_H */
