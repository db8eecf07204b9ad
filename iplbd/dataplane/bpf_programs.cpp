// SPDX-License-Identifier: GPL-2.0-or-later
#include "dataplane/bpf_programs.hpp"

#include "iplb_host.skel.h"
#include "iplb_relay.skel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace iplb {
namespace {

Error os_error(const std::string &what, int err)
{
	// libbpf returns -errno, and sets errno too.
	if (err < 0)
		err = -err;
	return Error{what + ": " + std::strerror(err)};
}

Error load_error(const char *program, int err)
{
	Error e = os_error(std::string("cannot load ") + program, err);
	if (err == -EPERM || err == EPERM)
		e.message += " (loading eBPF programs needs root or CAP_BPF+CAP_NET_ADMIN)";
	return e;
}

iplb_v4_key key_of(const Ipv4Prefix &prefix)
{
	return {prefix.length, htonl(prefix.address.value)};
}

// Per-CPU values, summed element-wise: every field is a __u64 counter.
template <typename Counters>
Result<Counters, Error> sum_per_cpu(const bpf_map *map, uint32_t index)
{
	static_assert(sizeof(Counters) % sizeof(uint64_t) == 0);
	const int cpus = libbpf_num_possible_cpus();
	if (cpus <= 0)
		return unexpected(os_error("cannot count CPUs", cpus));
	std::vector<Counters> per_cpu(static_cast<size_t>(cpus));
	if (int rc = bpf_map__lookup_elem(map, &index, sizeof(index), per_cpu.data(),
					  per_cpu.size() * sizeof(Counters), 0);
	    rc != 0)
		return unexpected(os_error("cannot read counters " + std::to_string(index), rc));
	// Through memcpy: the fields are __u64 (unsigned long long), not
	// uint64_t, and reading one through the other is undefined.
	constexpr size_t fields = sizeof(Counters) / sizeof(uint64_t);
	std::array<uint64_t, fields> sum{};
	for (const Counters &c : per_cpu) {
		std::array<uint64_t, fields> one;
		std::memcpy(one.data(), &c, sizeof(c));
		for (size_t i = 0; i < fields; i++)
			sum[i] += one[i];
	}
	Counters total;
	std::memcpy(&total, sum.data(), sizeof(total));
	return total;
}

} // namespace

void HostProgram::Close::operator()(iplb_host *skeleton) const
{
	iplb_host__destroy(skeleton);
}

Result<HostProgram, Error> HostProgram::load()
{
	iplb_host *skeleton = iplb_host__open_and_load();
	if (!skeleton)
		return unexpected(load_error("the host program", -errno));
	HostProgram program{std::unique_ptr<iplb_host, Close>(skeleton)};
	if (auto s = program.set_config(std::nullopt, false); !s)
		return unexpected(s.error());
	return program;
}

int HostProgram::prog_fd() const
{
	return bpf_program__fd(skeleton_->progs.iplb_host_egress);
}

Status HostProgram::set_config(std::optional<Ipv4> source, bool fib_redirect)
{
	iplb_config config;
	std::memset(&config, 0, sizeof(config));
	config.layout_version = IPLB_LAYOUT_VERSION;
	config.source_v4 = source ? htonl(source->value) : 0;
	config.flags = fib_redirect ? IPLB_CONFIG_FIB_REDIRECT : 0;
	const uint32_t zero = 0;
	if (int rc = bpf_map__update_elem(skeleton_->maps.iplb_config, &zero, sizeof(zero), &config,
					  sizeof(config), BPF_ANY);
	    rc != 0)
		return unexpected(os_error("cannot write the datapath config", rc));
	return ok();
}

Status HostProgram::put_route(const Ipv4Prefix &prefix, const iplb_route &record)
{
	const iplb_v4_key key = key_of(prefix);
	if (int rc = bpf_map__update_elem(skeleton_->maps.iplb_routes_v4, &key, sizeof(key),
					  &record, sizeof(record), BPF_ANY);
	    rc != 0)
		return unexpected(os_error("cannot write " + to_string(prefix), rc));
	return ok();
}

