// SPDX-License-Identifier: GPL-2.0-or-later
#include "health/check.hpp"

#include <variant>

namespace iplb::health {

namespace {

bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

// Why a backend at `address` cannot be probed; empty if it can. Loopback
// stays allowed: a backend may check a service on itself, and tests do.
std::string_view unprobeable(const IpAddress &address)
{
	if (const auto *v4 = std::get_if<Ipv4>(&address)) {
		if (v4->value == 0)
			return "the unspecified address";
		if ((v4->value >> 28) == 0xe)
			return "a multicast address";
		if (v4->value == 0xffffffff)
			return "the broadcast address";
		return {};
	}
	const auto &v6 = std::get<Ipv6>(address);
	if (v6.is_unspecified())
		return "the unspecified address";
	if (v6.is_multicast())
		return "a multicast address";
	return {};
}

Status refuse(std::string message)
{
	return unexpected(Error{std::move(message)});
}

} // namespace

Status validate(const CheckSpec &spec)
{
	if (spec.timeout.count() <= 0)
		return refuse("timeout must be positive, not " +
			      std::to_string(spec.timeout.count()) + " ms");
	if (spec.interval < spec.timeout)
		return refuse("interval (" + std::to_string(spec.interval.count()) +
			      " ms) must be at least the timeout (" +
			      std::to_string(spec.timeout.count()) + " ms)");
	if (spec.interval > max_interval)
		return refuse("interval (" + std::to_string(spec.interval.count()) +
			      " ms) must be at most " + std::to_string(max_interval.count()) +
			      " ms");
	if (spec.rise < 1 || spec.rise > max_rise_fall)
		return refuse("rise must be in 1..100, not " + std::to_string(spec.rise));
	if (spec.fall < 1 || spec.fall > max_rise_fall)
		return refuse("fall must be in 1..100, not " + std::to_string(spec.fall));
	if (spec.port == 0)
		return refuse("port must not be 0");
	if (const auto why = unprobeable(spec.address); !why.empty())
		return refuse("cannot check " + to_string(spec.address) + ": " + std::string(why));
	if (spec.kind != CheckSpec::Kind::http)
		return ok();
	const auto &path = spec.http_path;
	if (path.empty() || path.front() != '/')
		return refuse("http path must start with '/': \"" + path + "\"");
	if (path.size() > max_http_path)
		return refuse("http path longer than " + std::to_string(max_http_path) + " bytes");
	for (const char c : path) {
		// Space and controls would end or split the request line.
		if (c <= ' ' || c >= 0x7f)
			return refuse("http path must be printable ASCII without spaces");
	}
	return ok();
}

std::string http_request(const CheckSpec &spec)
{
	std::string host =
		is_v6(spec.address) ? "[" + to_string(spec.address) + "]" : to_string(spec.address);
	if (spec.port != 80)
		host += ":" + std::to_string(spec.port);
	return "GET " + spec.http_path + " HTTP/1.0\r\nHost: " + host +
	       "\r\nConnection: close\r\nUser-Agent: iplb-health\r\n\r\n";
}

std::optional<int> parse_http_status(std::string_view line)
{
	if (!line.empty() && line.back() == '\r')
		line.remove_suffix(1);
	constexpr std::string_view prefix = "HTTP/";
	// "HTTP/x.y 123" is the shortest valid line.
	if (line.size() < prefix.size() + 7 || line.substr(0, prefix.size()) != prefix)
		return std::nullopt;
	line.remove_prefix(prefix.size());
	if (!is_digit(line[0]) || line[1] != '.' || !is_digit(line[2]) || line[3] != ' ')
		return std::nullopt;
	line.remove_prefix(4);
	if (!is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]))
		return std::nullopt;
	const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (code < 100 || code > 599)
		return std::nullopt;
	line.remove_prefix(3);
	if (!line.empty() && line.front() != ' ')
		return std::nullopt; // a fourth digit, or anything glued to the code
	for (const char c : line) {
		const auto byte = static_cast<unsigned char>(c);
		if ((byte < 0x20 && byte != '\t') || byte == 0x7f)
			return std::nullopt;
	}
	return code;
}

std::string_view to_string(Health health)
{
	switch (health) {
	case Health::unknown:
		return "unknown";
	case Health::up:
		return "up";
	case Health::down:
		return "down";
	}
	return "?";
}

} // namespace iplb::health
