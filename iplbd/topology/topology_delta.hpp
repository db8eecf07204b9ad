// SPDX-License-Identifier: GPL-2.0-or-later
// What changed between two topology snapshots, by identity (router ids,
// network ids, prefixes) rather than vertex numbers, which are not stable
// across snapshots. Consumers use it to skip work when nothing that matters
// to them moved, and operators see it in `show iplb status`.
#pragma once

#include "topology/topology.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace iplb {

struct NodeRef {
	Ipv4 id;
	NodeKind kind = NodeKind::router;

	friend auto operator<=>(const NodeRef &, const NodeRef &) = default;
};

// A link that appeared (no before), went away (no after) or changed cost.
struct LinkChange {
	NodeRef from, to;
	std::optional<uint32_t> before, after;
};

// A (prefix, announcing router) pair that appeared, went away, or changed
// cost or kind.
struct PrefixChange {
	Ipv4Prefix prefix;
	Ipv4 router;
	std::optional<PrefixRoute> before, after; // vertex numbers of their own snapshot
};

struct TopologyDelta {
	std::vector<NodeRef> nodes_added;
	std::vector<NodeRef> nodes_removed;
	std::vector<Ipv4> relays_changed; // routers whose relay address moved
	std::vector<LinkChange> links;	  // sorted by (from, to)
	std::vector<PrefixChange> prefixes;

	bool empty() const
	{
		return nodes_added.empty() && nodes_removed.empty() && relays_changed.empty() &&
		       links.empty() && prefixes.empty();
	}
};

struct DeltaSummary {
	size_t nodes_added = 0, nodes_removed = 0, relays_changed = 0;
	size_t links_added = 0, links_removed = 0, links_changed = 0;
	size_t prefixes_added = 0, prefixes_removed = 0, prefixes_changed = 0;
};

TopologyDelta diff(const Topology &before, const Topology &after);
DeltaSummary summarize(const TopologyDelta &delta);
// One line, e.g. "+1 -0 nodes, +0 -1 ~2 links, +0 -0 ~0 prefixes".
std::string to_string(const DeltaSummary &summary);
// The changes themselves, one per line, at most `limit` of them (and a line
// saying how many more there were).
std::vector<std::string> describe(const TopologyDelta &delta, size_t limit);

} // namespace iplb
