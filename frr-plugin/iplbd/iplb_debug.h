// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iplbd's debug flags through FRR's lib/debug.h: `[no] debug iplb
 * lsdb|paths|datapath|all` (also `debug all`), saved in configuration mode,
 * listed by `show debugging`. The core logs what they turn on.
 */
#ifndef _IPLB_DEBUG_H
#define _IPLB_DEBUG_H

#include "lib/debug.h"
#include "vty.h"

extern struct debug iplb_dbg_lsdb;
extern struct debug iplb_dbg_paths;
extern struct debug iplb_dbg_datapath;

void iplb_debug_init(void);

/* `debug iplb ...` from a vty at `vtynode`; all: every flag. */
void iplb_debug_set(int vtynode, bool onoff, const char *category);

/* The `debug iplb ...` lines of what is on: in configuration mode (config)
 * or at all. */
int iplb_debug_write(struct vty *vty, bool config);

#endif /* _IPLB_DEBUG_H */
