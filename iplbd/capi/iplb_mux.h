/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mux role's VIPs. The core keeps them and decides, for each, whether
 * its route of type iplb belongs in zebra (role mux, not drained, datapath
 * healthy); it sends and withdraws them through ops->announce_vip. VIPs
 * are written as text, "A.B.C.D/32" or "X:X::X/128". See iplb_core.h for
 * the contract.
 */
#ifndef IPLB_MUX_H
#define IPLB_MUX_H

#include "iplb_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether `prefix` can be a VIP: an IPv4 /32 or an IPv6 /128. */
bool iplb_mux_check_vip(const char *prefix, char *errbuf, size_t errlen);
/* Adds the VIP, or changes whether it is drained. */
bool iplb_mux_vip_set(struct iplb_core *core, const char *prefix, bool drain, char *errbuf,
		      size_t errlen);
void iplb_mux_vip_remove(struct iplb_core *core, const char *prefix);
/* `no router iplb`: withdraws and forgets every VIP; `why` is logged. */
void iplb_mux_vip_remove_all(struct iplb_core *core, const char *why);
/* Whether the VIP's route is in zebra now. */
bool iplb_mux_vip_advertised(const struct iplb_core *core, const char *prefix);

#ifdef __cplusplus
}
#endif

#endif /* IPLB_MUX_H */
