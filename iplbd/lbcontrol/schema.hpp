// SPDX-License-Identifier: GPL-2.0-or-later
// What the load balancer keeps in etcd, as values, and their JSON (docs/LB.md,
// "What etcd holds"). etcd is the only truth: operators write a VIP's
// configuration there (through any node's vtysh), the controller's leader
// writes each VIP's status and its versioned bucket maps, muxes write their
// acknowledgements and backends their registrations, each under a lease.
//
// Every key lives under one prefix (default "/iplb/lb/"):
//
//   config/<vip>          the VIP's pool and health check     operators
//   status/<vip>          health and drain times per backend  leader
//   prepared/<vip>        version v+1, being loaded           leader
//   map/<vip>             version v, committed                leader
//   acks/<vip>/<mux>      "mux loaded version g" (lease)      each mux
//   muxes/<mux>           a live mux (lease)                  each mux
//   backends/<name>       a live backend and its health       each backend
//                         (lease)
//   leader                the controller's leader (lease)     the leader
//
// <vip> is vip_name(): "192.0.2.10-tcp-80", "2001:db8::1-udp-0" (0: every
// port). The decoders refuse anything malformed with a message naming the
// field, so a bad value written by hand is counted and skipped by its
// readers, never half used.
#pragma once

#include "lb/bucket_map.hpp"
#include "util/ipv6.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iplb::lbcontrol {

inline constexpr std::string_view default_prefix = "/iplb/lb/";

// A VIP service: an address, a protocol and a port (0: every port).
struct VipId {
	IpAddress address;
	uint8_t protocol = 6; // IPPROTO_TCP or IPPROTO_UDP
	uint16_t port = 0;

	friend bool operator==(const VipId &, const VipId &) = default;
	friend auto operator<=>(const VipId &, const VipId &) = default;
};

// "192.0.2.10-tcp-80": the VIP's name in keys (no '/').
std::string vip_name(const VipId &vip);
Result<VipId, Error> parse_vip_name(std::string_view name);
// "192.0.2.10 tcp port 80", "2001:db8::1 udp" (every port): for operators.
std::string to_string(const VipId &vip);
// The address must be usable as a VIP (util/ipv6.hpp's check), the protocol
// tcp or udp.
Status check_vip(const VipId &vip);

struct HealthCheckConfig {
	enum class Kind : uint8_t { none, tcp, http };
	Kind kind = Kind::none;
	uint16_t port = 0; // 0: the VIP's port
	std::string path = "/";
	uint32_t interval_ms = 2000; // GLB Director's defaults
	uint32_t timeout_ms = 1000;
	uint32_t rise = 3;
	uint32_t fall = 3;

	friend bool operator==(const HealthCheckConfig &, const HealthCheckConfig &) = default;
};
std::string_view to_string(HealthCheckConfig::Kind kind);
// timeout > 0, interval >= timeout, rise and fall 1..100, an HTTP path of
// printable characters starting with '/'.
Status check_health_check(const HealthCheckConfig &check);

struct BackendConfig {
	lb::Dip dip;
	uint32_t weight = 1;
	bool drain = false;

	friend bool operator==(const BackendConfig &, const BackendConfig &) = default;
};

// How a VIP's MPTCP joins reach their connection's backend (docs/MPTCP.md):
// by bucket like any flow (they fail unless the bucket's backend holds the
// connection); by the token each join names (the muxes' token maps); by a
// port of the VIP's address each backend announces, which the muxes map to
// it (Beamer's); or straight to the backend's own address, past the muxes
// (the backends set the C flag and announce their DIP).
enum class MptcpMode : uint8_t { none, token, port, direct };
std::string_view to_string(MptcpMode mode);
Result<MptcpMode, Error> parse_mptcp_mode(std::string_view text);

// Port mode's range: from the VIP's mptcp_first_port, one port per backend a
// VIP may have (the mux's IPLB_LB_MAX_BACKENDS).
inline constexpr uint32_t mptcp_port_count = 512;

// What an operator configures for a VIP.
struct VipConfig {
	VipId vip;
	uint32_t bucket_count = 0;	     // fixed for the VIP's life
	uint32_t drain_timeout = 240;	     // seconds a drained backend keeps its connections
	std::vector<BackendConfig> backends; // in DIP order, no DIP twice
	HealthCheckConfig health_check;
	MptcpMode mptcp = MptcpMode::none;
	// Port mode: the first of the mptcp_port_count ports the controller
	// gives the backends from (kept when the mode changes; 0: none yet).
	uint16_t mptcp_first_port = 0;

