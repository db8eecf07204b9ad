// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/lb_programs.hpp"

#include "datapath/bpf_detail.hpp"
#include "datapath/tcx_link.hpp"

#include "iplb_backend.skel.h"
#include "iplb_mux.skel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

namespace iplb {
namespace {

using namespace bpf_detail;

constexpr uint32_t zero_key = 0;

void address_words(const IpAddress &address, uint32_t (&words)[4])
{
	std::memset(words, 0, sizeof(words));
	if (const Ipv4 *v4 = std::get_if<Ipv4>(&address))
		words[0] = htonl(v4->value);
	else
		std::memcpy(words, std::get<Ipv6>(address).bytes.data(), 16);
}

iplb_vip_key key_of(const VipKey &vip)
{
	iplb_vip_key key;
	std::memset(&key, 0, sizeof(key));
	address_words(vip.address, key.addr);
	key.port = htons(vip.port);
	key.protocol = vip.protocol;
	key.v6 = is_v6(vip.address);
	return key;
}

VipKey vip_of(const iplb_vip_key &key)
{
	return {address_of(key.addr, key.v6 & 1), key.protocol, ntohs(key.port)};
}

// Where a token, a subflow or a backend's MPTCP port sends: a DIP and its
// family.
iplb_mux_target target_of(const IpAddress &dip)
{
	iplb_mux_target target;
	std::memset(&target, 0, sizeof(target));
	address_words(dip, target.dip.v6);
	target.v6 = is_v6(dip);
	return target;
}

IpAddress dip_of(const iplb_mux_target &target)
{
	return address_of(target.dip.v6, target.v6 & 1);
}

iplb_vip_address address_key(const IpAddress &address)
{
	iplb_vip_address key;
	std::memset(&key, 0, sizeof(key));
	address_words(address, key.addr);
	key.v6 = is_v6(address);
	return key;
}

Error layout_error(const std::string &where, const char *what, uint32_t version)
{
	return Error{"the " + std::string(what) + " pinned in " + where + " are of layout " +
		     std::to_string(version) + ", this program's is " +
		     std::to_string(IPLB_LB_LAYOUT_VERSION) +
		     " (iplbctl -n INSTANCE purge, then attach again)"};
}

// Half-open ranges of entries, for handing out bucket and counter space.
using Range = std::pair<uint32_t, uint32_t>;

std::optional<uint32_t> first_fit(std::vector<Range> used, uint32_t length, uint32_t capacity)
{
	std::sort(used.begin(), used.end());
	uint32_t at = 0;
	for (const auto &[start, end] : used) {
		if (start >= at + length)
			break;
		at = std::max(at, end);
	}
	if (at + length > capacity)
		return std::nullopt;
	return at;
}

} // namespace

std::string to_string(const VipKey &vip)
{
	std::string out = to_string(vip.address);
	out += vip.protocol == IPPROTO_UDP ? " udp" : " tcp";
	if (vip.port)
		out += " port " + std::to_string(vip.port);
	return out;
}

std::string_view to_string(MuxMptcpMode mode)
{
	switch (mode) {
	case MuxMptcpMode::token:
		return "token";
	case MuxMptcpMode::port:
		return "port";
	case MuxMptcpMode::none:
		break;
	}
	return "none";
}

std::string_view to_string(LbBackendState state)
{
	switch (state) {
	case LbBackendState::active:
		return "active";
	case LbBackendState::draining:
		return "draining";
	case LbBackendState::down:
		return "down";
	}
	return "?";
}

std::string_view to_string(XdpMode mode)
{
	return mode == XdpMode::native ? "native" : "generic";
}

std::string why_generic(const XdpAttachment &attachment)
{
	switch (attachment.native_error) {
	case 0:
		return "it was attached so before";
	case EOPNOTSUPP:
		return "the driver has no native XDP";
	case ERANGE:
		// veth: "Peer MTU is too large to set XDP"; other drivers refuse
		// jumbo frames the same way.
		return "the driver refused native XDP at this MTU (a veth: above about 3.5 KB on "
		       "its peer)";
	default:
		return std::string("native XDP refused: ") + std::strerror(attachment.native_error);
	}
}

std::string xdp_pin_path(const PinDir &dir, const std::string &ifname)
{
	return dir / ("link-mux-xdp-" + ifname);
}

// --- MuxMaps ----------------------------------------------------------------

Result<MuxMaps, Error> MuxMaps::from_pins(const PinDir &dir)
{
	Fds fds;
	const std::pair<UniqueFd *, const char *> wanted[] = {
		{&fds.vips, "iplb_mux_vips"},
		{&fds.addresses, "iplb_mux_addresses"},
		{&fds.buckets, "iplb_mux_buckets"},
		{&fds.dips, "iplb_mux_dips"},
		{&fds.config, "iplb_mux_config"},
		{&fds.pools, "iplb_mux_pools"},
		{&fds.counters, "iplb_mux_counters"},
		{&fds.vip_counters, "iplb_mux_vip_counters"},
		{&fds.bucket_counters, "iplb_mux_bucket_counters"},
		{&fds.tokens, "iplb_mux_tokens"},
		{&fds.subflows, "iplb_mux_subflows"},
		{&fds.token_misses, "iplb_mux_token_misses"},
		{&fds.ports, "iplb_mux_ports"},
	};
	for (const auto &[fd, name] : wanted) {
		auto opened = pinned_map(dir, name);
		if (!opened)
			return unexpected(
				Error{opened.error().message +
				      " (no mux in this instance: iplbctl attach mux IF)"});
		*fd = std::move(*opened);
	}
	MuxMaps maps(std::move(fds));
	auto version = maps.layout_version();
	if (!version)
		return unexpected(version.error());
	if (*version != IPLB_LB_LAYOUT_VERSION)
		return unexpected(layout_error(dir.path, "mux maps", *version));
	return maps;
}

Result<uint32_t, Error> MuxMaps::layout_version() const
{
	iplb_mux_config config{};
	if (bpf_map_lookup_elem(fds_.config.get(), &zero_key, &config) != 0)
		return unexpected(os_error("cannot read the mux config", errno));
	return config.layout_version;
}

Status MuxMaps::set_config(const MuxConfig &wanted)
{
	iplb_mux_config config{};
	if (bpf_map_lookup_elem(fds_.config.get(), &zero_key, &config) != 0)
		return unexpected(os_error("cannot read the mux config", errno));
	// IPLB_MUX_PORTS follows the port map (note_ports), not the caller.
	config.flags = (config.flags & IPLB_MUX_PORTS) | (wanted.fib ? IPLB_MUX_FIB : 0);
	config.source_v4 = wanted.source ? htonl(wanted.source->value) : 0;
	std::memset(config.source_v6, 0, sizeof(config.source_v6));
	if (wanted.source6)
		std::memcpy(config.source_v6, wanted.source6->bytes.data(), 16);
	config.mtu = wanted.mtu;
	if (bpf_map_update_elem(fds_.config.get(), &zero_key, &config, BPF_ANY) != 0)
		return unexpected(os_error("cannot write the mux config", errno));
	return ok();
}

Result<MuxConfig, Error> MuxMaps::config() const
{
	iplb_mux_config config{};
	if (bpf_map_lookup_elem(fds_.config.get(), &zero_key, &config) != 0)
		return unexpected(os_error("cannot read the mux config", errno));
	MuxConfig out;
	if (config.source_v4)
		out.source = Ipv4{ntohl(config.source_v4)};
	const uint32_t none[4] = {};
	if (std::memcmp(config.source_v6, none, 16) != 0) {
		Ipv6 a;
		std::memcpy(a.bytes.data(), config.source_v6, 16);
		out.source6 = a;
	}
	out.fib = config.flags & IPLB_MUX_FIB;
	out.ports = config.flags & IPLB_MUX_PORTS;
	out.mtu = config.mtu;
	return out;
}

namespace {

struct VipRecord {
	iplb_vip_key key;
	iplb_mux_vip record;
};

Result<std::vector<VipRecord>, Error> vip_records(int fd)
{
	auto all = entries<iplb_vip_key, iplb_mux_vip>(fd, "the VIPs");
	if (!all)
		return unexpected(all.error());
	std::vector<VipRecord> out;
	for (const auto &[key, record] : *all)
		out.push_back({key, record});
	return out;
}

Result<iplb_lb_pool, Error> read_pool(int fd, uint32_t id, uint32_t slot)
{
	const uint32_t index = id * 2 + slot;
	iplb_lb_pool pool;
	std::memset(&pool, 0, sizeof(pool));
	if (bpf_map_lookup_elem(fd, &index, &pool) != 0)
		return unexpected(os_error("cannot read pool " + std::to_string(index), errno));
	return pool;
}

} // namespace

namespace {

// The key of a VIP that is staged and was never active: packets never look
// it up (kernel/iplb_lb_layout.h).
iplb_vip_key staged_key_of(const VipKey &vip)
{
	iplb_vip_key key = key_of(vip);
	key.v6 |= IPLB_VIP_KEY_STAGED;
	return key;
}

bool is_staged_key(const iplb_vip_key &key)
{
	return key.v6 & IPLB_VIP_KEY_STAGED;
}

// The slot of a record holding a staged version, if any: a record under a
// staged key holds nothing else; a VIP's other slot is staged while its
// generation is newer than the active one's (after a flip the old slot's is
// older).
std::optional<uint32_t> staged_slot(const iplb_vip_key &key, const iplb_mux_vip &record)
{
	const uint32_t active = record.active & 1, other = 1 - active;
	if (is_staged_key(key) || record.generation[other] > record.generation[active])
		return other;
	return std::nullopt;
}

std::optional<iplb_mux_vip> lookup_record(int fd, const iplb_vip_key &key, int &error)
{
	iplb_mux_vip record;
	if (bpf_map_lookup_elem(fd, &key, &record) != 0) {
		error = errno == ENOENT ? 0 : errno;
		return std::nullopt;
	}
	error = 0;
	return record;
}

} // namespace

Status MuxMaps::stage(const VipKey &vip, const LbMapVersion &next)
{
	const std::string name = to_string(vip);
	const auto bucket_count = static_cast<uint32_t>(next.buckets.size());
	if (bucket_count < IPLB_LB_MIN_BUCKETS || bucket_count > IPLB_LB_MAX_BUCKETS)
		return unexpected(Error{name + ": " + std::to_string(bucket_count) +
					" buckets: a VIP has " +
					std::to_string(IPLB_LB_MIN_BUCKETS) + " to " +
					std::to_string(IPLB_LB_MAX_BUCKETS)});
	if (vip.protocol != IPPROTO_TCP && vip.protocol != IPPROTO_UDP)
		return unexpected(Error{name + ": the protocol is tcp or udp"});

	// Every DIP the version names, in the order first named; one family.
	std::vector<IpAddress> named;
	std::set<IpAddress> seen;
	auto name_dip = [&](const IpAddress &a) {
		if (seen.insert(a).second)
			named.push_back(a);
	};
	for (const LbPoolEntry &b : next.pool)
		name_dip(b.dip);
	const size_t in_pool = named.size();
	if (in_pool != next.pool.size())
		return unexpected(Error{name + ": a backend is listed twice"});
	for (const LbBucketEntry &b : next.buckets) {
		if (b.dip)
			name_dip(*b.dip);
		if (b.previous)
			name_dip(*b.previous);
	}
	if (named.size() > IPLB_LB_MAX_BACKENDS)
		return unexpected(Error{name + ": more than " +
					std::to_string(IPLB_LB_MAX_BACKENDS) +
					" backends (current and former)"});
	const bool dips_v6 = !named.empty() && is_v6(named.front());
	for (const IpAddress &a : named)
		if (is_v6(a) != dips_v6)
			return unexpected(Error{name + ": backend " + to_string(a) +
						" is of another family than " +
						to_string(named.front()) +
						" (a VIP's backends share the tunnel's family)"});

	std::set<uint16_t> ports;
	for (const LbPoolEntry &b : next.pool) {
		if (next.mptcp != MuxMptcpMode::port || b.mptcp_port == 0)
			continue;
		if (vip.protocol != IPPROTO_TCP || vip.port == 0 || b.mptcp_port == vip.port)
			return unexpected(Error{name + ": MPTCP port mode is for a TCP VIP on one "
						       "port, with backends' ports other than it"});
		if (!ports.insert(b.mptcp_port).second)
			return unexpected(Error{name + ": MPTCP port " +
						std::to_string(b.mptcp_port) + " given twice"});
	}

	auto records = vip_records(fds_.vips.get());
	if (!records)
		return unexpected(records.error());
	// The VIP's record: its own (active, maybe staged) or, staged and never
	// active, the one under its staged key.
	const iplb_vip_key plain_key = key_of(vip), staged_key = staged_key_of(vip);
	const VipRecord *existing = nullptr;
	bool only_staged = false;
	for (const VipRecord &r : *records) {
		if (std::memcmp(&r.key, &plain_key, sizeof(plain_key)) == 0) {
			existing = &r;
			only_staged = false;
			break;
		}
		if (std::memcmp(&r.key, &staged_key, sizeof(staged_key)) == 0) {
			existing = &r;
			only_staged = true;
		}
	}
	if (existing) {
		const auto &r = existing->record;
		if (r.buckets != bucket_count)
			return unexpected(
				Error{name + " has " + std::to_string(r.buckets) +
				      " buckets, not " + std::to_string(bucket_count) +
				      " (a VIP keeps its bucket count: another would move "
				      "every flow; delete and add it again)"});
		if (!only_staged && next.generation <= r.generation[r.active & 1])
			return unexpected(Error{name + ": generation " +
						std::to_string(next.generation) +
						" is not newer than the installed " +
						std::to_string(r.generation[r.active & 1])});
	}

	// What the maps use: DIP entries named by every VIP's active pool and
	// by every staged one (FORMER entries included), bucket and counter
	// ranges, ids. A staged version is as good as installed: a controller
	// may flip to it at any time.
	std::map<IpAddress, uint16_t> dip_index;
	std::set<uint16_t> used_dips;
	std::vector<Range> used_buckets, used_counters;
	std::set<uint32_t> used_ids;
	for (const VipRecord &r : *records) {
		const auto &v = r.record;
		used_ids.insert(v.id);
		for (uint32_t s = 0; s < 2; s++)
			used_buckets.push_back({v.base[s], v.base[s] + v.buckets});
		used_counters.push_back({v.counter_base, v.counter_base + v.buckets});
		std::vector<uint32_t> slots;
		if (!is_staged_key(r.key))
			slots.push_back(v.active & 1);
		if (auto staged = staged_slot(r.key, v))
			slots.push_back(*staged);
		for (uint32_t slot : slots) {
			auto pool = read_pool(fds_.pools.get(), v.id, slot);
			if (!pool)
				return unexpected(pool.error());
			// The active slot's family is the record's; a staged
			// one's its pool's (the record's turns to it on flip).
			const bool v6 = slot == (v.active & 1) && !is_staged_key(r.key)
						? v.flags & IPLB_VIP_DIPS_V6
						: pool->flags & IPLB_VIP_DIPS_V6;
			for (uint32_t i = 0;
			     i < std::min<uint32_t>(pool->backends, IPLB_LB_MAX_BACKENDS); i++) {
				uint32_t index = pool->backend[i].dip;
				union iplb_addr addr;
				std::memset(&addr, 0, sizeof(addr));
				if (bpf_map_lookup_elem(fds_.dips.get(), &index, &addr) != 0)
					return unexpected(os_error(
						"cannot read DIP " + std::to_string(index), errno));
				used_dips.insert(static_cast<uint16_t>(index));
				dip_index.emplace(address_of(addr.v6, v6),
						  static_cast<uint16_t>(index));
			}
		}
	}
	// New DIPs take the lowest free entries (0 is "none").
	std::vector<std::pair<uint16_t, IpAddress>> new_dips;
	uint32_t candidate = 1;
	for (const IpAddress &a : named) {
		if (dip_index.count(a))
			continue;
		while (candidate < IPLB_LB_MAX_DIPS &&
		       used_dips.count(static_cast<uint16_t>(candidate)))
			candidate++;
		if (candidate >= IPLB_LB_MAX_DIPS)
			return unexpected(Error{name + ": the DIP table is full (" +
						std::to_string(IPLB_LB_MAX_DIPS - 1) + " DIPs)"});
		used_dips.insert(static_cast<uint16_t>(candidate));
		dip_index.emplace(a, static_cast<uint16_t>(candidate));
		new_dips.push_back({static_cast<uint16_t>(candidate), a});
	}

	// A backend's port must not be another VIP's port on the address (that
	// VIP would take its packets) or another VIP's backend's.
	for (const VipRecord &r : *records) {
		const VipKey other = vip_of(r.key);
		if (other.address == vip.address && other.protocol == IPPROTO_TCP &&
		    ports.contains(other.port))
			return unexpected(Error{name + ": MPTCP port " +
						std::to_string(other.port) +
						" is the port of VIP " + to_string(other)});
	}
	const std::optional<uint32_t> own_id =
		existing ? std::optional<uint32_t>(existing->record.id) : std::nullopt;
	for (const uint16_t port : ports) {
		const iplb_vip_key key = key_of(VipKey{vip.address, IPPROTO_TCP, port});
		iplb_mux_port held;
		if (bpf_map_lookup_elem(fds_.ports.get(), &key, &held) == 0 &&
		    (!own_id || held.vip_id != *own_id))
			return unexpected(Error{name + ": MPTCP port " + std::to_string(port) +
						" is announced by a backend of another VIP (id " +
						std::to_string(held.vip_id) + ")"});
	}

	iplb_mux_vip record;
	std::memset(&record, 0, sizeof(record));
	if (existing) {
		record = existing->record;
	} else {
		if (records->size() >= IPLB_LB_MAX_VIPS)
			return unexpected(Error{name + ": the mux has " +
						std::to_string(IPLB_LB_MAX_VIPS) +
						" VIPs already"});
		uint32_t id = 0;
		while (used_ids.count(id))
			id++;
		record.id = id;
		record.buckets = bucket_count;
		for (uint32_t s = 0; s < 2; s++) {
			auto base =
				first_fit(used_buckets, bucket_count, IPLB_LB_MAX_BUCKET_ENTRIES);
			if (!base)
				return unexpected(Error{
					name + ": no room for " + std::to_string(bucket_count) +
					" more buckets (the mux holds " +
					std::to_string(IPLB_LB_MAX_BUCKET_ENTRIES / 2) +
					" in all)"});
			record.base[s] = *base;
			used_buckets.push_back({*base, *base + bucket_count});
		}
		auto counter_base =
			first_fit(used_counters, bucket_count, IPLB_LB_MAX_BUCKET_COUNTERS);
		if (!counter_base)
			return unexpected(Error{name + ": no room for its bucket counters"});
		record.counter_base = *counter_base;
		// Never active: slot 1 stands for the active one (empty, of
		// generation 0), slot 0 is staged.
		record.active = 1;
		record.flags = dips_v6 ? IPLB_VIP_DIPS_V6 : 0;
	}
	const uint32_t slot = 1 - (record.active & 1);

	// 0. A version staged before is being replaced: unstage it first, so
	// that a half-written slot is never one that can be activated.
	if (existing && only_staged) {
		if (bpf_map_delete_elem(fds_.vips.get(), &staged_key) != 0)
			return unexpected(os_error("cannot unstage " + name, errno));
	} else if (existing && staged_slot(plain_key, record)) {
		record.generation[slot] = record.generation[record.active & 1];
		if (bpf_map_update_elem(fds_.vips.get(), &plain_key, &record, BPF_EXIST) != 0)
			return unexpected(os_error("cannot unstage " + name, errno));
	}
	// 1. The DIP entries the new version adds (no installed or staged map
	// names them).
	for (const auto &[index, address] : new_dips) {
		uint32_t at = index;
		union iplb_addr addr;
		address_words(address, addr.v6);
		if (bpf_map_update_elem(fds_.dips.get(), &at, &addr, BPF_ANY) != 0)
			return unexpected(
				os_error("cannot write DIP " + to_string(address), errno));
	}
	// 2. The buckets, into the slot packets do not read.
	std::vector<uint32_t> keys(bucket_count);
	std::vector<iplb_mux_bucket> values(bucket_count);
	for (uint32_t i = 0; i < bucket_count; i++) {
		const LbBucketEntry &b = next.buckets[i];
		keys[i] = record.base[slot] + i;
		values[i] = {static_cast<__u16>(b.dip ? dip_index.at(*b.dip) : 0),
			     static_cast<__u16>(b.previous ? dip_index.at(*b.previous) : 0),
			     b.changed_at};
	}
	uint32_t count = bucket_count;
	if (bpf_map_update_batch(fds_.buckets.get(), keys.data(), values.data(), &count, nullptr) !=
	    0)
		return unexpected(os_error("cannot write the buckets of " + name, errno));
	// 3. The pool it was made from, and the former backends it still names;
	// with its family, which the record takes on at the flip.
	iplb_lb_pool pool;
	std::memset(&pool, 0, sizeof(pool));
	pool.flags = (dips_v6 ? IPLB_VIP_DIPS_V6 : 0) |
		     (next.mptcp == MuxMptcpMode::token ? IPLB_VIP_MPTCP_TOKEN : 0) |
		     (next.mptcp == MuxMptcpMode::port ? IPLB_VIP_MPTCP_PORT : 0);
	for (const IpAddress &a : named) {
		iplb_lb_backend &b = pool.backend[pool.backends++];
		b.dip = dip_index.at(a);
		b.state = IPLB_BACKEND_FORMER;
	}
	for (size_t i = 0; i < in_pool; i++) {
		pool.backend[i].weight = next.pool[i].weight;
		pool.backend[i].state = static_cast<__u8>(next.pool[i].state);
		if (next.mptcp == MuxMptcpMode::port)
			pool.backend[i].mptcp_port = next.pool[i].mptcp_port;
	}
	const uint32_t pool_index = record.id * 2 + slot;
	if (bpf_map_update_elem(fds_.pools.get(), &pool_index, &pool, BPF_ANY) != 0)
		return unexpected(os_error("cannot write the pool of " + name, errno));
	// 3b. Its backends' MPTCP ports, before any flip: a backend announces
	// its port once the version is committed, which may be before this mux
	// flips. The active version's stay until the flip (activate).
	for (size_t i = 0; i < in_pool; i++) {
		if (!(pool.flags & IPLB_VIP_MPTCP_PORT) || pool.backend[i].mptcp_port == 0)
			continue;
		const iplb_vip_key key =
			key_of(VipKey{vip.address, IPPROTO_TCP, pool.backend[i].mptcp_port});
		iplb_mux_port value;
		std::memset(&value, 0, sizeof(value));
		value.to = target_of(next.pool[i].dip);
		value.vip_id = record.id;
		if (bpf_map_update_elem(fds_.ports.get(), &key, &value, BPF_ANY) != 0)
			return unexpected(os_error(
				"cannot write MPTCP port " +
					std::to_string(pool.backend[i].mptcp_port) + " of " + name,
				errno));
	}
	if (auto noted = note_ports(); !noted)
		return noted;

	// 4. Staged: the record names the slot's generation, packets still
	// read the other slot (or, never active, do not find the record).
	record.generation[slot] = next.generation;
	if (existing && !only_staged) {
		if (bpf_map_update_elem(fds_.vips.get(), &plain_key, &record, BPF_EXIST) != 0)
			return unexpected(os_error("cannot stage the new map of " + name, errno));
		return ok();
	}
	record.flags = pool.flags;
	if (bpf_map_update_elem(fds_.vips.get(), &staged_key, &record, BPF_NOEXIST) != 0)
		return unexpected(os_error("cannot stage " + name, errno));
	return ok();
}

Status MuxMaps::activate(const VipKey &vip, uint32_t generation)
{
	const std::string name = to_string(vip);
	const iplb_vip_key plain_key = key_of(vip), staged_key = staged_key_of(vip);
	int error = 0;
	auto record = lookup_record(fds_.vips.get(), plain_key, error);
	if (error)
		return unexpected(os_error("cannot read " + name, error));
	const bool only_staged = !record;
	if (only_staged) {
		record = lookup_record(fds_.vips.get(), staged_key, error);
		if (error)
			return unexpected(os_error("cannot read " + name, error));
		if (!record)
			return unexpected(Error{name + ": cannot activate generation " +
						std::to_string(generation) +
						": no such VIP, active or staged"});
	}
	const uint32_t active = record->active & 1;
	const auto staged = staged_slot(only_staged ? staged_key : plain_key, *record);
	if (!only_staged && record->generation[active] == generation)
		return ok(); // done before: a controller may repeat itself
	if (!staged || record->generation[*staged] != generation)
		return unexpected(Error{name + ": cannot activate generation " +
					std::to_string(generation) + ": active " +
					(only_staged ? std::string("none")
						     : std::to_string(record->generation[active])) +
					", staged " +
					(staged ? std::to_string(record->generation[*staged])
						: std::string("none"))});

	auto pool = read_pool(fds_.pools.get(), record->id, *staged);
	if (!pool)
		return unexpected(pool.error());
	record->active = *staged;
	record->flags = pool->flags & IPLB_VIP_MAP_FLAGS;
	if (!only_staged) {
		// The flip: one update of the VIP's record (slot, flags and
		// generation together).
		if (bpf_map_update_elem(fds_.vips.get(), &plain_key, &*record, BPF_EXIST) != 0)
			return unexpected(
				os_error("cannot switch " + name + " to its new map", errno));
		return keep_ports(vip, record->id, *pool);
	}
	// A new VIP: its counters from zero, then the VIP (moved from its staged
	// key: removed first, as the VIP table has room for one record per id),
	// then its address.
	if (auto s = zero_per_cpu<iplb_mux_vip_counters>(fds_.vip_counters.get(), record->id); !s)
		return s;
	for (uint32_t i = 0; i < record->buckets; i++)
		if (auto s = zero_per_cpu<uint64_t>(fds_.bucket_counters.get(),
						    record->counter_base + i);
		    !s)
			return s;
	iplb_mux_vip was = *record;
	was.active = 1 - *staged;
	if (bpf_map_delete_elem(fds_.vips.get(), &staged_key) != 0)
		return unexpected(os_error("cannot activate " + name, errno));
	if (bpf_map_update_elem(fds_.vips.get(), &plain_key, &*record, BPF_NOEXIST) != 0) {
		const int failed = errno;
		bpf_map_update_elem(fds_.vips.get(), &staged_key, &was, BPF_NOEXIST);
		return unexpected(os_error("cannot add " + name, failed));
	}
	const iplb_vip_address address = address_key(vip.address);
	uint32_t users = 0;
	bpf_map_lookup_elem(fds_.addresses.get(), &address, &users);
	users++;
	if (bpf_map_update_elem(fds_.addresses.get(), &address, &users, BPF_ANY) != 0)
		return unexpected(os_error("cannot add the address of " + name, errno));
	return keep_ports(vip, record->id, *pool);
}

Status MuxMaps::note_ports()
{
	iplb_vip_key first;
	const bool any = bpf_map_get_next_key(fds_.ports.get(), nullptr, &first) == 0;
	iplb_mux_config config{};
	if (bpf_map_lookup_elem(fds_.config.get(), &zero_key, &config) != 0)
		return unexpected(os_error("cannot read the mux config", errno));
	if (any == bool(config.flags & IPLB_MUX_PORTS))
		return ok();
	config.flags = any ? config.flags | IPLB_MUX_PORTS : config.flags & ~IPLB_MUX_PORTS;
	if (bpf_map_update_elem(fds_.config.get(), &zero_key, &config, BPF_ANY) != 0)
		return unexpected(os_error("cannot write the mux config", errno));
	return ok();
}

Status MuxMaps::keep_ports(const VipKey &vip, uint32_t id, const iplb_lb_pool &pool)
{
	std::set<uint16_t> kept;
	if (pool.flags & IPLB_VIP_MPTCP_PORT)
		for (uint32_t i = 0; i < std::min<uint32_t>(pool.backends, IPLB_LB_MAX_BACKENDS);
		     i++)
			if (pool.backend[i].state != IPLB_BACKEND_FORMER &&
			    pool.backend[i].mptcp_port)
				kept.insert(pool.backend[i].mptcp_port);
	auto all = entries<iplb_vip_key, iplb_mux_port>(fds_.ports.get(), "the MPTCP ports");
	if (!all)
		return unexpected(all.error());
	for (const auto &[key, port] : *all) {
		if (port.vip_id != id || kept.contains(ntohs(key.port)))
			continue;
		if (bpf_map_delete_elem(fds_.ports.get(), &key) != 0 && errno != ENOENT)
			return unexpected(os_error("cannot delete MPTCP port " +
							   std::to_string(ntohs(key.port)) +
							   " of " + to_string(vip),
						   errno));
	}
	return note_ports();
}

Result<std::map<VipKey, IpAddress>, Error> MuxMaps::mptcp_ports() const
{
	auto all = entries<iplb_vip_key, iplb_mux_port>(fds_.ports.get(), "the MPTCP ports");
	if (!all)
		return unexpected(all.error());
	std::map<VipKey, IpAddress> out;
	for (const auto &[key, port] : *all)
		out.emplace(vip_of(key), dip_of(port.to));
	return out;
}

Status MuxMaps::install(const VipKey &vip, const LbMapVersion &next)
{
	if (auto s = stage(vip, next); !s)
		return s;
	return activate(vip, next.generation);
}

Result<std::optional<uint32_t>, Error> MuxMaps::staged_generation(const VipKey &vip) const
{
	for (const iplb_vip_key &key : {key_of(vip), staged_key_of(vip)}) {
		int error = 0;
		auto record = lookup_record(fds_.vips.get(), key, error);
		if (error)
			return unexpected(os_error("cannot read " + to_string(vip), error));
		if (!record)
			continue;
		if (auto slot = staged_slot(key, *record))
			return std::optional<uint32_t>{record->generation[*slot]};
		return std::optional<uint32_t>{};
	}
	return std::optional<uint32_t>{};
}

Result<std::map<VipKey, VipGenerations>, Error> MuxMaps::generations() const
{
	auto records = vip_records(fds_.vips.get());
	if (!records)
		return unexpected(records.error());
	std::map<VipKey, VipGenerations> out;
	std::set<VipKey> active; // those with a plain record
	for (const VipRecord &r : *records) {
		const VipKey vip = vip_of(r.key); // without the staged bit
		const auto slot = staged_slot(r.key, r.record);
		const std::optional<uint32_t> staged =
			slot ? std::optional<uint32_t>(r.record.generation[*slot]) : std::nullopt;
		if (is_staged_key(r.key)) {
			// Never both records (activate drops this one before it
			// adds the plain one); were both there, the plain one
			// is what packets read.
			if (!active.count(vip))
				out[vip] = {0, staged};
			continue;
		}
		active.insert(vip);
		out[vip] = {r.record.generation[r.record.active & 1], staged};
	}
	return out;
}

Status MuxMaps::remove(const VipKey &vip)
{
	// Its MPTCP ports first: a port must not outlive its VIP, whose id
	// another VIP may take.
	for (const iplb_vip_key &key : {key_of(vip), staged_key_of(vip)}) {
		int error = 0;
		auto record = lookup_record(fds_.vips.get(), key, error);
		if (error)
			return unexpected(os_error("cannot read " + to_string(vip), error));
		if (!record)
			continue;
		iplb_lb_pool none;
		std::memset(&none, 0, sizeof(none));
		if (auto kept = keep_ports(vip, record->id, none); !kept)
			return kept;
	}
	// Staged and never active: only its staged record to drop.
	const iplb_vip_key staged_key = staged_key_of(vip);
	const bool was_staged = bpf_map_delete_elem(fds_.vips.get(), &staged_key) == 0;
	if (!was_staged && errno != ENOENT)
		return unexpected(os_error("cannot delete " + to_string(vip), errno));
	const iplb_vip_key key = key_of(vip);
	if (bpf_map_delete_elem(fds_.vips.get(), &key) != 0) {
		if (errno == ENOENT)
			return was_staged ? ok() : unexpected(Error{"no VIP " + to_string(vip)});
		return unexpected(os_error("cannot delete " + to_string(vip), errno));
	}
	const iplb_vip_address address = address_key(vip.address);
	uint32_t users = 0;
	if (bpf_map_lookup_elem(fds_.addresses.get(), &address, &users) == 0) {
		if (users <= 1)
			bpf_map_delete_elem(fds_.addresses.get(), &address);
		else if (users--, bpf_map_update_elem(fds_.addresses.get(), &address, &users,
						      BPF_EXIST) != 0)
			return unexpected(
				os_error("cannot update the address of " + to_string(vip), errno));
	}
	return ok();
}

namespace {

Result<InstalledVip, Error> read_vip(int buckets_fd, int dips_fd, int pools_fd,
				     const iplb_vip_key &key, const iplb_mux_vip &record)
{
	InstalledVip out;
	out.key = vip_of(key);
	out.id = record.id;
	out.active_slot = record.active & 1;
	out.map.generation = record.generation[out.active_slot];
	if (record.generation[1 - out.active_slot] > out.map.generation)
		out.staged = record.generation[1 - out.active_slot];
	const bool v6 = record.flags & IPLB_VIP_DIPS_V6;
	out.map.mptcp = record.flags & IPLB_VIP_MPTCP_TOKEN  ? MuxMptcpMode::token
			: record.flags & IPLB_VIP_MPTCP_PORT ? MuxMptcpMode::port
							     : MuxMptcpMode::none;
	std::map<uint16_t, IpAddress> dips;
	auto dip = [&](uint16_t index) -> Result<std::optional<IpAddress>, Error> {
		if (index == 0)
			return std::optional<IpAddress>{};
		if (auto found = dips.find(index); found != dips.end())
			return std::optional<IpAddress>{found->second};
		uint32_t at = index;
		union iplb_addr addr;
		if (bpf_map_lookup_elem(dips_fd, &at, &addr) != 0)
			return unexpected(os_error("cannot read DIP " + std::to_string(at), errno));
		const IpAddress a = address_of(addr.v6, v6);
		dips.emplace(index, a);
		return std::optional<IpAddress>{a};
	};
	auto pool = read_pool(pools_fd, record.id, out.active_slot);
	if (!pool)
		return unexpected(pool.error());
	for (uint32_t i = 0; i < std::min<uint32_t>(pool->backends, IPLB_LB_MAX_BACKENDS); i++) {
		const iplb_lb_backend &b = pool->backend[i];
		if (b.state == IPLB_BACKEND_FORMER)
			continue;
		auto a = dip(b.dip);
		if (!a)
			return unexpected(a.error());
		if (*a)
			out.map.pool.push_back({**a, b.weight, static_cast<LbBackendState>(b.state),
						b.mptcp_port});
	}
	out.map.buckets.reserve(record.buckets);
	for (uint32_t i = 0; i < record.buckets; i++) {
		uint32_t at = record.base[out.active_slot] + i;
		iplb_mux_bucket b;
		if (bpf_map_lookup_elem(buckets_fd, &at, &b) != 0)
			return unexpected(
				os_error("cannot read bucket " + std::to_string(at), errno));
		auto owner = dip(b.dip);
		auto previous = dip(b.previous);
		if (!owner)
			return unexpected(owner.error());
		if (!previous)
			return unexpected(previous.error());
		out.map.buckets.push_back({*owner, *previous, b.changed_at});
	}
	return out;
}

} // namespace

Result<std::optional<InstalledVip>, Error> MuxMaps::vip(const VipKey &wanted) const
{
	const iplb_vip_key key = key_of(wanted);
	iplb_mux_vip record;
	if (bpf_map_lookup_elem(fds_.vips.get(), &key, &record) != 0) {
		if (errno == ENOENT)
			return std::optional<InstalledVip>{};
		return unexpected(os_error("cannot read " + to_string(wanted), errno));
	}
	auto out = read_vip(fds_.buckets.get(), fds_.dips.get(), fds_.pools.get(), key, record);
	if (!out)
		return unexpected(out.error());
	return std::optional<InstalledVip>{std::move(*out)};
}

Result<std::vector<InstalledVip>, Error> MuxMaps::vips() const
{
	auto records = vip_records(fds_.vips.get());
	if (!records)
		return unexpected(records.error());
	std::vector<InstalledVip> out;
	for (const VipRecord &r : *records) {
		if (is_staged_key(r.key))
			continue; // not a VIP yet: its packets pass
		auto one = read_vip(fds_.buckets.get(), fds_.dips.get(), fds_.pools.get(), r.key,
				    r.record);
		if (!one)
			return unexpected(one.error());
		out.push_back(std::move(*one));
	}
	std::sort(out.begin(), out.end(),
		  [](const InstalledVip &a, const InstalledVip &b) { return a.key < b.key; });
	return out;
}

Result<iplb_mux_counters, Error> MuxMaps::counters() const
{
	return sum_per_cpu<iplb_mux_counters>(fds_.counters.get(), 0);
}

Result<iplb_mux_vip_counters, Error> MuxMaps::vip_counters(uint32_t id) const
{
	return sum_per_cpu<iplb_mux_vip_counters>(fds_.vip_counters.get(), id);
}

Result<std::vector<uint64_t>, Error> MuxMaps::bucket_counters(const VipKey &wanted) const
{
	const iplb_vip_key key = key_of(wanted);
	iplb_mux_vip record;
	if (bpf_map_lookup_elem(fds_.vips.get(), &key, &record) != 0)
		return unexpected(Error{"no VIP " + to_string(wanted)});
	std::vector<uint64_t> out;
	out.reserve(record.buckets);
	for (uint32_t i = 0; i < record.buckets; i++) {
		auto packets =
			sum_per_cpu<uint64_t>(fds_.bucket_counters.get(), record.counter_base + i);
		if (!packets)
			return unexpected(packets.error());
		out.push_back(*packets);
	}
	return out;
}

// --- MPTCP token mode -------------------------------------------------------

namespace {

Result<iplb_subflow_key, Error> subflow_key_of(const SubflowKey &subflow)
{
	if (is_v6(subflow.client) != is_v6(subflow.vip))
		return unexpected(Error{"subflow " + to_string(subflow) +
					": the client and the VIP are of two families"});
	iplb_subflow_key key;
	std::memset(&key, 0, sizeof(key));
	address_words(subflow.client, key.saddr);
	address_words(subflow.vip, key.daddr);
	key.sport = htons(subflow.client_port);
	key.dport = htons(subflow.vip_port);
	key.v6 = is_v6(subflow.vip);
	return key;
}

SubflowKey subflow_of(const iplb_subflow_key &key)
{
	return {address_of(key.saddr, key.v6 & 1), ntohs(key.sport),
		address_of(key.daddr, key.v6 & 1), ntohs(key.dport)};
}

std::string token_name(uint32_t token)
{
	char hex[9];
	std::snprintf(hex, sizeof(hex), "%08x", token);
	return std::string("token ") + hex;
}

} // namespace

Status MuxMaps::set_token(uint32_t token, const IpAddress &dip)
{
	const iplb_mux_target target = target_of(dip);
	if (bpf_map_update_elem(fds_.tokens.get(), &token, &target, BPF_ANY) != 0)
		return unexpected(os_error("cannot write " + token_name(token), errno));
	return ok();
}

Status MuxMaps::remove_token(uint32_t token)
{
	if (bpf_map_delete_elem(fds_.tokens.get(), &token) != 0 && errno != ENOENT)
		return unexpected(os_error("cannot delete " + token_name(token), errno));
	return ok();
}

Result<std::map<uint32_t, IpAddress>, Error> MuxMaps::tokens() const
{
	auto all = entries<uint32_t, iplb_mux_target>(fds_.tokens.get(), "the MPTCP tokens");
	if (!all)
		return unexpected(all.error());
	std::map<uint32_t, IpAddress> out;
	for (const auto &[token, target] : *all)
		out.emplace(token, dip_of(target));
	return out;
}

Status MuxMaps::set_subflow(const SubflowKey &subflow, const IpAddress &dip)
{
	auto key = subflow_key_of(subflow);
	if (!key)
		return unexpected(key.error());
	const iplb_mux_target target = target_of(dip);
	if (bpf_map_update_elem(fds_.subflows.get(), &*key, &target, BPF_ANY) != 0)
		return unexpected(os_error("cannot write subflow " + to_string(subflow), errno));
	return ok();
}

Status MuxMaps::remove_subflow(const SubflowKey &subflow)
{
	auto key = subflow_key_of(subflow);
	if (!key)
		return unexpected(key.error());
	if (bpf_map_delete_elem(fds_.subflows.get(), &*key) != 0 && errno != ENOENT)
		return unexpected(os_error("cannot delete subflow " + to_string(subflow), errno));
	return ok();
}

Result<std::map<SubflowKey, IpAddress>, Error> MuxMaps::subflows() const
{
	auto all = entries<iplb_subflow_key, iplb_mux_target>(fds_.subflows.get(),
							      "the MPTCP subflows");
	if (!all)
		return unexpected(all.error());
	std::map<SubflowKey, IpAddress> out;
	for (const auto &[key, target] : *all)
		out.emplace(subflow_of(key), dip_of(target));
	return out;
}

struct TokenMisses::Ring {
	struct Free {
		void operator()(ring_buffer *ring) const { ring_buffer__free(ring); }
	};
	std::unique_ptr<ring_buffer, Free> ring;
	std::vector<TokenMiss> read; // filled by the callback during consume
};

TokenMisses::TokenMisses(std::unique_ptr<Ring> ring) : ring_(std::move(ring)) {}
TokenMisses::TokenMisses(TokenMisses &&) noexcept = default;
TokenMisses &TokenMisses::operator=(TokenMisses &&) noexcept = default;
TokenMisses::~TokenMisses() = default;

Result<TokenMisses, Error> TokenMisses::open(const MuxMaps &maps)
{
	auto ring = std::make_unique<Ring>();
	auto on_record = [](void *context, void *data, size_t size) -> int {
		auto *r = static_cast<Ring *>(context);
		if (size < sizeof(iplb_mux_token_miss))
			return 0; // the program writes none shorter
		iplb_mux_token_miss miss;
		std::memcpy(&miss, data, sizeof(miss));
		TokenMiss out{miss.token, miss.vip_id, miss.ifindex, miss.rx_queue, {}};
		if (miss.frame_len <= sizeof(miss.frame))
			out.frame.assign(miss.frame, miss.frame + miss.frame_len);
		r->read.push_back(std::move(out));
		return 0;
	};
	ring->ring.reset(ring_buffer__new(maps.token_misses_fd(), on_record, ring.get(), nullptr));
	if (!ring->ring)
		return unexpected(os_error("cannot read the mux's token misses", errno));
	return TokenMisses(std::move(ring));
}

int TokenMisses::fd() const
{
	return ring_buffer__epoll_fd(ring_->ring.get());
}

Result<std::vector<TokenMiss>, Error> TokenMisses::read()
{
	ring_->read.clear();
	if (int rc = ring_buffer__consume(ring_->ring.get()); rc < 0)
		return unexpected(os_error("cannot read the mux's token misses", -rc));
	return std::move(ring_->read);
}

Status replay_frame(int prog_fd, std::span<const uint8_t> frame, uint32_t ifindex,
		    uint32_t rx_queue)
{
	if (frame.empty())
		return unexpected(Error{"replaying a join: no frame kept"});
	xdp_md ctx{};
	ctx.data_end = static_cast<uint32_t>(frame.size());
	ctx.ingress_ifindex = ifindex;
	ctx.rx_queue_index = rx_queue;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
		    .data_size_in = static_cast<uint32_t>(frame.size()), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	if (bpf_prog_test_run_opts(prog_fd, &opts) != 0)
		return unexpected(os_error("cannot replay a join through the mux program", errno));
	return ok();
}

// --- MuxProgram -------------------------------------------------------------

void MuxProgram::Close::operator()(iplb_mux *skeleton) const
{
	iplb_mux__destroy(skeleton);
}

Result<MuxProgram, Error> MuxProgram::make(std::optional<PinDir> pins)
{
	if (pins) {
		// Refuse pins of another layout before libbpf tries to reuse them.
		if (auto config = pinned_map(*pins, "iplb_mux_config")) {
			iplb_mux_config c{};
			if (bpf_map_lookup_elem(config->get(), &zero_key, &c) == 0 &&
			    c.layout_version && c.layout_version != IPLB_LB_LAYOUT_VERSION)
				return unexpected(
					layout_error(pins->path, "mux maps", c.layout_version));
		}
	}
	VerifierLog log;
	std::unique_ptr<iplb_mux, Close> skeleton(iplb_mux__open_opts(log.opts()));
	if (!skeleton)
		return unexpected(load_error("the mux program", -errno));
	if (pins)
		pin_maps(skeleton.get(), *pins);
	if (int rc = iplb_mux__load(skeleton.get()); rc != 0)
		return unexpected(refused(load_error("the mux program", rc), log));
	const auto &m = skeleton->maps;
	MuxMaps maps(MuxMaps::Fds{dup_fd(m.iplb_mux_vips), dup_fd(m.iplb_mux_addresses),
				  dup_fd(m.iplb_mux_buckets), dup_fd(m.iplb_mux_dips),
				  dup_fd(m.iplb_mux_config), dup_fd(m.iplb_mux_pools),
				  dup_fd(m.iplb_mux_counters), dup_fd(m.iplb_mux_vip_counters),
				  dup_fd(m.iplb_mux_bucket_counters), dup_fd(m.iplb_mux_tokens),
				  dup_fd(m.iplb_mux_subflows), dup_fd(m.iplb_mux_token_misses),
				  dup_fd(m.iplb_mux_ports)});
	auto version = maps.layout_version();
	if (!version)
		return unexpected(version.error());
	if (*version == 0) {
		iplb_mux_config config{};
		config.layout_version = IPLB_LB_LAYOUT_VERSION;
		if (bpf_map_update_elem(bpf_map__fd(m.iplb_mux_config), &zero_key, &config,
					BPF_ANY) != 0)
			return unexpected(os_error("cannot write the mux config", errno));
	} else if (*version != IPLB_LB_LAYOUT_VERSION) {
		return unexpected(layout_error(pins ? pins->path : "(none)", "mux maps", *version));
	}
	return MuxProgram(std::move(skeleton), std::move(maps), std::move(pins));
}

Result<MuxProgram, Error> MuxProgram::load()
{
	return make(std::nullopt);
}

Result<MuxProgram, Error> MuxProgram::open(const PinDir &dir)
{
	return make(dir);
}

int MuxProgram::prog_fd() const
{
	return bpf_program__fd(skeleton_->progs.iplb_mux);
}

Result<XdpAttachment, Error> MuxProgram::attach(const std::string &ifname)
{
	if (!pins_)
		return unexpected(Error{"a program without pins cannot be attached"});
	const unsigned ifindex = if_nametoindex(ifname.c_str());
	if (ifindex == 0)
		return unexpected(Error{"no interface " + ifname});
	const std::string pin = xdp_pin_path(*pins_, ifname);
	// Attached already: the link's program is replaced in place.
	if (UniqueFd link(bpf_obj_get(pin.c_str())); link) {
		if (bpf_link_update(link.get(), prog_fd(), nullptr) != 0)
			return unexpected(
				os_error("cannot replace the mux program on " + ifname, errno));
		bpf_link_info info{};
		uint32_t length = sizeof(info);
		if (bpf_obj_get_info_by_fd(link.get(), &info, &length) == 0) {
			uint32_t native_id = 0;
			LIBBPF_OPTS(bpf_xdp_query_opts, query);
			if (bpf_xdp_query(static_cast<int>(ifindex), XDP_FLAGS_DRV_MODE, &query) ==
			    0)
				native_id = query.drv_prog_id;
			return XdpAttachment{native_id == info.prog_id ? XdpMode::native
								       : XdpMode::generic};
		}
		return XdpAttachment{};
	}
	int last_error = 0;
	int native_error = 0;
	for (const XdpMode mode : {XdpMode::native, XdpMode::generic}) {
		LIBBPF_OPTS(bpf_link_create_opts, opts);
		opts.flags = mode == XdpMode::native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
		UniqueFd link(
			bpf_link_create(prog_fd(), static_cast<int>(ifindex), BPF_XDP, &opts));
		if (!link) {
			last_error = errno;
			if (mode == XdpMode::native)
				native_error = errno;
			continue;
		}
		if (bpf_obj_pin(link.get(), pin.c_str()) != 0)
			return unexpected(os_error("cannot pin " + pin, errno));
		return XdpAttachment{mode, mode == XdpMode::generic ? native_error : 0};
	}
	return unexpected(os_error("cannot attach the mux program to " + ifname, last_error));
}

// --- BackendMaps ------------------------------------------------------------

Result<BackendMaps, Error> BackendMaps::from_pins(const PinDir &dir)
{
	auto vips = pinned_map(dir, "iplb_backend_vips");
	auto config = pinned_map(dir, "iplb_backend_config");
	auto counters = pinned_map(dir, "iplb_backend_counters");
	for (auto *opened : {&vips, &config, &counters})
		if (!*opened)
			return unexpected(
				Error{opened->error().message +
				      " (no backend in this instance: iplbctl attach backend IF)"});
	BackendMaps maps(std::move(*vips), std::move(*config), std::move(*counters));
	auto version = maps.layout_version();
	if (!version)
		return unexpected(version.error());
	if (*version != IPLB_LB_LAYOUT_VERSION)
		return unexpected(layout_error(dir.path, "backend maps", *version));
	return maps;
}

Result<uint32_t, Error> BackendMaps::layout_version() const
{
	iplb_backend_config config{};
	if (bpf_map_lookup_elem(config_.get(), &zero_key, &config) != 0)
		return unexpected(os_error("cannot read the backend config", errno));
	return config.layout_version;
}

Status BackendMaps::set_config(const BackendConfig &wanted)
{
	iplb_backend_config config{};
	if (bpf_map_lookup_elem(config_.get(), &zero_key, &config) != 0)
		return unexpected(os_error("cannot read the backend config", errno));
	timespec real{}, boot{};
	::clock_gettime(CLOCK_REALTIME, &real);
	::clock_gettime(CLOCK_BOOTTIME, &boot);
	config.daisy_timeout = wanted.daisy_timeout;
	config.clock_offset_ns =
		(real.tv_sec - boot.tv_sec) * 1000000000LL + (real.tv_nsec - boot.tv_nsec);
	if (bpf_map_update_elem(config_.get(), &zero_key, &config, BPF_ANY) != 0)
		return unexpected(os_error("cannot write the backend config", errno));
	return ok();
}

Result<BackendConfig, Error> BackendMaps::config() const
{
	iplb_backend_config config{};
	if (bpf_map_lookup_elem(config_.get(), &zero_key, &config) != 0)
		return unexpected(os_error("cannot read the backend config", errno));
	return BackendConfig{config.daisy_timeout};
}

Status BackendMaps::add_vip(const VipKey &vip)
{
	if (vip.protocol != IPPROTO_TCP && vip.protocol != IPPROTO_UDP)
		return unexpected(Error{to_string(vip) + ": the protocol is tcp or udp"});
	const iplb_vip_key key = key_of(vip);
	const iplb_backend_vip value{};
	if (bpf_map_update_elem(vips_.get(), &key, &value, BPF_NOEXIST) != 0) {
		if (errno == EEXIST)
			return unexpected(Error{"VIP " + to_string(vip) + " is there already"});
		return unexpected(os_error("cannot add " + to_string(vip), errno));
	}
	return ok();
}

Status BackendMaps::remove_vip(const VipKey &vip)
{
	const iplb_vip_key key = key_of(vip);
	if (bpf_map_delete_elem(vips_.get(), &key) != 0) {
		if (errno == ENOENT)
			return unexpected(Error{"no VIP " + to_string(vip)});
		return unexpected(os_error("cannot delete " + to_string(vip), errno));
	}
	return ok();
}

Result<std::vector<std::pair<VipKey, uint32_t>>, Error> BackendMaps::vips() const
{
	auto all = entries<iplb_vip_key, iplb_backend_vip>(vips_.get(), "the VIPs");
	if (!all)
		return unexpected(all.error());
	std::vector<std::pair<VipKey, uint32_t>> out;
	for (const auto &[key, value] : *all)
		out.emplace_back(vip_of(key), value.generation);
	std::sort(out.begin(), out.end());
	return out;
}

Result<iplb_backend_counters, Error> BackendMaps::counters() const
{
	return sum_per_cpu<iplb_backend_counters>(counters_.get(), 0);
}

// --- BackendProgram ---------------------------------------------------------

void BackendProgram::Close::operator()(iplb_backend *skeleton) const
{
	iplb_backend__destroy(skeleton);
}

Result<BackendProgram, Error> BackendProgram::make(std::optional<PinDir> pins)
{
	if (pins) {
		if (auto config = pinned_map(*pins, "iplb_backend_config")) {
			iplb_backend_config c{};
			if (bpf_map_lookup_elem(config->get(), &zero_key, &c) == 0 &&
			    c.layout_version && c.layout_version != IPLB_LB_LAYOUT_VERSION)
				return unexpected(
					layout_error(pins->path, "backend maps", c.layout_version));
		}
	}
	VerifierLog log;
	std::unique_ptr<iplb_backend, Close> skeleton(iplb_backend__open_opts(log.opts()));
	if (!skeleton)
		return unexpected(load_error("the backend program", -errno));
	if (pins)
		pin_maps(skeleton.get(), *pins);
	if (int rc = iplb_backend__load(skeleton.get()); rc != 0)
		return unexpected(refused(load_error("the backend program", rc), log));
	const auto &m = skeleton->maps;
	BackendMaps maps(dup_fd(m.iplb_backend_vips), dup_fd(m.iplb_backend_config),
			 dup_fd(m.iplb_backend_counters));
	auto version = maps.layout_version();
	if (!version)
		return unexpected(version.error());
	if (*version == 0) {
		iplb_backend_config config{};
		config.layout_version = IPLB_LB_LAYOUT_VERSION;
		config.daisy_timeout = BackendConfig{}.daisy_timeout;
		if (bpf_map_update_elem(bpf_map__fd(m.iplb_backend_config), &zero_key, &config,
					BPF_ANY) != 0)
			return unexpected(os_error("cannot write the backend config", errno));
	} else if (*version != IPLB_LB_LAYOUT_VERSION) {
		return unexpected(
			layout_error(pins ? pins->path : "(none)", "backend maps", *version));
	}
	// The program's clock, from the start.
	auto current = maps.config();
	if (!current)
		return unexpected(current.error());
	if (auto s = maps.set_config(*current); !s)
		return unexpected(s.error());
	return BackendProgram(std::move(skeleton), std::move(maps), std::move(pins));
}

Result<BackendProgram, Error> BackendProgram::load()
{
	return make(std::nullopt);
}

Result<BackendProgram, Error> BackendProgram::open(const PinDir &dir)
{
	return make(dir);
}

int BackendProgram::prog_fd() const
{
	return bpf_program__fd(skeleton_->progs.iplb_backend_ingress);
}

Status BackendProgram::attach(const std::string &ifname)
{
	if (!pins_)
		return unexpected(Error{"a program without pins cannot be attached"});
	return attach_tcx(prog_fd(), ifname, TcxDirection::ingress,
			  tcx_pin_path(pins_->path, "backend", TcxDirection::ingress, ifname));
}

} // namespace iplb
