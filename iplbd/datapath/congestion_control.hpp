// SPDX-License-Identifier: GPL-2.0-or-later
// The coupled congestion control for MPTCP subflows, iplb_lia
// (kernel/iplb_lia.bpf.c: RFC 6356's Linked Increases Algorithm; plain TCP
// goes on with cubic): loaded through its skeleton and registered with the
// kernel by a struct_ops link, which is pinned so that "iplb_lia" stays
// available after the loader exits. The registration is the kernel's, not a
// network namespace's: one per machine.
//
// The link is a kernel link (BPF_F_LINK struct_ops map, BPF_LINK_CREATE),
// made after bpf_map__attach_struct_ops() wrote the map: libbpf 1.1's own
// "link" for a struct_ops map is its map fd, and the registration it makes
// lasts until the map's element is deleted, whether or not anything is
// pinned. With a kernel link, the registration lives exactly as long as the
// link: a loader that dies before pinning leaves nothing behind, and
// unpinning (after detaching) unregisters.
#pragma once

#include "datapath/pin_dir.hpp"
#include "util/result.hpp"
#include "util/status.hpp"
#include "util/unique_fd.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct iplb_lia;

namespace iplb {

// Why loading failed: the kernel cannot have it at all (no BPF struct_ops
// congestion control), or something else, which is a real failure.
struct CcError {
	enum class Kind { unsupported, failed };
	Kind kind = Kind::failed;
	std::string message;

	static CcError failure(std::string message)
	{
		return CcError{Kind::failed, std::move(message)};
	}
};

// One subflow's slot in a connection's entry, as the program last wrote it.
struct CcSubflow {
	unsigned slot = 0;
	uint32_t cwnd = 0;    // packets
	uint32_t srtt_us = 0; // microseconds
	uint32_t age_ms = 0;  // since the subflow last wrote it
};

// An MPTCP connection the program couples (an entry of iplb_lia_conns).
struct CcConnection {
	uint64_t key = 0;	 // the connection's struct sock, as the kernel names it
	uint32_t alpha_1024 = 0; // the last alpha, 1024 = 1
	uint32_t total_cwnd = 0; // the windows it was computed from
	std::vector<CcSubflow> subflows;
};

// Its settings (kernel/iplb_lia_layout.h, struct iplb_lia_config), which
// the running program reads on every ACK.
struct CcConfig {
	// A subflow whose window is below this grows as Reno, uncoupled (a
	// window of fewer than 4 packets cannot fast-retransmit); 0: RFC 6356
	// as written.
	uint32_t min_coupled_cwnd = 0;

	friend bool operator==(const CcConfig &, const CcConfig &) = default;
};

struct CcStatus {
	bool available = false; // "iplb_lia" is in tcp_available_congestion_control
	bool pinned = false;	// its link is pinned in the directory
	std::string pin_dir;
	size_t connections = 0; // entries of the per-connection map (pinned only)
	CcConfig config;	// (pinned only)
};

class CoupledCongestionControl {
public:
	static constexpr std::string_view name = "iplb_lia";
	// The pins' names in a pin directory.
	static constexpr std::string_view link_pin = "iplb_lia_link";
	static constexpr std::string_view map_pin = "iplb_lia_conns";
	static constexpr std::string_view config_pin = "iplb_lia_config";
	// The directory under the pin root (<pin-root>/cc) iplbctl uses.
	static constexpr std::string_view default_instance = "cc";

	// Whether this kernel has what iplb_lia needs: BPF struct_ops maps and
	// a struct_ops tcp_congestion_ops in its BTF (unsupported if not), and
	// room for cubic's state beside its own (failed if not).
	static Result<std::monostate, CcError> probe();

	// Loads and verifies the program and registers "iplb_lia": until pin(),
	// for as long as this object lives. Refused (failed) if a congestion
	// control of that name is registered already.
	static Result<CoupledCongestionControl, CcError> load();

	// Its settings, in force from the next ACK (default: CcConfig{}).
	Status configure(const CcConfig &config);
	// Pins the link, the per-connection map and the settings in dir:
	// "iplb_lia" stays registered after this object goes, until unload().
	Status pin(const PinDir &dir);

	// What iplbctl cc load does: probe, load, configure, pin. Loading again
	// into a directory that has it is no error and changes nothing but the
	// settings, if given (false: it was there already; true: loaded now). A
	// registration not pinned in dir (another directory's, another tool's)
	// is an error that says so.
	static Result<bool, CcError> load_pinned(const PinDir &dir,
						 std::optional<CcConfig> config = std::nullopt);
	// The settings of the program pinned in dir, read and written there.
	static Result<CcConfig, Error> config(const std::string &dir);
	static Status configure(const std::string &dir, const CcConfig &config);
	// Unregisters and removes the pins (the directory too, once empty).
	// Sockets using iplb_lia keep it until they close; new ones cannot
	// choose it. An error if dir has no iplb_lia.
	static Status unload(const std::string &dir);
	static Result<CcStatus, Error> status(const std::string &dir);
	// The connections the pinned program couples now.
	static Result<std::vector<CcConnection>, Error> connections(const std::string &dir);
	// Whether `cc` is in /proc/sys/net/ipv4/tcp_available_congestion_control.
	static Result<bool, Error> available(std::string_view cc);
	// tcp_allowed_congestion_control: what any user, and any network
	// namespace's default, may be. iplb_lia is in it once registered (it
	// registers as TCP_CONG_NON_RESTRICTED), until someone writes the list
	// without it (only the initial namespace can).
	static Result<std::vector<std::string>, Error> allowed();
	// The calling thread's network namespace's default congestion control
	// (net.ipv4.tcp_congestion_control), read and written. Setting one that
	// is not allowed is refused here, before the kernel is asked: outside
	// the initial namespace the kernel answers EPERM and, on 6.18, keeps a
	// reference to the algorithm it refused.
	static Result<std::string, Error> namespace_default();
	static Status set_namespace_default(std::string_view cc);

	CoupledCongestionControl(CoupledCongestionControl &&) noexcept;
	CoupledCongestionControl &operator=(CoupledCongestionControl &&) noexcept;
	~CoupledCongestionControl();

	int connections_fd() const;

private:
	struct Close {
		void operator()(iplb_lia *skeleton) const;
	};
	CoupledCongestionControl(std::unique_ptr<iplb_lia, Close> skeleton, UniqueFd link);

	std::unique_ptr<iplb_lia, Close> skeleton_;
	UniqueFd link_;
};

} // namespace iplb
