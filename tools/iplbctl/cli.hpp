// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl's command-line plumbing: arguments, output mode, errors.
#pragma once

#include "paths/path.hpp"
#include "paths/relay_planner.hpp"
#include "topology/relay_policy.hpp"
#include "topology/topology.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace iplbctl {

// A bad invocation: printed as "iplbctl: <message>", exit status 2.
struct UsageError : std::runtime_error {
	using std::runtime_error::runtime_error;
};
// The command could not do its job: exit status 1.
struct CommandError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// A core call's value, or its error as a CommandError (take, check) or, for
// what parses the command line, a UsageError (usage_take).
template <typename T>
T take(iplb::Result<T, iplb::Error> result)
{
	if (!result)
		throw CommandError(result.error().message);
	return std::move(*result);
}

inline void check(const iplb::Status &status)
{
	if (!status)
		throw CommandError(status.error().message);
}

template <typename T>
T usage_take(iplb::Result<T, iplb::Error> result, const std::string &context = "")
{
	if (!result)
		throw UsageError(context + result.error().message);
	return std::move(*result);
}

// A keyword's value as a whole number in [min, max]; else a UsageError
// "<key> must be <min>-<max>[ <unit>], not '<value>'".
unsigned long number_arg(const std::string &key, const std::string &value, unsigned long min,
			 unsigned long max, const std::string &unit = "");

struct Options {
	bool json = false;
	std::string instance = "default"; // the datapath's pins: <pin_root>/<instance>
	std::string pin_root = "/run/iplb/bpf";
};

// "--name value" options after the command words; flags take no value.
// Every option the command knows is asked for (value, required, number,
// flag) before finish(), which refuses what is left, naming what was
// expected.
class Args {
public:
	Args(std::span<const std::string> words, std::vector<std::string_view> flags = {});

	std::optional<std::string> value(std::string_view name);
	std::string required(std::string_view name);
	unsigned number(std::string_view name, unsigned fallback, unsigned min, unsigned max);
	bool flag(std::string_view name);
	// Fails on anything not consumed: a typo must not be ignored.
	void finish() const;

private:
	void known(std::string_view name);
	std::string expected() const; // "--topology, --from or -k"

	std::vector<std::pair<std::string, std::optional<std::string>>> options_;
	std::vector<bool> used_;
	std::vector<std::string> known_;   // the options asked for, in order
	std::optional<std::string> stray_; // the first word that is no option
};

// "KEY VALUE ..." pairs, iproute2 style, each KEY one of `keywords` (it may
// repeat; the caller says when it must not). A word that is no keyword is
// refused first, naming the keywords ("unknown keyword 'x': expected relay,
// weight or mtu"), then a keyword without its value ("'relay' needs a value").
std::vector<std::pair<std::string, std::string>>
keyword_pairs(std::span<const std::string> words, std::initializer_list<std::string_view> keywords);

// What `paths` and `table` share: --topology FILE --from ROUTER [-k N]
// [--metric cost|hops] [--planner exact|tree] [--relay-source POLICY].
struct PathOptions {
	std::string file, from;
	unsigned k = 8;
	iplb::Metric metric = iplb::Metric::cost;
	iplb::Planner planner = iplb::Planner::exact;
	std::optional<iplb::RelayPolicy> relay_policy;
};
PathOptions path_options(Args &args);
// The topology file, with relays assigned by the policy (if any).
iplb::TopologySnapshot load_topology(const PathOptions &options);

int paths_command(const Options &options, std::span<const std::string> words);
int table_command(const Options &options, std::span<const std::string> words);
int topology_command(const Options &options, std::span<const std::string> words);
bool is_datapath_object(const std::string &object);
int datapath_command(const Options &options, const std::string &object,
		     std::span<const std::string> words);
int srv6_command(const Options &options, std::span<const std::string> words);
int lb_command(const Options &options, std::span<const std::string> words);
int cc_command(const Options &options, std::span<const std::string> words);
// attach mux|backend DEV...
int attach_lb(const Options &options, const std::string &program,
	      std::span<const std::string> devs);

} // namespace iplbctl
