// SPDX-License-Identifier: GPL-2.0-or-later
// The seed paper's throughput experiment, one graph and traffic instance per
// seed: every host opens one MPTCP connection (a random permutation), each
// routing scheme routes its subflows, the flow model gives the rates, and a
// scheme's total is normalised to shortest-path routing's on the same
// instance. Also the distribution of relay-list lengths.
//
// Seeds: instance s uses the Jellyfish generator's seed s (a fat-tree does
// not vary) and streams derived from s for the traffic, the subflows'
// hashes and the switches' ECMP hashes; the same options give the same
// numbers on every machine.
#pragma once

#include "relay_stats.hpp"
#include "routing.hpp"
#include "topology/topology.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace iplb::sim {

enum class TopologyKind { jellyfish, fattree };

struct ExperimentOptions {
	TopologyKind kind = TopologyKind::jellyfish;
	unsigned ports = 8; // per switch; a fat-tree's k
	unsigned switches = 80;
	unsigned hosts = 128;
	unsigned seeds = 10;
	uint64_t first_seed = 1;
	unsigned subflows = 8;
	unsigned k_max = 8; // paths computed per pair; kN needs N <= k_max
	std::vector<Planner> planners{Planner::tree, Planner::exact};
	// Compared with shortest, which is always run (the reference).
	std::vector<Scheme> schemes;
	Mapping mapping = Mapping::round_robin; // iplbd's default, mode round-robin
	bool throughput = true;
	bool relay_cdf = true;
	// Ordered host pairs sampled per instance for the relay counts (k_max
	// paths each); 0 or more than there are: all pairs.
	size_t cdf_pairs = 2000;
};

// Jellyfish sized like a 3-level fat-tree of p-port switches: 5p^2/4
// switches, p^3/4 hosts (4: 20/16, 6: 45/54, 8: 80/128, 12: 180/432).
unsigned fat_tree_switches(unsigned ports);
unsigned fat_tree_hosts(unsigned ports);

struct InstanceResult {
	uint64_t seed = 0;
	size_t connections = 0;
	double shortest_total = 0;		 // sum of connection rates
	std::vector<std::vector<double>> totals; // [planner][scheme]
	// k-path subflows that forwarding took off their planned path.
	std::vector<uint64_t> diverted;	    // [planner]
	uint64_t kpath_subflows = 0;	    // per planner
	std::vector<RelayHistogram> relays; // [planner]
	size_t relay_pairs = 0;		    // host pairs counted
	double seconds = 0;		    // CPU time of the instance
};

struct ExperimentResult {
	std::vector<InstanceResult> instances;
	std::vector<RelayHistogram> relays; // [planner], all instances
	size_t switches = 0, hosts = 0;	    // of the first instance
};

Result<TopologySnapshot, Error> make_topology(const ExperimentOptions &options, uint64_t seed);

// The subflow routes of one connection under a k-path scheme: the paths it
// is mapped to and where forwarding took it.
struct KPathRoutes {
	std::vector<std::vector<Vertex>> planned, forwarded; // [subflow]
};
KPathRoutes route_kpaths(const Topology &topology, CostTreeCache &trees,
			 const ConnectionPlans &plans, unsigned k, Mapping mapping,
			 unsigned subflows, uint64_t seed, size_t connection);

Result<InstanceResult, Error> run_instance(const Topology &topology, uint64_t seed,
					   const ExperimentOptions &options);

Result<ExperimentResult, Error> run_experiment(const ExperimentOptions &options);

} // namespace iplb::sim
