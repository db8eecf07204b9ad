// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iplbd: the iplb daemon's FRR glue. The algorithms live in the C++ core
 * (iplbd/ in the iplb repository), reached through iplb_core.h.
 */
#ifndef _IPLBD_H
#define _IPLBD_H

#include "thread.h"
#include "privs.h"

#include "iplbd/iplb_core.h"

/* TCP port of iplbd's vty (FRR's daemons use 2601-2622). */
#define IPLB_VTY_PORT 2630

struct iplb_globals {
	struct thread_master *master;
	struct iplb_core *core;
	/* -N: the default datapath instance; NULL without one. */
	const char *pathspace;
};

extern struct iplb_globals iplb_g;
extern struct zebra_privs_t iplb_privs;

#endif /* _IPLBD_H */
