// SPDX-License-Identifier: GPL-2.0-or-later
// A table entry (table/route_spec.hpp) as the record the eBPF host program
// reads (kernel/iplb_host_layout.h), and back.
#pragma once

#include "table/route_spec.hpp"
#include "util/result.hpp"

#include "iplb_host_layout.h"

#include <cstdint>

namespace iplb {

// The record for route counters slot `id` (< IPLB_MAX_ROUTES); the entry
// is validated first (validate(const RouteSpec &)).
Result<iplb_route, Error> encode_route(const RouteSpec &spec, uint32_t id);
// And back, for `show`: what the kernel holds.
Result<RouteSpec, Error> decode_route(const IpPrefix &prefix, const iplb_route &record);

} // namespace iplb
