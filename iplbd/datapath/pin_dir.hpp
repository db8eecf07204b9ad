// SPDX-License-Identifier: GPL-2.0-or-later
// Where one datapath instance keeps its pinned maps and links, so that they
// outlive the process that made them (iplbd restarts, iplbctl runs): a
// directory <root>/<instance> on a bpffs of our own. Our own, because
// `ip netns exec` remounts /sys and a pin under /sys/fs/bpf would not be
// seen from another namespace's shell.
//
// Mount namespaces matter too: a bpffs mounted inside `ip netns exec` (a
// mount namespace of its own) is gone, pins and links with it, when that
// command ends. Mount it from the host's mount namespace (iplbctl -N enters
// only the network namespace); a namespace made after that has a copy of
// the mount, which shares the pins.
#pragma once

#include "util/result.hpp"
#include "util/status.hpp"

#include <string>
#include <string_view>

namespace iplb {

inline constexpr std::string_view default_pin_root = "/run/iplb/bpf";
inline constexpr std::string_view default_instance = "default";

struct PinDir {
	std::string path; // <root>/<instance>, existing, on a bpffs

	std::string operator/(std::string_view name) const
	{
		return path + "/" + std::string(name);
	}
};

// Instance names are what a file name can safely be.
Status check_instance(std::string_view instance);

// Mounts a bpffs on root (in the caller's mount namespace) if none is there, and makes the
// instance's directory. Instance names are what a file name can safely be.
Result<PinDir, Error> prepare_pin_dir(std::string_view root, std::string_view instance);
// The same, without creating anything: for commands that only read.
Result<PinDir, Error> existing_pin_dir(std::string_view root, std::string_view instance);

} // namespace iplb
