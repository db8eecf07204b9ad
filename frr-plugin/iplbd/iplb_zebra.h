// SPDX-License-Identifier: GPL-2.0-or-later
/* iplbd's connection to zebra (routes of type iplb). */
#ifndef _IPLB_ZEBRA_H
#define _IPLB_ZEBRA_H

#include "thread.h"

void iplb_zebra_init(struct thread_master *master);
void iplb_zebra_terminate(void);
bool iplb_zebra_connected(void);

#endif /* _IPLB_ZEBRA_H */
