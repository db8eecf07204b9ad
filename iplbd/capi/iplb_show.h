/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every `show iplb ...` command, rendered by the core (text, or JSON from
 * the same values): the glue prints what it gets. Each returns a malloc'd
 * string for the caller to free(), or NULL with the reason in errbuf. See
 * iplb_core.h for the contract.
 */
#ifndef IPLB_SHOW_H
#define IPLB_SHOW_H

#include "iplb_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What only the glue knows, for `show iplb status` and `show iplb vip`. */
struct iplb_glue_facts {
	const char *frr_version;
	bool zebra_connected;
};

char *iplb_show_status(const struct iplb_core *core, const struct iplb_glue_facts *glue, bool json,
		       char *errbuf, size_t errlen);
char *iplb_show_table(const struct iplb_core *core, bool json, char *errbuf, size_t errlen);
char *iplb_show_counters(const struct iplb_core *core, bool json, char *errbuf, size_t errlen);
/* `show iplb paths PREFIX`: NULL and the reason when PREFIX is not a
 * destination. */
enum iplb_paths_format { IPLB_PATHS_TEXT, IPLB_PATHS_JSON, IPLB_PATHS_DOT };
char *iplb_show_paths(const struct iplb_core *core, const char *prefix,
		      enum iplb_paths_format format, char *errbuf, size_t errlen);
/* The topology built from the LSDB (JSON: a topology file). */
char *iplb_show_topology(const struct iplb_core *core, bool json, char *errbuf, size_t errlen);
/* A mux's VIPs: advertised, and if not, why. */
char *iplb_show_vips(const struct iplb_core *core, const struct iplb_glue_facts *glue, bool json,
		     char *errbuf, size_t errlen);

/* The load balancer's controller on this node (`show iplb lb controller`). */
char *iplb_show_lb_controller(const struct iplb_core *core, bool json, char *errbuf,
			      size_t errlen);

/* `clear iplb counters`. */
void iplb_clear_counters(struct iplb_core *core);

#ifdef __cplusplus
}
#endif

#endif /* IPLB_SHOW_H */