	friend bool operator==(const VipConfig &, const VipConfig &) = default;
};
// Everything the controller would refuse: the VIP, the bucket count against
// the pool (lb::check_pool), weights, duplicates, the health check.
Status check_vip_config(const VipConfig &config);
// Port mode's: a TCP VIP on one port, a first port whose range fits below
// 65536 and leaves the VIP's port out.
Status check_mptcp_ports(const VipConfig &config);

enum class Health : uint8_t { unknown, up, down };
std::string_view to_string(Health health);

struct BackendStatus {
	Health health = Health::unknown;
	uint32_t drain_since = 0; // unix seconds the leader first saw it drained; 0: not

	friend bool operator==(const BackendStatus &, const BackendStatus &) = default;
};

// What the leader observed of a VIP's backends.
struct VipStatus {
	std::map<lb::Dip, BackendStatus> backends;

	friend bool operator==(const VipStatus &, const VipStatus &) = default;
};

// One version of a VIP's bucket map and the pool it was computed from.
struct MapVersion {
	std::vector<lb::Backend> pool;
	lb::BucketMap map;		   // map.generation is the version
	MptcpMode mptcp = MptcpMode::none; // the VIP's, flipped with the map
	// Port mode: the VIP port each backend of the pool announces (every
	// backend has one, no two the same); empty in the other modes.
	std::map<lb::Dip, uint16_t> mptcp_ports;

	uint32_t generation() const { return map.generation; }
	friend bool operator==(const MapVersion &, const MapVersion &) = default;
};

// A mux's answer to a prepared version.
struct Ack {
	uint32_t generation = 0;
	bool ok = true;
	std::string error; // why it could not load the version

	friend bool operator==(const Ack &, const Ack &) = default;
};

struct MemberRecord {
	std::string name;
	uint32_t since = 0;		  // unix seconds
	std::optional<IpAddress> address; // a backend's DIP (its first, if several)
	// A backend's report of itself (docs/LB.md, "The backend's agent"); a
	// mux or a controller leaves these empty and they are not written.
	std::vector<IpAddress> addresses; // every DIP it serves as
	std::optional<bool> healthy;	  // every VIP it must serve is in its datapath
	std::vector<VipId> vips;	  // the VIPs its datapath decapsulates, in order
	std::string error;		  // why it is not healthy

	friend bool operator==(const MemberRecord &, const MemberRecord &) = default;
};

// A mux's or a controller's record: a name and a time.
inline MemberRecord member_record(std::string name, uint32_t since)
{
	MemberRecord record;
	record.name = std::move(name);
	record.since = since;
	return record;
}

std::string encode(const VipConfig &config);
std::string encode(const VipStatus &status);
std::string encode(const MapVersion &version);
std::string encode(const Ack &ack);
std::string encode(const MemberRecord &member);

Result<VipConfig, Error> decode_vip_config(std::string_view json);
Result<VipStatus, Error> decode_vip_status(std::string_view json);
Result<MapVersion, Error> decode_map_version(std::string_view json);
Result<Ack, Error> decode_ack(std::string_view json);
Result<MemberRecord, Error> decode_member(std::string_view json);

// The keys, from the prefix (which ends with '/').
struct Keys {
	std::string prefix;

	std::string config(const VipId &vip) const { return prefix + "config/" + vip_name(vip); }
	std::string status(const VipId &vip) const { return prefix + "status/" + vip_name(vip); }
	std::string prepared(const VipId &vip) const
	{
		return prefix + "prepared/" + vip_name(vip);
	}
	std::string map(const VipId &vip) const { return prefix + "map/" + vip_name(vip); }
	std::string acks(const VipId &vip) const { return prefix + "acks/" + vip_name(vip) + "/"; }
	std::string ack(const VipId &vip, std::string_view mux) const
	{
		return acks(vip) + std::string(mux);
	}
	std::string muxes() const { return prefix + "muxes/"; }
	std::string mux(std::string_view name) const { return muxes() + std::string(name); }
	std::string backends() const { return prefix + "backends/"; }
	std::string backend(std::string_view name) const { return backends() + std::string(name); }
	std::string leader() const { return prefix + "leader"; }
};

// A key under the prefix, by kind: what a watcher needs to route an event.
struct ParsedKey {
	enum class Kind { config, status, prepared, map, ack, mux, backend, leader, other };
	Kind kind = Kind::other;
	std::optional<VipId> vip; // config, status, prepared, map, ack
	std::string member;	  // ack: the mux; mux, backend: the name
};
ParsedKey parse_key(const Keys &keys, std::string_view key);

// A member's name (a mux, a backend, a controller): 1-64 of [A-Za-z0-9._-].
Status check_member_name(std::string_view name);

} // namespace iplb::lbcontrol
