// SPDX-License-Identifier: GPL-2.0-or-later
// The host's congestion control for MPTCP (`datapath congestion-control`).
// With iplb-lia, iplb_lia is registered (pinned in <pin-root>/cc, where
// `iplbctl cc` finds it: the registration is the machine's, one for every
// namespace) and made this network namespace's default, so that the
// subflows of every MPTCP connection opened here are coupled; plain TCP runs
// cubic inside it. Turned off, the default it replaced comes back, and
// iplb_lia stays registered: other namespaces may use it (`iplbctl cc
// unload` removes it).
#pragma once

#include "datapath/congestion_control.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace iplb {

enum class CongestionChoice : uint8_t { none, iplb_lia };

std::string_view to_string(CongestionChoice choice);
Result<CongestionChoice, Error> parse_congestion_choice(std::string_view text);

class NamespaceCongestion {
public:
	explicit NamespaceCongestion(std::string pin_root) : pin_root_(std::move(pin_root)) {}

	// Brings the namespace's default to `wanted` (with privileges). An
	// unsupported error: this kernel cannot have iplb_lia at all.
	Result<std::monostate, CcError> apply(CongestionChoice wanted);

private:
	// What the default goes back to when iplb_lia was made the default by
	// a daemon before this one: cubic if allowed (Debian's default), else
	// the first allowed one.
	static Result<std::string, Error> fallback();

	std::string pin_root_;
	// This daemon made iplb_lia the default, or found it so while
	// configured to: it gives the default back when turned off. Never set
	// for a default an operator chose by hand under `none`.
	bool owned_ = false;
	std::optional<std::string> replaced_; // the default iplb_lia replaced
};

} // namespace iplb
