// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's eBPF programs (kernel/iplb_mux.bpf.c, XDP, and
// kernel/iplb_backend.bpf.c, TCX ingress), loaded through their skeletons,
// and typed access to their maps: the mux's VIPs with their two map slots,
// the DIP table and the counters; the backend's VIPs and settings.
//
// As with the host program, a program opened on a pin directory pins its
// maps there or re-adopts them, and its links are pinned there too; the maps
// alone can be opened from the pins (iplbctl lb).
//
// A VIP's map is installed into the slot packets do not read, then the VIP's
// record is replaced in one map update that names the other slot: a packet
// reads the old map or the new one, never a mix. The two steps can be two
// calls, stage and activate, for a controller's two-phase commit: every mux
// stages version v+1, and flips only once all have. Which DIP table entries,
// bucket ranges and VIP ids are free is worked out from what is installed or
// staged each time, so that no state outside the maps can disagree with them
// (a VIP staged and never active is a record under a key no packet has,
// kernel/iplb_lb_layout.h).
#pragma once

#include "datapath/pin_dir.hpp"
#include "util/ipv4.hpp"
#include "util/ipv6.hpp"
#include "util/result.hpp"
#include "util/status.hpp"
#include "util/subflow_key.hpp"
#include "util/unique_fd.hpp"

#include "iplb_lb_layout.h"

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

struct iplb_mux;
struct iplb_backend;

namespace iplb {

// A VIP: an address, a protocol and a port (0: every port).
struct VipKey {
	IpAddress address;
	uint8_t protocol = 6; // IPPROTO_TCP or IPPROTO_UDP
	uint16_t port = 0;    // host order

	friend bool operator==(const VipKey &, const VipKey &) = default;
	friend auto operator<=>(const VipKey &, const VipKey &) = default;
};
// "10.0.0.1 tcp port 80", "2001:db8::1 udp" (every port).
std::string to_string(const VipKey &vip);

enum class LbBackendState : uint8_t {
	active = IPLB_BACKEND_ACTIVE,
	draining = IPLB_BACKEND_DRAINING,
	down = IPLB_BACKEND_DOWN,
};
std::string_view to_string(LbBackendState state);

struct LbPoolEntry {
	IpAddress dip;
	uint16_t weight = 1;
	LbBackendState state = LbBackendState::active;
	uint16_t mptcp_port = 0; // port mode: the VIP port it announces; 0: none

	friend bool operator==(const LbPoolEntry &, const LbPoolEntry &) = default;
};

struct LbBucketEntry {
	std::optional<IpAddress> dip; // none: the mux drops (no backend)
	std::optional<IpAddress> previous;
	uint32_t changed_at = 0; // unix seconds, 0: never

	friend bool operator==(const LbBucketEntry &, const LbBucketEntry &) = default;
};

// How the mux sends a VIP's MPTCP join subflows (docs/MPTCP.md): none, by
// bucket like any flow; token, a join SYN to the backend its token names
// (MuxMaps::set_token), its later packets after it; port, every packet to a
// port a backend of the pool announces (LbPoolEntry::mptcp_port) to that
// backend.
enum class MuxMptcpMode : uint8_t { none, token, port };
std::string_view to_string(MuxMptcpMode mode);

// One version of a VIP's map, and the pool it was made from.
struct LbMapVersion {
	uint32_t generation = 0;
	std::vector<LbPoolEntry> pool;
	std::vector<LbBucketEntry> buckets;
	MuxMptcpMode mptcp = MuxMptcpMode::none; // flips with the map

	friend bool operator==(const LbMapVersion &, const LbMapVersion &) = default;
};

// A VIP as the mux has it: the version packets read.
struct InstalledVip {
	VipKey key;
	uint32_t id = 0;
	uint32_t active_slot = 0;
	LbMapVersion map;
	std::optional<uint32_t> staged; // the generation in the other slot, not active yet
};

// Which generations a VIP holds, without its map.
struct VipGenerations {
	uint32_t active = 0; // the generation packets read; 0: staged only, never active
	std::optional<uint32_t> staged;

	friend bool operator==(const VipGenerations &, const VipGenerations &) = default;
};

struct MuxConfig {
	std::optional<Ipv4> source;  // outer source towards IPv4 DIPs
	std::optional<Ipv6> source6; // and IPv6 ones
	bool fib = false;	     // FIB next hop, else back to the sender
	uint32_t mtu = 0;	     // largest encapsulated IP packet; 0: any
	// Read only (set_config ignores it): some VIP is in MPTCP port mode, so
	// the program looks up the port map (IPLB_MUX_PORTS).
	bool ports = false;

	friend bool operator==(const MuxConfig &, const MuxConfig &) = default;
};

class MuxMaps {
public:
	static Result<MuxMaps, Error> from_pins(const PinDir &dir);

