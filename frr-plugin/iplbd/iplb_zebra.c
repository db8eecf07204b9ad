// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iplbd's zclient. It registers as route type iplb; the load-balancer role
 * announces its VIPs through it (bgpd: redistribute iplb).
 */
#include <zebra.h>

#include "log.h"
#include "vrf.h"
#include "zclient.h"

#include "iplbd/iplbd.h"
#include "iplbd/iplb_zebra.h"

static struct zclient *zclient;

static void iplb_zebra_on_connect(struct zclient *zc)
{
	zlog_info("connected to zebra");
	zclient_send_reg_requests(zc, VRF_DEFAULT);
}

void iplb_zebra_init(struct thread_master *master)
{
	zclient = zclient_new(master, &zclient_options_default, NULL, 0);
	zclient->zebra_connected = iplb_zebra_on_connect;
	zclient_init(zclient, ZEBRA_ROUTE_IPLB, 0, &iplb_privs);
}

void iplb_zebra_terminate(void)
{
	if (!zclient)
		return;
	zclient_stop(zclient);
	zclient_free(zclient);
	zclient = NULL;
}

bool iplb_zebra_connected(void)
{
	/* zclient closes the socket and retries when zebra goes away. */
	return zclient && zclient->sock >= 0;
}
