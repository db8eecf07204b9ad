// SPDX-License-Identifier: GPL-2.0-or-later
// What one health check of a backend is (a TCP connect or an HTTP GET, as
// GLB Director's), its validation, and the pure pieces of a probe: the HTTP
// request it sends and the parser of the status line it reads back. No I/O
// here, so that the parser can be fuzzed and the rules tested alone.
#pragma once

#include "util/ipv6.hpp"
#include "util/status.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iplb::health {

struct CheckSpec {
	enum class Kind { tcp, http };
	Kind kind = Kind::tcp;
	IpAddress address;
	uint16_t port = 80;
	std::string http_path = "/"; // http only: healthy on a 2xx or 3xx status
	// GLB Director's defaults: a probe every 2 s, 1 s to answer, 3 in a row
	// to change state either way.
	std::chrono::milliseconds interval{2000}; // start to start
	std::chrono::milliseconds timeout{1000};  // a whole probe, connect included
	uint32_t rise = 3;
	uint32_t fall = 3;

	friend bool operator==(const CheckSpec &, const CheckSpec &) = default;
};

inline constexpr std::chrono::milliseconds max_interval{3600 * 1000};
inline constexpr uint32_t max_rise_fall = 100;
inline constexpr std::size_t max_http_path = 1024;

// Refuses, with a message for an operator: a timeout that is not positive,
// an interval shorter than the timeout or above an hour, rise or fall
// outside 1..100, port 0, the unspecified or a multicast address, and (http)
// a path that is empty, does not start with '/', is longer than 1024 bytes
// or holds anything but printable ASCII without spaces (it goes verbatim into
// the request line).
Status validate(const CheckSpec &spec);

// The request of an http check: an HTTP/1.0 GET with Host (the address,
// IPv6 in brackets, and the port unless 80), Connection: close and
// User-Agent: iplb-health.
std::string http_request(const CheckSpec &spec);

// The status code of an HTTP/1.x status line, given without its line end (a
// trailing CR is tolerated): "HTTP/" DIGIT "." DIGIT SP 3DIGIT [SP reason],
// the code in 100..599, the reason without control characters (RFC 9112,
// section 4; the SP before an empty reason may be missing, as the RFC asks
// clients to accept). "HTTP/2 200" is refused: HTTP/2 has no text status
// line, and a server answering our HTTP/1.0 request with one is broken.
std::optional<int> parse_http_status(std::string_view line);

enum class Health { unknown, up, down };
std::string_view to_string(Health health);

} // namespace iplb::health
