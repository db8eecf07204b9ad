// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/congestion_control.hpp"

#include "datapath/bpf_detail.hpp"

#include "iplb_lia.skel.h"
#include "iplb_lia_layout.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/btf.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace iplb {
namespace {

using namespace bpf_detail;

// Debian 12's uapi headers (6.1) have neither: the struct_ops map flag that
// makes its registration a link's (6.4), and that link's attach type.
constexpr uint32_t bpf_f_link = 1U << 13;
constexpr int bpf_struct_ops_attach = 44;

// kernel/iplb_lia.bpf.c leaves cubic this much of the private area
// (CUBIC_AREA) before its own last word.
constexpr int64_t cubic_area = 96;

constexpr const char available_path[] = "/proc/sys/net/ipv4/tcp_available_congestion_control";
constexpr const char allowed_path[] = "/proc/sys/net/ipv4/tcp_allowed_congestion_control";
constexpr const char default_path[] = "/proc/sys/net/ipv4/tcp_congestion_control";

Result<std::vector<std::string>, Error> words_of(const char *path)
{
	std::ifstream file(path);
	if (!file)
		return unexpected(Error{std::string("cannot read ") + path});
	std::vector<std::string> words;
	std::string word;
	while (file >> word)
		words.push_back(word);
	return words;
}

CcError unsupported(std::string message)
{
	return CcError{CcError::Kind::unsupported,
		       "this kernel has no BPF struct_ops congestion control: " +
			       std::move(message)};
}

std::string path_in(const std::string &dir, std::string_view name)
{
	return dir + "/" + std::string(name);
}

Status write_config(int fd, const CcConfig &config)
{
	iplb_lia_config value;
	std::memset(&value, 0, sizeof(value));
	value.min_coupled_cwnd = config.min_coupled_cwnd;
	const uint32_t zero = 0;
	if (bpf_map_update_elem(fd, &zero, &value, BPF_ANY) != 0)
		return unexpected(os_error("cannot write iplb_lia's settings", errno));
	return ok();
}

uint32_t monotonic_ms()
{
	timespec now{};
	::clock_gettime(CLOCK_MONOTONIC, &now);
	return static_cast<uint32_t>(static_cast<uint64_t>(now.tv_sec) * 1000 +
				     static_cast<uint64_t>(now.tv_nsec) / 1000000);
}

} // namespace

void CoupledCongestionControl::Close::operator()(iplb_lia *skeleton) const
{
	iplb_lia__destroy(skeleton);
}

CoupledCongestionControl::CoupledCongestionControl(std::unique_ptr<iplb_lia, Close> skeleton,
						   UniqueFd link)
    : skeleton_(std::move(skeleton)), link_(std::move(link))
{
}

CoupledCongestionControl::CoupledCongestionControl(CoupledCongestionControl &&) noexcept = default;
CoupledCongestionControl &
CoupledCongestionControl::operator=(CoupledCongestionControl &&) noexcept = default;
// The link first: it unregisters (unless pinned), then the program goes.
CoupledCongestionControl::~CoupledCongestionControl()
{
	link_.reset();
}

int CoupledCongestionControl::connections_fd() const
{
	return bpf_map__fd(skeleton_->maps.iplb_lia_conns);
}

Result<std::monostate, CcError> CoupledCongestionControl::probe()
{
	std::unique_ptr<btf, void (*)(btf *)> vmlinux(btf__load_vmlinux_btf(), btf__free);
	if (!vmlinux)
		return unexpected(unsupported(std::string("no kernel BTF to read (") +
					      std::strerror(errno) + ")"));
	if (btf__find_by_name_kind(vmlinux.get(), "bpf_struct_ops_tcp_congestion_ops",
				   BTF_KIND_STRUCT) < 0)
		return unexpected(
			unsupported("no struct bpf_struct_ops_tcp_congestion_ops in its BTF"));
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_STRUCT_OPS, nullptr) != 1)
		return unexpected(unsupported("it refuses struct_ops maps"));
	// The registration is a link's (BPF_F_LINK, since 6.4).
	if (btf__find_by_name_kind(vmlinux.get(), "bpf_struct_ops_link", BTF_KIND_STRUCT) < 0)
		return unexpected(unsupported("no struct_ops links (Linux 6.4 has them)"));
	// Plain TCP runs cubic in our private area: its state must fit.
	if (const int id = btf__find_by_name_kind(vmlinux.get(), "bictcp", BTF_KIND_STRUCT);
	    id >= 0) {
		const int64_t size = btf__resolve_size(vmlinux.get(), static_cast<uint32_t>(id));
		if (size > cubic_area)
			return unexpected(CcError::failure(
				"cubic's state (struct bictcp) has " + std::to_string(size) +
				" bytes on this kernel, iplb_lia leaves it " +
				std::to_string(cubic_area) +
				" (kernel/iplb_lia.bpf.c CUBIC_AREA)"));
	}
	return std::monostate{};
}

