// SPDX-License-Identifier: GPL-2.0-or-later
// The flow-level model of iplb-sim: the steady-state rates of long-lived
// MPTCP connections over a network of capacitated directed links.
//
// Model: weighted max-min fairness computed by progressive filling
// (water-filling). A connection with n subflows (1..8) gives each subflow
// the weight 1/n. All subflows that are not frozen grow together, each at a
// speed proportional to its weight (rate = weight * t as a common "level" t
// rises), until some link is full; every subflow crossing a full link is
// frozen at its rate; filling goes on with the others until all are frozen.
// A connection's rate is the sum of its subflows'. A subflow whose path
// crosses a link twice loads it twice.
//
// Why these weights: MPTCP's coupled congestion control (LIA, RFC 6356) is
// designed so that a connection takes no more than one TCP flow would on a
// bottleneck it shares with others. With weights 1/n, a connection whose n
// subflows all cross one bottleneck gets exactly one fair share there (8
// subflows on one shortest path = one TCP), and a connection spread over
// disjoint paths picks up what each path has left over.
//
// Limits, against real LIA:
//  - The weights are fixed. LIA shifts a connection's window towards its
//    least congested subflows (resource pooling); here a subflow keeps its
//    1/n share on a congested link even if the connection could move that
//    traffic elsewhere, and a connection with k of its n subflows on one
//    bottleneck gets k/n of a share there, not what LIA's equilibrium gives.
//    The model therefore over-protects single-path flows against multipath
//    ones on shared links, and under-uses alternative paths a little.
//  - Fluid and stationary: no packets, losses, queues, slow start,
//    retransmissions, reordering or receive-window limits; every connection
//    has infinite demand and they all run at once. It gives the rates the
//    network settles to, not the bytes a finite run delivers.
//  - Max-min is one fairness criterion; TCP is closer to proportional
//    fairness with an RTT bias, which max-min ignores (all paths count the
//    same whatever their length).
#pragma once

#include "util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace iplb::sim {

using LinkId = uint32_t;

// A subflow's route: the directed links it crosses, in order.
using LinkPath = std::vector<LinkId>;

struct Connection {
	std::vector<LinkPath> subflows; // 1..max_subflows
};

struct Allocation {
	std::vector<std::vector<double>> subflow_rates; // [connection][subflow]
	std::vector<double> connection_rates;		// sum of the subflows'
	std::vector<double> link_load;			// [link]: sum of what crosses it
	double total = 0;				// sum of connection_rates
	unsigned rounds = 0;				// filling steps taken
};

constexpr size_t max_subflows = 8;

// Capacities by LinkId (each direction of a cable is its own link).
// Errors: a capacity that is not a positive finite number, a connection
// without subflows or with more than max_subflows, an empty path, a link
// id without a capacity.
Result<Allocation, Error> allocate_max_min(const std::vector<double> &capacities,
					   const std::vector<Connection> &connections);

} // namespace iplb::sim
