// SPDX-License-Identifier: GPL-2.0-or-later
// A Topology seen as iplb-sim's network: its directed links numbered for the
// flow model, and its hosts.
#pragma once

#include "flow_model.hpp"
#include "topology/topology.hpp"
#include "util/result.hpp"

#include <optional>
#include <utility>
#include <vector>

namespace iplb::sim {

using Vertex = Topology::Vertex;

// Every directed edge of the topology is a link; ids follow the order of
// the source vertex, then of its out-edges.
class LinkIndex {
public:
	explicit LinkIndex(const Topology &topology);

	size_t size() const { return ends_.size(); }
	const std::pair<Vertex, Vertex> &ends(LinkId link) const { return ends_[link]; }
	std::optional<LinkId> find(Vertex from, Vertex to) const;
	// The links along a vertex sequence; an error if it has fewer than two
	// vertices or two consecutive vertices are not linked.
	Result<LinkPath, Error> links_of(const std::vector<Vertex> &vertices) const;

private:
	std::vector<size_t> first_; // by vertex: its first link id; one past the end last
	std::vector<std::pair<Vertex, Vertex>> ends_;
};

// The hosts: routers on a single uplink (they cannot be transit), in vertex
// (router id) order.
std::vector<Vertex> hosts_of(const Topology &topology);

} // namespace iplb::sim