Result<CoupledCongestionControl, CcError> CoupledCongestionControl::load()
{
	VerifierLog log;
	std::unique_ptr<iplb_lia, Close> skeleton(iplb_lia__open_opts(log.opts()));
	if (!skeleton)
		return unexpected(CcError::failure(load_error("iplb_lia", -errno).message));
	bpf_map *ops = skeleton->maps.iplb_lia;
	if (int rc = bpf_map__set_map_flags(ops, bpf_map__map_flags(ops) | bpf_f_link); rc != 0)
		return unexpected(CcError::failure(
			os_error("cannot make iplb_lia's map a link's", rc).message));
	if (int rc = iplb_lia__load(skeleton.get()); rc != 0)
		return unexpected(
			CcError::failure(refused(load_error("iplb_lia", rc), log).message));
	// Writes the programs into the map's value. With BPF_F_LINK that
	// registers nothing; libbpf's link is the map fd and must not delete
	// the element: dropped without detaching.
	bpf_link *value = bpf_map__attach_struct_ops(ops);
	if (!value)
		return unexpected(CcError::failure(
			os_error("cannot fill iplb_lia's struct_ops map", errno).message));
	bpf_link__disconnect(value);
	bpf_link__destroy(value);
	UniqueFd link(bpf_link_create(
		bpf_map__fd(ops), 0, static_cast<bpf_attach_type>(bpf_struct_ops_attach), nullptr));
	if (!link) {
		const int err = errno;
		if (err == EEXIST)
			return unexpected(CcError::failure("a congestion control named iplb_lia is "
							   "registered already"));
		return unexpected(
			CcError::failure(os_error("cannot register iplb_lia", err).message));
	}
	return CoupledCongestionControl(std::move(skeleton), std::move(link));
}

Status CoupledCongestionControl::configure(const CcConfig &config)
{
	return write_config(bpf_map__fd(skeleton_->maps.iplb_lia_config), config);
}

Status CoupledCongestionControl::pin(const PinDir &dir)
{
	const std::string link = dir / link_pin, map = dir / map_pin, config = dir / config_pin;
	// The maps first: a pinned link is what says "loaded".
	::unlink(map.c_str());
	::unlink(config.c_str());
	if (bpf_obj_pin(connections_fd(), map.c_str()) != 0)
		return unexpected(os_error("cannot pin " + map, errno));
	if (bpf_obj_pin(bpf_map__fd(skeleton_->maps.iplb_lia_config), config.c_str()) != 0) {
		const int err = errno;
		::unlink(map.c_str());
		return unexpected(os_error("cannot pin " + config, err));
	}
	if (bpf_obj_pin(link_.get(), link.c_str()) != 0) {
		const int err = errno;
		::unlink(map.c_str());
		::unlink(config.c_str());
		return unexpected(os_error("cannot pin " + link, err));
	}
	return ok();
}

Result<bool, CcError> CoupledCongestionControl::load_pinned(const PinDir &dir,
							    std::optional<CcConfig> config)
{
	const std::string link = dir / link_pin;
	auto registered = available(name);
	if (!registered)
		return unexpected(CcError::failure(registered.error().message));
	if (UniqueFd pinned(bpf_obj_get(link.c_str())); pinned) {
		if (*registered) {
			if (config)
				if (auto s = configure(dir.path, *config); !s)
					return unexpected(CcError::failure(s.error().message));
			return false;
		}
		// A pin of a link the kernel no longer runs (detached by
		// another tool): replaced.
		::unlink(link.c_str());
	}
	if (*registered)
		return unexpected(CcError::failure(
			"a congestion control named iplb_lia is registered already, not from " +
			dir.path +
			" (another pin directory's, or another tool's: bpftool "
			"struct_ops list)"));
	if (auto probed = probe(); !probed)
		return unexpected(probed.error());
	auto loaded = load();
	if (!loaded)
		return unexpected(loaded.error());
	if (auto s = loaded->configure(config.value_or(CcConfig{})); !s)
		return unexpected(CcError::failure(s.error().message));
	if (auto pinned = loaded->pin(dir); !pinned)
		return unexpected(CcError::failure(pinned.error().message));
	return true;
}

Status CoupledCongestionControl::unload(const std::string &dir)
{
	const std::string link = path_in(dir, link_pin), map = path_in(dir, map_pin);
	UniqueFd pinned(bpf_obj_get(link.c_str()));
	if (!pinned) {
		if (errno == ENOENT)
			return unexpected(Error{"iplb_lia is not loaded from " + dir +
						" (nothing at " + link + ")"});
		return unexpected(os_error("cannot open " + link, errno));
	}
	// Unregister now: unpinned alone, the link would go only after an RCU
	// grace period. A kernel that cannot detach a struct_ops link (older
	// than 6.18's) unregisters when the pin and this fd are gone.
	bpf_link_detach(pinned.get());
	if (::unlink(link.c_str()) != 0)
		return unexpected(os_error("cannot remove " + link, errno));
	for (const std::string &pin : {map, path_in(dir, config_pin)})
		if (::unlink(pin.c_str()) != 0 && errno != ENOENT)
			return unexpected(os_error("cannot remove " + pin, errno));
	::rmdir(dir.c_str()); // only if empty: it may be shared
	return ok();
}

