// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptcp/token_store.hpp"

#include <charconv>
#include <cstdio>

namespace iplb::mptcp {
namespace {

// One key each, atomic on the server: set if absent and announce, or say
// who holds it; delete only one's own and announce.
constexpr const char *publish_script =
	"if redis.call('SET', KEYS[1], ARGV[1], 'NX') then "
	"redis.call('PUBLISH', ARGV[2], '+' .. ARGV[3] .. ' ' .. ARGV[1]) return 1 end "
	"return redis.call('GET', KEYS[1])";
constexpr const char *withdraw_script =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) "
	"redis.call('PUBLISH', ARGV[2], '-' .. ARGV[3] .. ' ' .. ARGV[1]) return 1 end "
	"return 0";

} // namespace

std::string token_hex(uint32_t token)
{
	char text[9];
	std::snprintf(text, sizeof(text), "%08x", token);
	return text;
}

std::optional<uint32_t> parse_token_hex(std::string_view text)
{
	if (text.size() != 8)
		return std::nullopt;
	uint32_t value = 0;
	const auto [end, error] =
		std::from_chars(text.data(), text.data() + text.size(), value, 16);
	if (error != std::errc{} || end != text.data() + text.size())
		return std::nullopt;
	for (const char c : text)
		if (!(('0' <= c && c <= '9') || ('a' <= c && c <= 'f')))
			return std::nullopt; // one spelling only
	return value;
}

std::optional<TokenUpdate> parse_update(std::string_view payload)
{
	if (payload.size() < 11 || (payload[0] != '+' && payload[0] != '-') || payload[9] != ' ')
		return std::nullopt;
	const auto token = parse_token_hex(payload.substr(1, 8));
	const auto dip = payload.substr(10);
	if (!token || dip.empty() || dip.size() > 64 || dip.find(' ') != std::string_view::npos)
		return std::nullopt;
	return TokenUpdate{payload[0] == '+', *token, std::string(dip)};
}

Result<PublishResult, Error> TokenStore::publish(uint32_t token, const std::string &dip)
{
	auto reply = client_.command(
		{"EVAL", publish_script, "1", key(token), dip, channel(), token_hex(token)});
	if (!reply)
		return unexpected(reply.error());
	if (const auto *set = reply->integer(); set && *set == 1)
		return PublishResult{Published{}};
	if (const auto *owner = reply->string()) {
		if (*owner == dip)
			return PublishResult{Published{}};
		return PublishResult{Collision{*owner}};
	}
	return unexpected(Error{"publishing token " + token_hex(token) + ": an unexpected reply"});
}

Result<bool, Error> TokenStore::withdraw(uint32_t token, const std::string &dip)
{
	auto reply = client_.command(
		{"EVAL", withdraw_script, "1", key(token), dip, channel(), token_hex(token)});
	if (!reply)
		return unexpected(reply.error());
	const auto *done = reply->integer();
	if (!done)
		return unexpected(
			Error{"withdrawing token " + token_hex(token) + ": an unexpected reply"});
	return *done == 1;
}

Result<std::optional<std::string>, Error> TokenStore::lookup(uint32_t token)
{
	auto reply = client_.command({"GET", key(token)});
	if (!reply)
		return unexpected(reply.error());
	if (reply->is_nil())
		return std::optional<std::string>{};
	if (const auto *dip = reply->string())
		return std::optional<std::string>(*dip);
	return unexpected(Error{"looking up token " + token_hex(token) + ": not a string"});
}

Result<std::map<uint32_t, std::string>, Error> TokenStore::all()
{
	std::map<uint32_t, std::string> out;
	std::string cursor = "0";
	const std::string pattern = prefix_ + "token:*";
	do {
		auto reply = client_.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
		if (!reply)
			return unexpected(reply.error());
		const auto *parts = reply->array();
		if (!parts || parts->size() != 2 || !(*parts)[0].string() || !(*parts)[1].array())
			return unexpected(Error{"SCAN: an unexpected reply"});
		cursor = *(*parts)[0].string();
		for (const auto &found : *(*parts)[1].array()) {
			const auto *name = found.string();
			if (!name || name->size() != prefix_.size() + 6 + 8)
				continue;
			const auto token =
				parse_token_hex(std::string_view(*name).substr(prefix_.size() + 6));
			if (!token)
				continue;
			auto owner = lookup(*token);
			if (!owner)
				return unexpected(owner.error());
			if (*owner) // gone between SCAN and GET: not there
				out[*token] = **owner;
		}
	} while (cursor != "0");
	return out;
}

Result<std::set<uint32_t>, Error> TokenStore::owned_by(const std::string &dip)
{
	auto every = all();
	if (!every)
		return unexpected(every.error());
	std::set<uint32_t> out;
	for (const auto &[token, owner] : *every)
		if (owner == dip)
			out.insert(token);
	return out;
}

} // namespace iplb::mptcp