	Status set_config(const MuxConfig &config);
	Result<MuxConfig, Error> config() const;
	Result<uint32_t, Error> layout_version() const;

	// Writes `next` for the VIP (creating it) into the slot packets do not
	// read, and records it there as staged: packets go on reading the
	// active map, or, to a VIP never active, pass as to no VIP. Staging
	// again before activate replaces the staged version. Refused, with
	// nothing changed: a bucket count outside
	// IPLB_LB_MIN_BUCKETS..IPLB_LB_MAX_BUCKETS or other than the VIP's
	// (staged or active), a generation not newer than the active one, DIPs
	// of two families, more than IPLB_LB_MAX_BACKENDS, no room left in the
	// tables. The DIPs may be of another family than the active map's: the
	// record takes the staged slot's family when it flips to it.
	Status stage(const VipKey &vip, const LbMapVersion &next);
	// Flips the VIP to its staged version if that is of `generation` (one
	// update of its record); a no-op if `generation` is active already.
	// Refused otherwise, naming the active and the staged generations.
	Status activate(const VipKey &vip, uint32_t generation);
	// stage, then activate.
	Status install(const VipKey &vip, const LbMapVersion &next);
	// The generation staged and not active yet (none: nothing staged, or
	// no such VIP).
	Result<std::optional<uint32_t>, Error> staged_generation(const VipKey &vip) const;
	// Every VIP's generations, those staged and never active included
	// (which vips() leaves out, as no packet reaches them). One pass over
	// the VIP records, no pool or bucket read: a mux's agent asks at every
	// event, and vips() reads every bucket of every VIP.
	Result<std::map<VipKey, VipGenerations>, Error> generations() const;
	// Stops balancing the VIP, and drops what is staged for it: its packets
	// pass from now on.
	Status remove(const VipKey &vip);

	// MPTCP port mode: the ports the backends of the VIPs in port mode
	// announce, as (VIP address, tcp, port) -> backend. Staging a version in
	// port mode adds its ports (refused, with nothing staged, if a port is
	// another VIP's or another VIP's backend's); activating it leaves the
	// VIP exactly its active pool's; removing the VIP removes them.
	Result<std::map<VipKey, IpAddress>, Error> mptcp_ports() const;

	Result<std::optional<InstalledVip>, Error> vip(const VipKey &key) const;
	Result<std::vector<InstalledVip>, Error> vips() const; // in key order

	// MPTCP token mode: which backend holds the connection of each token
	// (a join SYN with an unknown token is dropped). Setting one again
	// replaces it; removing one that is not there is no error.
	Status set_token(uint32_t token, const IpAddress &dip);
	Status remove_token(uint32_t token);
	Result<std::map<uint32_t, IpAddress>, Error> tokens() const;
	// Where join subflows go: the program adds one when it sends a join by
	// its token; user space adds those the backends announce. An LRU map:
	// the least recently used go when it is full.
	Status set_subflow(const SubflowKey &subflow, const IpAddress &dip);
	Status remove_subflow(const SubflowKey &subflow);
	Result<std::map<SubflowKey, IpAddress>, Error> subflows() const;
	// The ring buffer of the tokens of dropped joins (TokenMisses reads it).
	int token_misses_fd() const { return fds_.token_misses.get(); }

	Result<iplb_mux_counters, Error> counters() const; // summed over CPUs
	Result<iplb_mux_vip_counters, Error> vip_counters(uint32_t id) const;
	// Packets per bucket of the VIP, summed over CPUs.
	Result<std::vector<uint64_t>, Error> bucket_counters(const VipKey &key) const;

private:
	friend class MuxProgram;
	struct Fds {
		UniqueFd vips, addresses, buckets, dips, config, pools, counters, vip_counters,
			bucket_counters, tokens, subflows, token_misses, ports;
	};
	explicit MuxMaps(Fds fds) : fds_(std::move(fds)) {}
	// The VIP (of id `id`) in port mode keeps exactly the ports of `pool`.
	Status keep_ports(const VipKey &vip, uint32_t id, const iplb_lb_pool &pool);
	// The config's IPLB_MUX_PORTS: set while the port map has entries.
	Status note_ports();
	Fds fds_;
};

// A join the mux dropped because it did not know the token: for user space
// to look up, so that the client's next SYN finds it.
struct TokenMiss {
	uint32_t token = 0;
	uint32_t vip_id = 0;
	uint32_t ifindex = 0; // where the join arrived
	uint32_t rx_queue = 0;
	std::vector<uint8_t> frame; // as it arrived; empty if it was too long to keep

	friend bool operator==(const TokenMiss &, const TokenMiss &) = default;
};

// The consumer of the mux's ring buffer of token misses.
class TokenMisses {
public:
	static Result<TokenMisses, Error> open(const MuxMaps &maps);
	TokenMisses(TokenMisses &&) noexcept;
	TokenMisses &operator=(TokenMisses &&) noexcept;
	~TokenMisses();

