// SPDX-License-Identifier: GPL-2.0-or-later
// Data-center topologies for tests, benchmarks and the lab. Every switch
// and host is an OSPF router (hosts run ospfd too) with relay address =
// router id; links are bidirectional (two directed links of equal cost);
// each host announces its own /32.
//
// Addressing (documented in docs/TOPOLOGY-FORMAT.md):
//   fat-tree   core (i,j)      10.200.i.j
//              pod p agg a     10.(p+1).a.1
//              pod p edge e    10.(p+1).(k/2+e).1, its hosts 10.(p+1).(k/2+e).(h+2)
//   jellyfish  switch i        10.1.(i/256).(i%256)
//              host j          10.2.(j/256).(j%256)
#pragma once

#include "topology/topology.hpp"
#include "util/result.hpp"

#include <cstdint>

namespace iplb {

struct FatTreeOptions {
	unsigned k = 4;	    // ports per switch, even, 2..64
	uint32_t cost = 10; // every link
	bool hosts = true;  // k/2 hosts per edge switch
};

// k=4: 20 switches, 16 hosts; k=48: 2,880 switches, 27,648 hosts.
Result<TopologySnapshot, Error> make_fat_tree(const FatTreeOptions &options);

struct JellyfishOptions {
	unsigned switches = 20;
	unsigned ports = 4;  // per switch, hosts included
	unsigned hosts = 16; // spread over the switches as evenly as possible
	uint64_t seed = 1;
	uint32_t cost = 10;
};

// A random regular graph as in Jellyfish (Singla et al., NSDI 2012): free
// ports are paired at random; a switch left with two or more free ports
// breaks a random link and joins both ends. The same options give the same
// topology on every machine (the generator does not use <random>'s
// implementation-defined distributions). Refuses options that cannot give a
// connected network.
Result<TopologySnapshot, Error> make_jellyfish(const JellyfishOptions &options);

} // namespace iplb
