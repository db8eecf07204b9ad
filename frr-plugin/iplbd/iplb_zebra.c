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
	/* A new zebra, or the same one after our session ended: it holds
	 * none of our routes. */
	iplb_core_zebra_connected(iplb_g.core);
}

/*
 * The other muxes announce the same VIP, so a mux also learns it over BGP
 * (eBGP: distance 20). zebra redistributes only the route it selects: with
 * the type's default distance (150) a VIP advertised again after a drain
 * would lose to the peers' route and never reach bgpd. Below eBGP, above
 * static routes, which still override it.
 */
#define IPLB_VIP_DISTANCE 10

/*
 * A VIP as a blackhole host route of type iplb: zebra installs it and
 * bgpd announces it (redistribute iplb); the datapath takes the packets
 * before the kernel's routing would drop them.
 */
bool iplb_zebra_vip_send(const struct prefix *p, bool announce)
{
	struct zapi_route api = {};
	struct zapi_nexthop *nh = &api.nexthops[0];

	if (!zclient)
		return false;
	api.vrf_id = VRF_DEFAULT;
	api.type = ZEBRA_ROUTE_IPLB;
	api.safi = SAFI_UNICAST;
	prefix_copy(&api.prefix, p);
	SET_FLAG(api.message, ZAPI_MESSAGE_NEXTHOP);
	SET_FLAG(api.message, ZAPI_MESSAGE_DISTANCE);
	api.distance = IPLB_VIP_DISTANCE;
	nh->vrf_id = VRF_DEFAULT;
	nh->type = NEXTHOP_TYPE_BLACKHOLE;
	nh->bh_type = BLACKHOLE_NULL;
	api.nexthop_num = 1;

	return zclient_route_send(announce ? ZEBRA_ROUTE_ADD
					   : ZEBRA_ROUTE_DELETE,
				  zclient, &api) != ZCLIENT_SEND_FAILURE;
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
