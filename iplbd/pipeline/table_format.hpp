// SPDX-License-Identifier: GPL-2.0-or-later
// Tables and paths as operators read them (iplbctl, `show iplb table|paths`):
// one JSON schema for a route wherever it is shown, so that what iplbd
// installed compares with what iplbctl computes offline.
#pragma once

#include "pipeline/host_pipeline.hpp"
#include "table/route_spec.hpp"

#include <nlohmann/json.hpp>

#include <span>
#include <string>

namespace iplb {

// {"prefix", "encap", "mode", "mtu", "lists": [{"relays": [...], "weight"}]}
nlohmann::ordered_json route_json(const RouteSpec &route);
nlohmann::ordered_json table_json(std::span<const RouteSpec> routes);
// "PREFIX encap E mode M [mtu N] relay A,B [weight W] relay direct ..."
std::string route_text(const RouteSpec &route);

// One destination's k paths: cost, hops, the routers on the way, the relay
// plan and whether forwarding replayed on the graph follows the path.
std::string paths_text(const Topology &topology, const PrefixView &view, Metric metric);
nlohmann::ordered_json paths_json(const Topology &topology, const PrefixView &view, Metric metric);
// The same as a Graphviz digraph: the routers of the paths, each path's
// links, relays drawn as boxes.
std::string paths_dot(const Topology &topology, const PrefixView &view);

} // namespace iplb
