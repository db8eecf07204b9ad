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

/* Everything `show iplb status` prints, taken at one instant. */
struct iplb_status {
	char version[32];
	char role[16];
	uint64_t uptime_sec;
	char uptime[32]; /* formatted like FRR's uptimes */
	struct iplb_lsdb_status lsdb;
	struct iplb_topology_status topology;
};

void iplb_core_status(const struct iplb_core *core, struct iplb_status *status);

#ifdef __cplusplus
}
#endif

#endif /* IPLB_CORE_H */
