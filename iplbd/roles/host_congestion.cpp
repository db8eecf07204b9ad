// SPDX-License-Identifier: GPL-2.0-or-later
#include "roles/host_congestion.hpp"

#include "datapath/pin_dir.hpp"
#include "util/enum_names.hpp"

#include <algorithm>
#include <vector>

namespace iplb {
namespace {

constexpr EnumNames<CongestionChoice, 2> congestion_names{
	"congestion control",
	{{{CongestionChoice::none, "none"}, {CongestionChoice::iplb_lia, "iplb-lia"}}}};

} // namespace

std::string_view to_string(CongestionChoice choice)
{
	return congestion_names.name(choice);
}

Result<CongestionChoice, Error> parse_congestion_choice(std::string_view text)
{
	return congestion_names.parse(text);
}

Result<std::string, Error> NamespaceCongestion::fallback()
{
	auto allowed = CoupledCongestionControl::allowed();
	if (!allowed)
		return unexpected(allowed.error());
	std::erase(*allowed, std::string(CoupledCongestionControl::name));
	if (std::find(allowed->begin(), allowed->end(), "cubic") != allowed->end())
		return std::string("cubic");
	if (allowed->empty())
		return unexpected(Error{"no congestion control but iplb_lia is allowed"});
	return allowed->front();
}

Result<std::monostate, CcError> NamespaceCongestion::apply(CongestionChoice wanted)
{
	// Nothing to give back: the namespace's default is not this daemon's.
	if (wanted == CongestionChoice::none && !owned_)
		return std::monostate{};
	const std::string lia(CoupledCongestionControl::name);
	auto current = CoupledCongestionControl::namespace_default();
	if (!current)
		return unexpected(CcError::failure(current.error().message));
	if (wanted == CongestionChoice::none) {
		if (*current != lia) {
			owned_ = false;
			replaced_.reset();
			return std::monostate{};
		}
		auto back = replaced_ ? Result<std::string, Error>(*replaced_) : fallback();
		if (!back)
			return unexpected(CcError::failure(back.error().message));
		if (auto s = CoupledCongestionControl::set_namespace_default(*back); !s)
			return unexpected(CcError::failure(s.error().message));
		owned_ = false;
		replaced_.reset();
		return std::monostate{};
	}
	auto dir = prepare_pin_dir(pin_root_, CoupledCongestionControl::default_instance);
	if (!dir)
		return unexpected(CcError::failure(dir.error().message));
	if (auto loaded = CoupledCongestionControl::load_pinned(*dir); !loaded)
		return unexpected(loaded.error());
	if (*current != lia) {
		if (auto s = CoupledCongestionControl::set_namespace_default(lia); !s)
			return unexpected(CcError::failure(s.error().message));
		replaced_ = *current;
	}
	owned_ = true;
	return std::monostate{};
}

} // namespace iplb
