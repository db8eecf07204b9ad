// SPDX-License-Identifier: GPL-2.0-or-later
// The eBPF programs of kernel/, loaded through their libbpf skeletons, and
// typed access to their maps: the host's encapsulation table, and the relay's
// decapsulation addresses and the tunnel sources it accepts.
//
// A program opened on a pin directory pins its maps there, or re-adopts the
// ones already there (an iplbd restart keeps the table); its TCX links are
// pinned there too. The maps alone can be opened from the pins, which is
// how iplbctl changes a running datapath without loading anything.
#pragma once

#include "datapath/pin_dir.hpp"
#include "util/ipv4.hpp"
#include "util/ipv6.hpp"
#include "util/prefix.hpp"
#include "util/result.hpp"
#include "util/status.hpp"
#include "util/unique_fd.hpp"

#include "iplb_host_layout.h"
#include "iplb_relay_layout.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

struct iplb_host;
struct iplb_relay;

namespace iplb {

// The host program's settings (the config map, minus its layout version).
struct HostConfig {
	// The outer source address of IPv4 and of IPv6 tunnels; none: the
	// packet's own (a packet of the other family is then sent as it is).
	std::optional<Ipv4> source;
	std::optional<Ipv6> source6;
	// Send encapsulated packets out by the FIB towards the first relay
	// rather than where the inner destination was routed.
	bool fib_redirect = false;
	// Mode flow: a flow unseen this long is forgotten (and may change lists).
	uint32_t flow_idle_ms = IPLB_FLOW_IDLE_MS_DEFAULT;

	friend bool operator==(const HostConfig &, const HostConfig &) = default;
};

// The owner's lease of a host table: once the kernel's jiffies pass the
// deadline, the program leaves packets alone (the table is stale).
struct OwnerLease {
	uint64_t deadline_jiffies = 0;
	std::chrono::nanoseconds renewed{0}; // CLOCK_MONOTONIC
	std::chrono::milliseconds length{0};

	// Left of it at `now` (CLOCK_MONOTONIC: what a reader without jiffies
	// can tell); negative: it has passed.
	std::chrono::nanoseconds remaining(std::chrono::nanoseconds now) const
	{
		return renewed + length - now;
	}
	bool passed(std::chrono::nanoseconds now) const { return remaining(now).count() < 0; }
	friend bool operator==(const OwnerLease &, const OwnerLease &) = default;
};

// One entry of mode flow's table.
struct FlowEntry {
	IpAddress source, destination;
	uint16_t source_port = 0, destination_port = 0; // host order; 0: none
	uint8_t protocol = 0;
	uint32_t list_key = 0; // iplb_relay_list.key
	uint32_t route_id = 0;
	uint64_t idle_ns = 0; // since last seen
};

class HostMaps {
public:
	static Result<HostMaps, Error> from_pins(const PinDir &dir);

	// The owner's lease is kept as it is.
	Status set_config(const HostConfig &config);
	Result<HostConfig, Error> config() const;

	// The owner's lease (iplb_config): none, no owner.
	Status set_owner_lease(std::optional<OwnerLease> lease);
	Result<std::optional<OwnerLease>, Error> owner_lease() const;
	Result<uint32_t, Error> layout_version() const;

	// Mode flow's remembered flows; forgetting them moves nothing at once,
	// but lets each take a fresh pick at its next packet.
	Result<std::vector<FlowEntry>, Error> flows() const;
	Status forget_flows();

	// One map update: a lookup sees the old record or the new one, whole.
	Status put_route(const IpPrefix &prefix, const iplb_route &record);
	Status delete_route(const IpPrefix &prefix);
	Result<std::optional<iplb_route>, Error> route(const IpPrefix &prefix) const;
	// IPv4 prefixes first, each family in order.
	Result<std::vector<std::pair<IpPrefix, iplb_route>>, Error> routes() const;

	// Summed over CPUs.
	Result<iplb_counters, Error> route_counters(uint32_t id) const;
	Result<iplb_list_counters, Error> list_counters(uint32_t id, uint32_t list) const;
	// Zeroes a route's counters, for a slot that gets a new prefix.
	Status clear_counters(uint32_t id);

private:
	friend class HostProgram;
	HostMaps(UniqueFd routes, UniqueFd routes6, UniqueFd config, UniqueFd route_counters,
		 UniqueFd list_counters, UniqueFd flows)
	    : routes_(std::move(routes)), routes6_(std::move(routes6)), config_(std::move(config)),
	      route_counters_(std::move(route_counters)), list_counters_(std::move(list_counters)),
	      flows_(std::move(flows))
	{
	}
	UniqueFd routes_, routes6_, config_, route_counters_, list_counters_, flows_;
};

class RelayMaps {
public:
	// Refuses pins of another layout (including layout 1, which had no
	// config map), and a pin directory without a relay.
	static Result<RelayMaps, Error> from_pins(const PinDir &dir);

	// The addresses tunnels are decapsulated for.
	Status add_local(const IpAddress &address);
	Status remove_local(const IpAddress &address);
	Result<std::vector<IpAddress>, Error> locals() const; // IPv4 first

	// The prefixes a tunnel's outer source must be in to be decapsulated
	// (an address: its /32 or /128); none of a family: every tunnel of that
	// family is refused. At most IPLB_MAX_SOURCES per family.
	Status add_source(const IpPrefix &prefix);
	Status remove_source(const IpPrefix &prefix);
	Result<std::vector<IpPrefix>, Error> sources() const; // IPv4 first, each in order