Status HostProgram::delete_route(const Ipv4Prefix &prefix)
{
	const iplb_v4_key key = key_of(prefix);
	if (int rc = bpf_map__delete_elem(skeleton_->maps.iplb_routes_v4, &key, sizeof(key), 0);
	    rc != 0)
		return unexpected(os_error("cannot delete " + to_string(prefix), rc));
	return ok();
}

Result<std::optional<iplb_route>, Error> HostProgram::route(const Ipv4Prefix &prefix) const
{
	const iplb_v4_key key = key_of(prefix);
	iplb_route record;
	const int rc = bpf_map__lookup_elem(skeleton_->maps.iplb_routes_v4, &key, sizeof(key),
					    &record, sizeof(record), 0);
	if (rc == -ENOENT)
		return std::optional<iplb_route>{};
	if (rc != 0)
		return unexpected(os_error("cannot read " + to_string(prefix), rc));
	return std::optional<iplb_route>{record};
}

Result<iplb_counters, Error> HostProgram::route_counters(uint32_t id) const
{
	return sum_per_cpu<iplb_counters>(skeleton_->maps.iplb_route_counters, id);
}

Result<iplb_list_counters, Error> HostProgram::list_counters(uint32_t id, uint32_t list) const
{
	return sum_per_cpu<iplb_list_counters>(skeleton_->maps.iplb_list_counters,
					       id * IPLB_MAX_LISTS + list);
}

void RelayProgram::Close::operator()(iplb_relay *skeleton) const
{
	iplb_relay__destroy(skeleton);
}

Result<RelayProgram, Error> RelayProgram::load()
{
	iplb_relay *skeleton = iplb_relay__open_and_load();
	if (!skeleton)
		return unexpected(load_error("the relay program", -errno));
	return RelayProgram{std::unique_ptr<iplb_relay, Close>(skeleton)};
}

int RelayProgram::prog_fd() const
{
	return bpf_program__fd(skeleton_->progs.iplb_relay_ingress);
}

Status RelayProgram::add_local(Ipv4 address)
{
	const uint32_t key = htonl(address.value);
	const uint8_t present = 1;
	if (int rc = bpf_map__update_elem(skeleton_->maps.iplb_local_v4, &key, sizeof(key),
					  &present, sizeof(present), BPF_ANY);
	    rc != 0)
		return unexpected(os_error("cannot add relay address " + to_string(address), rc));
	return ok();
}

Status RelayProgram::remove_local(Ipv4 address)
{
	const uint32_t key = htonl(address.value);
	if (int rc = bpf_map__delete_elem(skeleton_->maps.iplb_local_v4, &key, sizeof(key), 0);
	    rc != 0)
		return unexpected(
			os_error("cannot remove relay address " + to_string(address), rc));
	return ok();
}

Result<iplb_relay_counters, Error> RelayProgram::counters() const
{
	return sum_per_cpu<iplb_relay_counters>(skeleton_->maps.iplb_relay_counters, 0);
}

Result<TestRun, Error> test_run(int prog_fd, std::span<const uint8_t> frame)
{
	// Room for the most a program adds: every relay's header.
	std::vector<uint8_t> out(frame.size() + IPLB_MAX_RELAYS * 40 + 64);
	bpf_test_run_opts opts;
	std::memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.data_in = frame.data();
	opts.data_size_in = static_cast<uint32_t>(frame.size());
	opts.data_out = out.data();
	opts.data_size_out = static_cast<uint32_t>(out.size());
	opts.repeat = 1;
	if (int rc = bpf_prog_test_run_opts(prog_fd, &opts); rc != 0)
		return unexpected(os_error("BPF_PROG_TEST_RUN", rc));
	out.resize(opts.data_size_out);
	return TestRun{static_cast<int>(opts.retval), std::move(out)};
}

} // namespace iplb
