// SPDX-License-Identifier: GPL-2.0-or-later
// iplbctl's command-line plumbing: arguments, output mode, errors.
#pragma once

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

struct Options {
	bool json = false;
	std::string instance = "default"; // the datapath's pins: <pin_root>/<instance>
	std::string pin_root = "/run/iplb/bpf";
};

// "--name value" options after the command words; flags take no value.
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
	std::vector<std::pair<std::string, std::optional<std::string>>> options_;
	std::vector<bool> used_;
};

int paths_command(const Options &options, std::span<const std::string> words);
int topology_command(const Options &options, std::span<const std::string> words);
bool is_datapath_object(const std::string &object);
int datapath_command(const Options &options, const std::string &object,
		     std::span<const std::string> words);
int srv6_command(const Options &options, std::span<const std::string> words);

} // namespace iplbctl