	Result<iplb_relay_counters, Error> counters() const; // summed over CPUs
	Result<uint32_t, Error> layout_version() const;

private:
	friend class RelayProgram;
	RelayMaps(UniqueFd local, UniqueFd local6, UniqueFd sources, UniqueFd sources6,
		  UniqueFd config, UniqueFd counters)
	    : local_(std::move(local)), local6_(std::move(local6)), sources_(std::move(sources)),
	      sources6_(std::move(sources6)), config_(std::move(config)),
	      counters_(std::move(counters))
	{
	}
	UniqueFd local_, local6_, sources_, sources6_, config_, counters_;
};

class HostProgram {
public:
	// Maps of its own, gone with it (packet fixtures); flow_capacity:
	// the size of mode flow's table (tests fill a small one).
	static Result<HostProgram, Error> load(uint32_t flow_capacity = IPLB_MAX_FLOWS);
	// Maps pinned in dir, re-adopted if they are there and of this layout.
	static Result<HostProgram, Error> open(const PinDir &dir);

	int prog_fd() const;	     // egress: encapsulation
	int ingress_prog_fd() const; // ingress: MSS clamping of SYNs from the table
	HostMaps &maps() { return maps_; }
	const HostMaps &maps() const { return maps_; }

	// TCX egress and ingress, links pinned in the pin directory (open()
	// only).
	Status attach(const std::string &ifname);

	// Takes over the links another instance pinned in `from` for an
	// interface: each runs this program from now on (one atomic swap, no
	// moment with two encapsulations or none) and is pinned here instead.
	Status take_over(const PinDir &from, const std::string &ifname);

	// The kernel's clocks, read together (iplb_host_clock).
	Result<iplb_clock, Error> clock() const;
	// Renews the owner's lease for `length` from now. The kernel's HZ is
	// measured between renewals a second or more apart; until then it is
	// taken as 1000 (the most a kernel has), which can only make the first
	// lease longer.
	Status renew_lease(std::chrono::milliseconds length);

	// What the kernel runs on an interface's hooks, whatever the pins say.
	struct Hooks {
		bool egress = false, ingress = false; // this program runs there
		// Other host programs (by name) on its egress hook: another
		// instance encapsulating the same packets.
		std::vector<uint32_t> other_hosts;
	};
	// An interface that does not exist has no hooks (all false).
	Result<Hooks, Error> hooks(const std::string &ifname) const;
	// Pins each map again where its pin is missing or is not this
	// program's map (the pin directory emptied, unmounted or replaced),
	// so that iplbctl and the next iplbd find this table; the names of
	// the pins it restored. The directory must exist (prepare_pin_dir).
	Result<std::vector<std::string>, Error> restore_pins();

private:
	struct Close {
		void operator()(iplb_host *skeleton) const;
	};
	HostProgram(std::unique_ptr<iplb_host, Close> skeleton, HostMaps maps,
		    std::optional<PinDir> pins)
	    : skeleton_(std::move(skeleton)), maps_(std::move(maps)), pins_(std::move(pins))
	{
	}
	static Result<HostProgram, Error> make(std::optional<PinDir> pins, uint32_t flow_capacity);

	std::unique_ptr<iplb_host, Close> skeleton_;
	HostMaps maps_;
	std::optional<PinDir> pins_;
	std::optional<iplb_clock> first_clock_; // for measuring HZ
	std::optional<uint64_t> hz_;
};

class RelayProgram {
public:
	// Maps of its own, gone with it (packet fixtures): no source allowed yet.
	static Result<RelayProgram, Error> load();
	// Maps pinned in dir, re-adopted if they are there and of this layout.
	static Result<RelayProgram, Error> open(const PinDir &dir);

	int prog_fd() const;
	RelayMaps &maps() { return maps_; }
	const RelayMaps &maps() const { return maps_; }

	// TCX ingress, link pinned in the pin directory (open() only).
	Status attach(const std::string &ifname);

private:
	struct Close {
		void operator()(iplb_relay *skeleton) const;
	};
	RelayProgram(std::unique_ptr<iplb_relay, Close> skeleton, RelayMaps maps,
		     std::optional<PinDir> pins)
	    : skeleton_(std::move(skeleton)), maps_(std::move(maps)), pins_(std::move(pins))
	{
	}
	static Result<RelayProgram, Error> make(std::optional<PinDir> pins);

	std::unique_ptr<iplb_relay, Close> skeleton_;
	RelayMaps maps_;
	std::optional<PinDir> pins_;
};

// The pinned TCX links of this instance.
struct AttachedInterface {
	std::string ifname;
	std::string program; // host, relay, mux (XDP), backend
	bool ingress = false;

	friend auto operator<=>(const AttachedInterface &, const AttachedInterface &) = default;
};
Result<std::vector<AttachedInterface>, Error> attached_interfaces(const PinDir &dir);
Status detach(const PinDir &dir, const AttachedInterface &where);
// Whether the kernel runs the pinned link's program on its interface's hook
// (a pin can outlive what it stood for: its interface replaced). Unknown
// when the interface is not in the caller's network namespace.
Result<std::optional<bool>, Error> running(const PinDir &dir, const AttachedInterface &where);
// Detaches everything of the instance and removes its pins: its table and
// counters are gone once nothing else holds them.
Status purge(const PinDir &dir);

// BPF_PROG_TEST_RUN of a tc program over one Ethernet frame: its verdict and
// the frame as the program left it.
struct TestRun {
	int verdict = 0;
	std::vector<uint8_t> frame;
};
Result<TestRun, Error> test_run(int prog_fd, std::span<const uint8_t> frame);

// CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns().
std::chrono::nanoseconds monotonic_now();

} // namespace iplb
