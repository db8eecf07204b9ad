// SPDX-License-Identifier: GPL-2.0-or-later
// What the loaders of kernel/'s programs share (bpf_programs.cpp,
// lb_programs.cpp): errors from libbpf, the verifier's log, map descriptors
// and pins, per-CPU counters. Internal to iplbd/datapath/.
#pragma once

#include "datapath/pin_dir.hpp"
#include "util/ipv4.hpp"
#include "util/ipv6.hpp"
#include "util/result.hpp"
#include "util/status.hpp"
#include "util/unique_fd.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iplb::bpf_detail {

inline Error os_error(const std::string &what, int err)
{
	// libbpf returns -errno, and sets errno too.
	return Error{what + ": " + std::strerror(err < 0 ? -err : err)};
}

inline Error load_error(const char *program, int err)
{
	Error e = os_error(std::string("cannot load ") + program, err);
	if (err == -EPERM || err == EPERM)
		e.message += " (loading eBPF programs needs root or CAP_BPF+CAP_NET_ADMIN)";
	return e;
}

// Every entry of a hash or LPM map, as key and value; an entry deleted
// between two calls is simply not listed.
template <typename Key, typename Value>
Result<std::vector<std::pair<Key, Value>>, Error> entries(int map_fd, const char *what)
{
	std::vector<std::pair<Key, Value>> out;
	Key key{}, next{};
	const Key *previous = nullptr;
	while (bpf_map_get_next_key(map_fd, previous, &next) == 0) {
		Value value;
		if (bpf_map_lookup_elem(map_fd, &next, &value) == 0)
			out.emplace_back(next, value);
		key = next;
		previous = &key;
	}
	if (errno != ENOENT)
		return unexpected(os_error(std::string("cannot list ") + what, errno));
	return out;
}

// Where the kernel's verifier says why it refused a program: libbpf loads
// without a log and, after a failure, again with one into this buffer (the
// kernel keeps the end of a long log).
class VerifierLog {
public:
	VerifierLog() : buffer_(1 << 20, '\0')
	{
		opts_.sz = sizeof(opts_);
		opts_.kernel_log_buf = buffer_.data();
		opts_.kernel_log_size = buffer_.size();
	}
	VerifierLog(const VerifierLog &) = delete;
	VerifierLog &operator=(const VerifierLog &) = delete;

	const bpf_object_open_opts *opts() const { return &opts_; }

	// Its last non-empty lines (the verdict), for an error message.
	std::string tail(size_t lines = 2) const
	{
		std::vector<std::string_view> found;
		std::string_view text(buffer_.c_str());
		while (!text.empty() && found.size() < lines) {
			const size_t end = text.find_last_not_of('\n');
			if (end == std::string_view::npos)
				break;
			text = text.substr(0, end + 1);
			const size_t newline = text.rfind('\n');
			const size_t start = newline == std::string_view::npos ? 0 : newline + 1;
			found.push_back(text.substr(start));
			text = text.substr(0, start);
		}
		std::string out;
		for (auto line = found.rbegin(); line != found.rend(); ++line)
			out += (out.empty() ? "" : " | ") + std::string(*line);
		return out;
	}

private:
	std::string buffer_;
	bpf_object_open_opts opts_{};
};

inline Error refused(Error e, const VerifierLog &log)
{
	if (const std::string why = log.tail(); !why.empty())
		e.message += "; the verifier: " + why;
	return e;
}

// Our own descriptor for a skeleton's map, so that the maps object does not
// depend on the skeleton's lifetime.
inline UniqueFd dup_fd(const bpf_map *map)
{
	return UniqueFd(::fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 0));
}

inline Result<UniqueFd, Error> pinned_map(const PinDir &dir, const char *name)
{
	const std::string path = dir / name;
	UniqueFd fd(bpf_obj_get(path.c_str()));
	if (!fd)
		return unexpected(os_error("cannot open " + path, errno));
	return fd;
}

// Per-CPU values, summed element-wise: every field is a __u64 counter.
template <typename Counters>
Result<Counters, Error> sum_per_cpu(int map_fd, uint32_t index)
{
	static_assert(sizeof(Counters) % sizeof(uint64_t) == 0);
	const int cpus = libbpf_num_possible_cpus();
	if (cpus <= 0)
		return unexpected(os_error("cannot count CPUs", cpus));
	std::vector<Counters> per_cpu(static_cast<size_t>(cpus));
	if (bpf_map_lookup_elem(map_fd, &index, per_cpu.data()) != 0)
		return unexpected(os_error("cannot read counters " + std::to_string(index), errno));
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

template <typename Counters>
Status zero_per_cpu(int map_fd, uint32_t index)
{
	const int cpus = libbpf_num_possible_cpus();
	if (cpus <= 0)
		return unexpected(os_error("cannot count CPUs", cpus));
	std::vector<Counters> zeros(static_cast<size_t>(cpus));
	std::memset(zeros.data(), 0, zeros.size() * sizeof(Counters));
	if (bpf_map_update_elem(map_fd, &index, zeros.data(), BPF_ANY) != 0)
		return unexpected(
			os_error("cannot clear counters " + std::to_string(index), errno));
	return ok();
}

template <typename Skeleton>
void pin_maps(Skeleton *skeleton, const PinDir &dir)
{
	bpf_map *map;
	bpf_object__for_each_map(map, skeleton->obj)
	{
		// Not .rodata: constants of the program, frozen (so not reopenable
		// for writing), and each program version brings its own.
		if (bpf_map__is_internal(map))
			continue;
		const std::string path = dir / bpf_map__name(map);
		bpf_map__set_pin_path(map, path.c_str());
	}
}

// An address as the maps hold it (4 words in network order, IPv4 in [0]).
inline IpAddress address_of(const uint32_t (&words)[4], bool v6)
{
	if (!v6)
		return Ipv4{ntohl(words[0])};
	Ipv6 a;
	std::memcpy(a.bytes.data(), words, 16);
	return a;
}

} // namespace iplb::bpf_detail
