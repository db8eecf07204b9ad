// SPDX-License-Identifier: GPL-2.0-or-later
// Base64 (RFC 4648, standard alphabet, padded): etcd's JSON gateway carries
// keys and values as protobuf `bytes`, which JSON renders in base64.
#pragma once

#include "util/result.hpp"

#include <string>
#include <string_view>

namespace iplb {

std::string base64_encode(std::string_view bytes);

// Refuses what is not canonical padded base64 (wrong length, a character
// outside the alphabet, padding in the middle), naming the offending text:
// a gateway that answers something else is not one we understand.
Result<std::string, Error> base64_decode(std::string_view text);

} // namespace iplb
