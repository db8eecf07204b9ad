// SPDX-License-Identifier: GPL-2.0-or-later
// A topology as `show iplb topology` prints it for a person; the same data
// as topology_to_json(), which `show iplb topology json` prints.
#pragma once

#include "topology/topology.hpp"

#include <string>

namespace iplb {

std::string topology_to_text(const Topology &topology);

} // namespace iplb
