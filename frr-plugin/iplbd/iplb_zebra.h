// SPDX-License-Identifier: GPL-2.0-or-later
/* iplbd's connection to zebra (routes of type iplb). */
#ifndef _IPLB_ZEBRA_H
#define _IPLB_ZEBRA_H

#include "prefix.h"
#include "thread.h"

void iplb_zebra_init(struct thread_master *master);
void iplb_zebra_terminate(void);
bool iplb_zebra_connected(void);
/* Adds or deletes the route of a VIP; false if it could not be sent. */
bool iplb_zebra_vip_send(const struct prefix *p, bool announce);

#endif /* _IPLB_ZEBRA_H */
