// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl cc: the coupled congestion control for MPTCP subflows, iplb_lia
// (kernel/iplb_lia.bpf.c, iplbd/datapath/congestion_control.hpp): load it
// (registered with the kernel for the whole machine, its link pinned), unload
// it, and show whether it is there and which connections it couples.
#include "cli.hpp"

#include "datapath/congestion_control.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>

namespace iplbctl {
namespace {

using iplb::CoupledCongestionControl;
using json = nlohmann::ordered_json;

// --pin-dir DIR, else <pin-root>/cc.
std::string pin_dir(const Options &o, Args &args)
{
	if (auto dir = args.value("--pin-dir")) {
		if (dir->empty() || dir->front() != '/')
			throw UsageError("--pin-dir wants an absolute path, not '" + *dir + "'");
		while (dir->size() > 1 && dir->back() == '/')
			dir->pop_back();
		return *dir;
	}
	return o.pin_root + "/" + std::string(CoupledCongestionControl::default_instance);
}

bool is_bpffs(const std::string &path)
{
	struct statfs fs {};
	return ::statfs(path.c_str(), &fs) == 0 &&
	       static_cast<unsigned long>(fs.f_type) == BPF_FS_MAGIC;
}

// The directory, made if missing, in a bpffs: its parent must be one, or be
// the pin root (which gets one mounted if need be, as for instances).
iplb::PinDir prepared(const Options &o, const std::string &dir)
{
	const size_t slash = dir.rfind('/');
	const std::string parent = slash == 0 ? "/" : dir.substr(0, slash);
	if (parent != o.pin_root && !is_bpffs(parent))
		throw CommandError("cannot pin in " + dir + ": " + parent +
				   " is not a bpffs (take one under " + o.pin_root + ")");
	return take(iplb::prepare_pin_dir(parent, dir.substr(slash + 1)));
}

int load(const Options &o, std::span<const std::string> words)
{
	Args args(words);
	const std::string dir = pin_dir(o, args);
	std::optional<iplb::CcConfig> config;
	if (args.value("--min-coupled").has_value())
		config = iplb::CcConfig{args.number("--min-coupled", 0, 0, 1000)};
	args.finish();
	auto loaded = CoupledCongestionControl::load_pinned(prepared(o, dir), config);
	if (!loaded)
		::rmdir(dir.c_str()); // made for nothing: only if empty

	const bool unsupported = !loaded && loaded.error().kind == iplb::CcError::Kind::unsupported;
	if (o.json) {
		json out = {{"name", CoupledCongestionControl::name},
			    {"loaded", loaded.has_value()},
			    {"already", loaded && !*loaded},
			    {"pinDir", dir}};
		if (loaded)
			out["minCoupledCwnd"] =
				take(CoupledCongestionControl::config(dir)).min_coupled_cwnd;
		if (!loaded) {
			out["unsupported"] = unsupported;
			out["error"] = loaded.error().message;
		}
		std::printf("%s\n", out.dump().c_str());
		if (!loaded)
			std::fprintf(stderr, "iplbctl: %s\n", loaded.error().message.c_str());
		return loaded ? 0 : 1;
	}
	if (!loaded)
		throw CommandError(loaded.error().message);
	const uint32_t floor = take(CoupledCongestionControl::config(dir)).min_coupled_cwnd;
	if (*loaded)
		std::printf("iplb_lia loaded (link pinned in %s); net.ipv4.tcp_congestion_control "
			    "or TCP_CONGESTION selects it\n",
			    dir.c_str());
	else
		std::printf("iplb_lia is loaded already (link pinned in %s)\n", dir.c_str());
	if (floor)
		std::printf("    subflows with windows under %u packets grow as Reno\n", floor);
	return 0;
}

int unload(const Options &o, std::span<const std::string> words)
{
	Args args(words);
	const std::string dir = pin_dir(o, args);
	args.finish();
	check(CoupledCongestionControl::unload(dir));
	if (o.json)
		std::printf("%s\n", json{{"name", CoupledCongestionControl::name},
					 {"unloaded", true},
					 {"pinDir", dir}}
					    .dump()
					    .c_str());
	else
		std::printf("iplb_lia unloaded (sockets using it keep it until they close)\n");
	return 0;
}

int status(const Options &o, std::span<const std::string> words)
{
	Args args(words);
	const std::string dir = pin_dir(o, args);
	args.finish();
	const iplb::CcStatus s = take(CoupledCongestionControl::status(dir));
	std::vector<iplb::CcConnection> connections;
	if (s.pinned)
		connections = take(CoupledCongestionControl::connections(dir));
	if (o.json) {
		json list = json::array();
		for (const auto &c : connections) {
			json subflows = json::array();
			for (const auto &f : c.subflows)
				subflows.push_back({{"slot", f.slot},
						    {"cwnd", f.cwnd},
						    {"srttUs", f.srtt_us},
						    {"ageMs", f.age_ms}});
			list.push_back({{"key", c.key},
					{"alpha", c.alpha_1024 / 1024.0},
					{"totalCwnd", c.total_cwnd},
					{"subflows", subflows}});
		}
		std::printf("%s\n", json{{"name", CoupledCongestionControl::name},
					 {"available", s.available},
					 {"loaded", s.pinned && s.available},
					 {"pinned", s.pinned},
					 {"pinDir", dir},
					 {"minCoupledCwnd", s.config.min_coupled_cwnd},
					 {"connections", list}}
					    .dump()
					    .c_str());
		return 0;
	}
	std::printf("iplb_lia: %s\n",
		    s.available && s.pinned ? "available (its link pinned in this directory)"
		    : s.available	    ? "available, registered from another pin directory or "
					      "tool"
		    : s.pinned		    ? "NOT available, though its link is pinned here"
					    : "not loaded");
	std::printf("    pin directory %s\n", dir.c_str());
	if (s.pinned && s.config.min_coupled_cwnd)
		std::printf("    subflows with windows under %u packets grow as Reno\n",
			    s.config.min_coupled_cwnd);
	if (s.pinned)
		std::printf("    %zu MPTCP connections coupled\n", connections.size());
	for (const auto &c : connections) {
		std::printf("    connection %llx: alpha %.3f over %u packets, %zu subflows\n",
			    static_cast<unsigned long long>(c.key), c.alpha_1024 / 1024.0,
			    c.total_cwnd, c.subflows.size());
		for (const auto &f : c.subflows)
			std::printf("        slot %u: cwnd %u, srtt %u us, written %u ms ago\n",
				    f.slot, f.cwnd, f.srtt_us, f.age_ms);
	}
	return 0;
}

} // namespace

int cc_command(const Options &options, std::span<const std::string> words)
{
	if (words.empty())
		throw UsageError("usage: iplbctl cc load|unload|status [--pin-dir DIR] (see "
				 "iplbctl --help)");
	const std::span<const std::string> rest = words.subspan(1);
	if (words[0] == "load")
		return load(options, rest);
	if (words[0] == "unload")
		return unload(options, rest);
	if (words[0] == "status" || words[0] == "show")
		return status(options, rest);
	throw UsageError("unknown command 'cc " + words[0] + "': expected load, unload or status");
}

} // namespace iplbctl
