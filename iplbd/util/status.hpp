// SPDX-License-Identifier: GPL-2.0-or-later
// Result of an operation that returns nothing but may fail.
#pragma once

#include "util/result.hpp"

#include <variant>

namespace iplb {

using Status = Result<std::monostate, Error>;

inline Status ok()
{
	return std::monostate{};
}

} // namespace iplb
