// SPDX-License-Identifier: GPL-2.0-or-later
// The controller's decisions as pure functions (no I/O, no clock: the caller
// passes `now`), so that a standby that takes over computes exactly what the
// leader would have from what etcd holds.
//
// A backend's state in the map:
//   down      the health check says down, or it was drained drain_timeout ago;
//             also a backend that has never served (not active in the
//             committed map) while its health check has not yet said up;
//   draining  drained by configuration, within its drain timeout: no new
//             buckets, its connections live on through the daisy chain;
//   active    otherwise: a backend that is serving keeps serving while its
//             health is unknown (a new leader, a new check), so that a
//             controller failover or a changed check never empties a VIP.
#pragma once

#include "lbcontrol/schema.hpp"

#include <map>
#include <optional>
#include <vector>

namespace iplb::lbcontrol {

// The status the leader should store: the observed health of each
// configured backend (a backend the checker has no opinion of yet keeps
// its stored health), drain_since set once the committed map has the
// backend draining (the drain timeout counts from when the muxes stopped
// giving it new connections, not from the operator's command, which may
// be held) and cleared when undrained; removed backends forgotten.
VipStatus next_status(const VipConfig &config, const VipStatus &stored,
		      const std::map<lb::Dip, Health> &observed,
		      const std::optional<MapVersion> &committed, uint32_t now);

// The pool the VIP's map should serve now (in DIP order).
std::vector<lb::Backend> effective_pool(const VipConfig &config, const VipStatus &status,
					const std::optional<MapVersion> &committed, uint32_t now);

// The earliest time after `now` at which effective_pool() changes by itself
// (a drain timeout running out), if any: the leader's next wake-up.
std::optional<uint32_t> next_deadline(const VipConfig &config, const VipStatus &status,
				      uint32_t now);

// Port mode: the VIP port each backend of `pool` announces, from the VIP's
// range: a backend keeps the port the committed version gave it (its clients'
// joins name it), a new one takes the lowest free. Empty in the other modes.
std::map<lb::Dip, uint16_t> mptcp_ports(const VipConfig &config,
					const std::vector<lb::Backend> &pool,
					const std::optional<MapVersion> &committed);

// The version that follows `committed` for `pool`, or nullopt when the
// committed version already serves it. A new VIP starts at generation 1.
// A pool change that moves no bucket still makes a new version (generation
// + 1), so that the stored pool always says what the map serves.
Result<std::optional<MapVersion>, Error> next_version(const VipConfig &config,
						      const std::vector<lb::Backend> &pool,
						      const std::optional<MapVersion> &committed,
						      uint32_t now);

// A change that moves a bucket a second time within the window (the VIP's
// drain timeout, which the backends' daisy timeout must not undercut)
// breaks the connections of the bucket's owner from two moves ago: the
// chain is one hop. Not counted: a bucket going back to its previous owner,
// and one whose previous owner is down or gone (nothing left to chain to).
// The time from which `next` moves no bucket that way, or nullopt when it is
// safe now.
std::optional<uint32_t> second_move_until(const MapVersion &committed, const MapVersion &next,
					  uint32_t window, uint32_t now);

// Whether the change cannot wait: a backend that serves in `committed` is
// down by its health check now (its connections are gone anyway, and new
// ones must not go to it).
bool urgent(const VipConfig &config, const VipStatus &status, const MapVersion &committed);

// Whether a backend that does not serve yet (not active in `committed`), and
// is not drained, still waits for its first health verdict. The next version
// waits for it, unless urgent: backends added together, whose checks
// conclude a moment apart, then come up in one version. One version per
// check would have each move buckets the one before had just moved, which
// the hold rule then keeps back for the drain timeout. A check concludes
// within rise (or fall) intervals, so the wait is bounded.
bool first_checks_pending(const VipConfig &config, const VipStatus &status,
			  const std::optional<MapVersion> &committed);

} // namespace iplb::lbcontrol
