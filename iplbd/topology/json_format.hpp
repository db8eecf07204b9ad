// SPDX-License-Identifier: GPL-2.0-or-later
// The topology file format (docs/TOPOLOGY-FORMAT.md):
//
//   {"routers":  [{"id": "10.0.0.1", "relay": "10.255.0.1"}],
//    "networks": [{"id": "10.9.0.1", "routers": ["10.0.0.1", "10.0.0.2"]}],
//    "links":    [{"from": "10.0.0.1", "to": "10.0.0.2", "cost": 10}],
//    "prefixes": [{"router": "10.0.0.2", "prefix": "10.4.1.0/24", "cost": 0,
//                  "kind": "stub"}]}
//
// Links are directed: a bidirectional link is two entries. "relay" defaults
// to the router id, "networks" and "kind" are optional.
#pragma once

#include "topology/topology.hpp"
#include "util/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace iplb {

// Errors name the line and column (syntax) or the element and field
// (content), e.g. "links[3].cost: 0 is not in 1-65535".
Result<TopologySnapshot, Error> parse_topology_json(std::string_view text);

// The largest topology file load_topology_file() reads: twice the largest
// fabric the generators make (`topology generate fattree --k 64`, 30.2 MB;
// the k=48 fat-tree of docs/BENCHMARKS.md, 27,648 hosts, is 12.7 MB). A
// larger input (/dev/zero, a wrong file) is refused, not read until memory
// runs out.
inline constexpr size_t max_topology_file_bytes = size_t{64} << 20;
Result<TopologySnapshot, Error> load_topology_file(const std::string &path);

// One element per line, in vertex order: stable across runs.
std::string topology_to_json(const Topology &topology);

} // namespace iplb