Result<bool, Error> CoupledCongestionControl::available(std::string_view cc)
{
	auto words = words_of(available_path);
	if (!words)
		return unexpected(words.error());
	return std::find(words->begin(), words->end(), cc) != words->end();
}

Result<std::vector<std::string>, Error> CoupledCongestionControl::allowed()
{
	return words_of(allowed_path);
}

Result<std::string, Error> CoupledCongestionControl::namespace_default()
{
	auto words = words_of(default_path);
	if (!words)
		return unexpected(words.error());
	if (words->size() != 1)
		return unexpected(Error{std::string(default_path) + " does not hold one name"});
	return words->front();
}

Status CoupledCongestionControl::set_namespace_default(std::string_view cc)
{
	auto permitted = allowed();
	if (!permitted)
		return unexpected(permitted.error());
	if (std::find(permitted->begin(), permitted->end(), cc) == permitted->end())
		return unexpected(Error{
			std::string(cc) + " is not in net.ipv4.tcp_allowed_congestion_control (" +
			[&] {
				std::string list;
				for (const std::string &w : *permitted)
					list += (list.empty() ? "" : " ") + w;
				return list;
			}() +
			"): a namespace's default must be; add it there from the initial "
			"namespace"});
	std::ofstream file(default_path);
	if (file)
		file << cc << '\n';
	if (file)
		file.close();
	if (!file)
		return unexpected(os_error("cannot set " + std::string(default_path) + " to " +
						   std::string(cc),
					   errno));
	return ok();
}

Result<CcStatus, Error> CoupledCongestionControl::status(const std::string &dir)
{
	CcStatus status;
	status.pin_dir = dir;
	auto registered = available(name);
	if (!registered)
		return unexpected(registered.error());
	status.available = *registered;
	const std::string link = path_in(dir, link_pin);
	UniqueFd pinned(bpf_obj_get(link.c_str()));
	status.pinned = static_cast<bool>(pinned);
	if (status.pinned) {
		auto all = connections(dir);
		if (!all)
			return unexpected(all.error());
		status.connections = all->size();
		auto current = config(dir);
		if (!current)
			return unexpected(current.error());
		status.config = *current;
	}
	return status;
}

Result<CcConfig, Error> CoupledCongestionControl::config(const std::string &dir)
{
	const std::string pin = path_in(dir, config_pin);
	UniqueFd fd(bpf_obj_get(pin.c_str()));
	if (!fd)
		return unexpected(os_error("cannot open " + pin, errno));
	iplb_lia_config value{};
	const uint32_t zero = 0;
	if (bpf_map_lookup_elem(fd.get(), &zero, &value) != 0)
		return unexpected(os_error("cannot read " + pin, errno));
	return CcConfig{value.min_coupled_cwnd};
}

Status CoupledCongestionControl::configure(const std::string &dir, const CcConfig &config)
{
	const std::string pin = path_in(dir, config_pin);
	UniqueFd fd(bpf_obj_get(pin.c_str()));
	if (!fd)
		return unexpected(os_error("cannot open " + pin, errno));
	return write_config(fd.get(), config);
}

Result<std::vector<CcConnection>, Error>
CoupledCongestionControl::connections(const std::string &dir)
{
	const std::string map = path_in(dir, map_pin);
	UniqueFd fd(bpf_obj_get(map.c_str()));
	if (!fd)
		return unexpected(os_error("cannot open " + map, errno));
	auto all = entries<__u64, iplb_lia_conn>(fd.get(), "iplb_lia's connections");
	if (!all)
		return unexpected(all.error());
	const uint32_t now = monotonic_ms();
	std::vector<CcConnection> out;
	for (const auto &[key, value] : *all) {
		CcConnection c;
		c.key = key;
		c.alpha_1024 = value.alpha;
		c.total_cwnd = value.total_cwnd;
		for (unsigned i = 0; i < IPLB_LIA_SLOTS; i++) {
			if (!(value.used & (1ULL << i)))
				continue;
			const iplb_lia_slot &s = value.slots[i];
			c.subflows.push_back(CcSubflow{i, s.cwnd, s.srtt_us >> 3,
						       s.stamp_ms ? now - s.stamp_ms : 0});
		}
		out.push_back(std::move(c));
	}
	return out;
}

} // namespace iplb