	// Readable (poll) when misses are waiting.
	int fd() const;
	// What is waiting, oldest first; nothing if none.
	Result<std::vector<TokenMiss>, Error> read();

private:
	struct Ring;
	explicit TokenMisses(std::unique_ptr<Ring> ring);
	std::unique_ptr<Ring> ring_;
};

// Runs `frame` through the mux program as if it had arrived on `ifindex`
// (BPF_PROG_TEST_RUN with live frames, kernel 5.18+: what the program
// returns is done, XDP_TX sends it out of that interface): a dropped join
// sent again once its token is known.
Status replay_frame(int prog_fd, std::span<const uint8_t> frame, uint32_t ifindex,
		    uint32_t rx_queue);

enum class XdpMode { native, generic };
std::string_view to_string(XdpMode mode);

// How the mux program was attached, and for generic why native was not.
struct XdpAttachment {
	XdpMode mode = XdpMode::native;
	// errno of the refused native attach: EOPNOTSUPP, the driver has no
	// native XDP; ERANGE, it has, but not at this MTU (a veth refuses it
	// when its peer's MTU is above about 3.5 KB). 0: not tried (attached
	// before).
	int native_error = 0;
};
// What an operator reads about a generic attachment: why not native.
std::string why_generic(const XdpAttachment &attachment);

class MuxProgram {
public:
	// Maps of its own, gone with it (packet fixtures).
	static Result<MuxProgram, Error> load();
	// Maps pinned in dir, re-adopted if they are there and of this layout.
	static Result<MuxProgram, Error> open(const PinDir &dir);

	int prog_fd() const;
	MuxMaps &maps() { return maps_; }
	const MuxMaps &maps() const { return maps_; }

	// XDP, link pinned in the pin directory: native where the driver takes
	// it, else generic; which one it got, and why not native.
	Result<XdpAttachment, Error> attach(const std::string &ifname);

private:
	struct Close {
		void operator()(iplb_mux *skeleton) const;
	};
	MuxProgram(std::unique_ptr<iplb_mux, Close> skeleton, MuxMaps maps,
		   std::optional<PinDir> pins)
	    : skeleton_(std::move(skeleton)), maps_(std::move(maps)), pins_(std::move(pins))
	{
	}
	static Result<MuxProgram, Error> make(std::optional<PinDir> pins);

	std::unique_ptr<iplb_mux, Close> skeleton_;
	MuxMaps maps_;
	std::optional<PinDir> pins_;
};

struct BackendConfig {
	uint32_t daisy_timeout = 240; // seconds

	friend bool operator==(const BackendConfig &, const BackendConfig &) = default;
};

class BackendMaps {
public:
	static Result<BackendMaps, Error> from_pins(const PinDir &dir);

	// Also sets the program's clock (CLOCK_REALTIME - CLOCK_BOOTTIME).
	Status set_config(const BackendConfig &config);
	Result<BackendConfig, Error> config() const;
	Result<uint32_t, Error> layout_version() const;

	// The VIPs whose mux traffic is decapsulated here.
	Status add_vip(const VipKey &vip);
	Status remove_vip(const VipKey &vip);
	// With the newest map generation seen for each.
	Result<std::vector<std::pair<VipKey, uint32_t>>, Error> vips() const;

	Result<iplb_backend_counters, Error> counters() const; // summed over CPUs

private:
	friend class BackendProgram;
	BackendMaps(UniqueFd vips, UniqueFd config, UniqueFd counters)
	    : vips_(std::move(vips)), config_(std::move(config)), counters_(std::move(counters))
	{
	}
	UniqueFd vips_, config_, counters_;
};

class BackendProgram {
public:
	static Result<BackendProgram, Error> load();
	static Result<BackendProgram, Error> open(const PinDir &dir);

	int prog_fd() const;
	BackendMaps &maps() { return maps_; }
	const BackendMaps &maps() const { return maps_; }

	// TCX ingress, link pinned in the pin directory.
	Status attach(const std::string &ifname);

private:
	struct Close {
		void operator()(iplb_backend *skeleton) const;
	};
	BackendProgram(std::unique_ptr<iplb_backend, Close> skeleton, BackendMaps maps,
		       std::optional<PinDir> pins)
	    : skeleton_(std::move(skeleton)), maps_(std::move(maps)), pins_(std::move(pins))
	{
	}
	static Result<BackendProgram, Error> make(std::optional<PinDir> pins);

	std::unique_ptr<iplb_backend, Close> skeleton_;
	BackendMaps maps_;
	std::optional<PinDir> pins_;
};

// The mux's XDP link pin of an interface: <dir>/link-mux-xdp-<ifname>.
std::string xdp_pin_path(const PinDir &dir, const std::string &ifname);

} // namespace iplb
