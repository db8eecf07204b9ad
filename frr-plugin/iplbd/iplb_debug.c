// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iplbd's debug flags (see iplb_debug.h). Each change is handed to the
 * core as one set of categories: a flag on in either mode is on.
 */
#include <zebra.h>

#include "lib/command.h"
#include "lib/debug.h"

#include "iplbd/iplbd.h"
#include "iplbd/iplb_debug.h"

struct debug iplb_dbg_lsdb = { 0, "iplb LSDB feed and topology" };
struct debug iplb_dbg_paths = { 0, "iplb paths and routes" };
struct debug iplb_dbg_datapath = { 0, "iplb datapath writes" };

static const struct {
	const char *name;
	struct debug *debug;
	uint32_t category;
} iplb_debugs[] = {
	{ "lsdb", &iplb_dbg_lsdb, IPLB_DEBUG_LSDB },
	{ "paths", &iplb_dbg_paths, IPLB_DEBUG_PATHS },
	{ "datapath", &iplb_dbg_datapath, IPLB_DEBUG_DATAPATH },
};

static void iplb_debug_to_core(void)
{
	uint32_t categories = 0;

	for (size_t i = 0; i < array_size(iplb_debugs); i++)
		if (DEBUG_MODE_CHECK(iplb_debugs[i].debug, DEBUG_MODE_ALL))
			categories |= iplb_debugs[i].category;
	if (iplb_g.core)
		iplb_core_set_debug(iplb_g.core, categories);
}

void iplb_debug_set(int vtynode, bool onoff, const char *category)
{
	uint32_t mode = DEBUG_NODE2MODE(vtynode);

	for (size_t i = 0; i < array_size(iplb_debugs); i++)
		if (strmatch(category, "all") ||
		    strmatch(category, iplb_debugs[i].name))
			DEBUG_MODE_SET(iplb_debugs[i].debug, mode, onoff);
	iplb_debug_to_core();
}

int iplb_debug_write(struct vty *vty, bool config)
{
	uint32_t mode = config ? DEBUG_MODE_CONF : DEBUG_MODE_ALL;
	int written = 0;

	for (size_t i = 0; i < array_size(iplb_debugs); i++)
		if (DEBUG_MODE_CHECK(iplb_debugs[i].debug, mode)) {
			vty_out(vty, "debug iplb %s\n", iplb_debugs[i].name);
			written++;
		}
	return written;
}

/* `[no] debug all` */
static void iplb_debug_set_all(uint32_t flags, bool set)
{
	for (size_t i = 0; i < array_size(iplb_debugs); i++) {
		DEBUG_FLAGS_SET(iplb_debugs[i].debug, flags, set);
		if (!DEBUG_MODE_CHECK(iplb_debugs[i].debug, DEBUG_MODE_ALL))
			DEBUG_CLEAR(iplb_debugs[i].debug);
	}
	iplb_debug_to_core();
}

static struct debug_callbacks iplb_debug_callbacks = {
	.debug_set_all = iplb_debug_set_all,
};

void iplb_debug_init(void)
{
	debug_init(&iplb_debug_callbacks);
}
