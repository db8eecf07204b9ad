/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The C interface between iplbd's FRR glue (C) and the iplb core (C++20):
 * the core's life, its event-loop callbacks and its debug flags. Split by
 * concern: iplb_settings.h (configuration), iplb_show.h (every show
 * command), iplb_mux.h (the mux role's VIPs).
 *
 * No FRR type crosses it, and no C++ exception leaves any of its functions:
 * a failure inside the core is logged (ops->log) and answered as the
 * function documents (false, NULL, or nothing done), and the daemon goes on.
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
	/* Optional: the datapath's work (bpf(), bpffs, TCX links) needs
	 * privileges the daemon otherwise drops; held between the two calls. */
	void (*raise_privileges)(void *ctx);
	void (*lower_privileges)(void *ctx);
	/* Optional: whether the prefix-list `name` permits address/length
	 * (host order); true when no such list exists. */
	bool (*prefix_list_permits)(void *ctx, const char *name, uint32_t address, uint8_t length);
	/* Optional (a mux needs it): send a VIP's route ("A.B.C.D/32" or
	 * "X:X::X/128") to zebra, or withdraw it; false if it could not be
	 * sent (no zebra session). */
	bool (*announce_vip)(void *ctx, const char *prefix, bool announce);
};

/* One core per daemon; NULL if it cannot be made. ops is copied. */
struct iplb_core *iplb_core_new(const struct iplb_io_ops *ops);
void iplb_core_free(struct iplb_core *core);

void iplb_core_on_io(struct iplb_core *core, int fd, bool readable, bool writable);
void iplb_core_on_timer(struct iplb_core *core);

/*
 * Where the daemon keeps its state (FRR's run directory, e.g.
 * /var/run/frr/<pathspace>): the record of the datapath instances it opened
 * (iplbd.datapath), read by the next iplbd. Before any configuration.
 */
void iplb_core_set_state_dir(struct iplb_core *core, const char *dir);
/*
 * The startup configuration is loaded (FRR's end of configuration): a
 * datapath instance a previous iplbd opened and this configuration does not
 * name is released (detached, its table left pinned). Idempotent.
 */
void iplb_core_config_loaded(struct iplb_core *core);

/* A zebra session began: it holds none of our routes (VIPs go again). */
void iplb_core_zebra_connected(struct iplb_core *core);

/* The iplb release, e.g. "0.1.0". */
const char *iplb_core_version(void);

/* `debug iplb lsdb|paths|datapath`: which debug messages the core logs. */
#define IPLB_DEBUG_LSDB 0x1u
#define IPLB_DEBUG_PATHS 0x2u
#define IPLB_DEBUG_DATAPATH 0x4u
void iplb_core_set_debug(struct iplb_core *core, uint32_t categories);

#ifdef __cplusplus
}
#endif

#endif /* IPLB_CORE_H */
