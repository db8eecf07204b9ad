// SPDX-License-Identifier: GPL-2.0-or-later
// The mux's datapath as its agent sees it (lbcontrol::MuxDataplane) over the
// mux program's maps (datapath::MuxMaps): the agent's stage, activate and
// remove are MuxMaps' own, with lbcontrol's values converted to the maps'.
// The conversions are pure functions of their own so that they can be
// tested without the kernel.
//
// MuxMaps keeps no state outside the maps, so the adapter keeps none
// either: what installed() answers is read from the maps each time (through
// MuxMaps::generations(), one pass over the VIP records), and a mux
// restarted on its pins answers what it holds.
#pragma once

#include "datapath/lb_programs.hpp"
#include "lbcontrol/mux_agent.hpp"
#include "lbcontrol/schema.hpp"
#include "mptcp/token_mirror.hpp"

#include <map>
#include <string>

namespace iplb {

VipKey to_vip_key(const lbcontrol::VipId &vip);
lbcontrol::VipId to_vip_id(const VipKey &vip);
// Weights above 65535 (the maps' field) are saturated; the schema's decoders
// accept lb::min_weight..lb::max_weight only, far below.
LbMapVersion to_lb_map_version(const lbcontrol::MapVersion &version);
// What the maps read back (MuxMaps::vip()) as lbcontrol's value.
lbcontrol::MapVersion to_map_version(const LbMapVersion &version);

// Calls MuxMaps on the caller's thread (the agent's); `maps` outlives it.
// The VIPs the agent handles must be handled by nothing else on this mux
// (another writer's generations would confuse the agent's decisions).
class MuxMapsDataplane final : public lbcontrol::MuxDataplane {
public:
	explicit MuxMapsDataplane(MuxMaps &maps) : maps_(maps) {}

	Status stage(const lbcontrol::VipId &vip, const lbcontrol::MapVersion &version) override;
	Status activate(const lbcontrol::VipId &vip, uint32_t generation) override;
	Status remove(const lbcontrol::VipId &vip) override;
	Result<std::map<lbcontrol::VipId, lbcontrol::InstalledGenerations>, Error>
	installed() const override;

private:
	MuxMaps &maps_;
};

// The mux's MPTCP token map and its misses as the token mirror sees them
// (mptcp::TokenDataplane) over MuxMaps and the program's ring buffer of
// misses; the DIPs' text parsed here. On the mirror's thread.
class MuxMapsTokens final : public mptcp::TokenDataplane {
public:
	// `prog_fd`: the mux program dropped joins are sent through again
	// (-1: none; they wait for the client's retransmission).
	static Result<MuxMapsTokens, Error> open(MuxMaps &maps, int prog_fd = -1);

	Status set_token(uint32_t token, const std::string &dip) override;
	Status remove_token(uint32_t token) override;
	Result<std::map<uint32_t, std::string>, Error> tokens() const override;
	Status set_subflow(const SubflowKey &subflow, const std::string &dip) override;
	Status remove_subflow(const SubflowKey &subflow) override;
	int misses_fd() const override { return misses_.fd(); }
	Result<std::vector<mptcp::DroppedJoin>, Error> read_misses() override;
	Status replay(const mptcp::DroppedJoin &join) override;

private:
	MuxMapsTokens(MuxMaps &maps, TokenMisses misses, int prog_fd)
	    : maps_(maps), misses_(std::move(misses)), prog_fd_(prog_fd)
	{
	}
	MuxMaps &maps_;
	TokenMisses misses_;
	int prog_fd_;
};

// The mux's tunnel source, unless set: the first IPv4 and IPv6 addresses of
// `ifname` (as `iplbctl attach mux` does).
Status set_default_mux_source(MuxMaps &maps, const std::string &ifname);
// Where the mux sends a tunnel: the FIB's next hop toward the backend, or
// back to the router the packet came from.
Status set_mux_fib_lookup(MuxMaps &maps, bool fib_lookup);

} // namespace iplb
