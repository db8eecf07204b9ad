// SPDX-License-Identifier: GPL-2.0-or-later
// Routing schemes of iplb-sim: the route each subflow of a connection takes.
//
//  shortest  one shortest path (the path engine's first), every subflow on
//            it: single-path TCP.
//  ecmp      switch ECMP: each subflow walks from its source, choosing at
//            every router uniformly at random among the next hops of the
//            equal-cost shortest paths (per-hop hashing of the 5-tuple).
//  kN        iplb: the first N of the path engine's k shortest loopless
//            paths, each with the relay list of a planner (tree or exact);
//            a subflow is mapped to one path in turn (as iplbd's default
//            mode round-robin) or by a hash of the subflow (uniform at
//            random, as modes hash and weighted).
//            The subflow then goes where forwarding takes a packet with
//            that relay list, which is the planned path only if the list
//            pins it (forward_relays).
#pragma once

#include "network.hpp"
#include "paths/ecmp.hpp"
#include "paths/path.hpp"
#include "paths/relay_planner.hpp"
#include "random.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iplb::sim {

struct Scheme {
	enum class Kind { shortest, ecmp, kpaths };
	Kind kind = Kind::shortest;
	unsigned k = 1; // kpaths only

	friend bool operator==(const Scheme &, const Scheme &) = default;
};

// "shortest", "ecmp", "k2".."k<k_max>".
Result<Scheme, Error> parse_scheme(std::string_view text, unsigned k_max);
std::string to_string(const Scheme &scheme);

enum class Mapping { hash, round_robin };
Result<Mapping, Error> parse_mapping(std::string_view text);
std::string_view to_string(Mapping mapping);

// Per-hop ECMP from `from` to `to`: at each router one of the next hops of
// OSPF's equal-cost shortest paths (the cost tree of `to`), drawn from rng.
// Empty if `to` is unreachable.
std::vector<Vertex> ecmp_walk(const Topology &topology, CostTreeCache &trees, Vertex from,
			      Vertex to, Rng &rng);

// Where forwarding takes a subflow whose packets carry a relay list: shortest
// paths from the source to the first relay, from relay to relay, and from
// the last relay to the destination, joined. While a packet is
// encapsulated its outer header (iplb's common tunnel source, the relay) is
// the same for every flow, so a switch's ECMP hash sends all of them the
// same way: that segment is one deterministic shortest path, a switch's
// choice being a hash of (switch_salt, switch, relay). The last segment
// carries the inner 5-tuple and is hashed per subflow (an ecmp_walk with
// rng). Empty if a segment is unreachable.
std::vector<Vertex> forward_relays(const Topology &topology, CostTreeCache &trees, Vertex source,
				   std::span<const Vertex> relays, Vertex target,
				   uint64_t switch_salt, Rng &rng);

// The k-path scheme of one connection, planned once: its paths and the
// relay list of each for the first 1..k_max of them, by planner.
class ConnectionPlans {
public:
	// paths: the path engine's paths from source to target (at most k_max).
	ConnectionPlans(const Topology &topology, CostTreeCache &trees, std::vector<Path> paths,
			Planner planner);

	const std::vector<Path> &paths() const { return paths_; }
	// The relay lists when the first k paths are used (k is cut to the
	// number of paths); the tree planner's lists depend on k.
	const std::vector<RelayPlan> &plans(unsigned k) const;

private:
	std::vector<Path> paths_;
	std::vector<std::vector<RelayPlan>> by_k_; // [k - 1]
};

// Which of m paths a subflow takes: by its hash, or (round-robin) by its
// turn, the route's turn counter when the subflow opened, as the datapath's
// mode round-robin: a connection's subflows have consecutive turns.
size_t map_subflow(Mapping mapping, uint64_t subflow_hash, uint64_t turn, size_t m);

} // namespace iplb::sim
