// SPDX-License-Identifier: GPL-2.0-or-later
/* The core's non-blocking I/O on FRR's thread master. */
#ifndef _IPLB_IO_H
#define _IPLB_IO_H

#include "thread.h"

#include "iplbd/iplb_core.h"

/* Callbacks for iplb_core_new(); events go to the core set below. */
const struct iplb_io_ops *iplb_io_init(struct thread_master *master);
void iplb_io_set_core(struct iplb_core *core);
void iplb_io_terminate(void);

#endif /* _IPLB_IO_H */
