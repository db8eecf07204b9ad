// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptcp/token_store.hpp"

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
constexpr const char *publish_subflow_script =
	"redis.call('SET', KEYS[1], ARGV[1]) "
	"redis.call('PUBLISH', ARGV[2], '+' .. ARGV[3] .. ' ' .. ARGV[1]) return 1";

} // namespace

Result<PublishResult, Error> TokenStore::publish(uint32_t token, const std::string &dip)
{
	auto reply = change(publish_script, key(token), dip, channel(), token_hex(token));
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

Result<redis::Reply, Error> TokenStore::change(const char *script, const std::string &name,
					       const std::string &dip,
					       const std::string &on_channel,
					       const std::string &text)
{
	return keyspace_.command(name, {"EVAL", script, "1", name, dip, on_channel, text});
}

Result<bool, Error> TokenStore::withdraw_entry(const std::string &name, const std::string &dip,
					       const std::string &on_channel,
					       const std::string &text, const std::string &what)
{
	auto reply = change(withdraw_script, name, dip, on_channel, text);
	if (!reply)
		return unexpected(reply.error());
	const auto *done = reply->integer();
	if (!done)
		return unexpected(Error{"withdrawing " + what + ": an unexpected reply"});
	return *done == 1;
}

Result<bool, Error> TokenStore::withdraw(uint32_t token, const std::string &dip)
{
	return withdraw_entry(key(token), dip, channel(), token_hex(token),
			      "token " + token_hex(token));
}

Result<std::optional<std::string>, Error> TokenStore::lookup(uint32_t token)
{
	auto reply = keyspace_.command(key(token), {"GET", key(token)});
	if (!reply)
		return unexpected(reply.error());
	if (reply->is_nil())
		return std::optional<std::string>{};
	if (const auto *dip = reply->string())
		return std::optional<std::string>(*dip);
	return unexpected(Error{"looking up token " + token_hex(token) + ": not a string"});
}

template <typename Key, typename Parse>
Result<std::map<Key, std::string>, Error> TokenStore::scan(const std::string &key_prefix,
							   Parse parse)
{
	const size_t skip = key_prefix.size();
	auto names = keyspace_.keys(key_prefix + "*");
	if (!names)
		return unexpected(names.error());
	std::map<Key, std::string> out;
	for (const auto &name : *names) {
		if (name.size() <= skip)
			continue;
		const std::optional<Key> key = parse(std::string_view(name).substr(skip));
		if (!key)
			continue;
		auto value = keyspace_.command(name, {"GET", name});
		if (!value)
			return unexpected(value.error());
		if (const auto *text = value->string()) // gone since SCAN: not there
			out[*key] = *text;
	}
	return out;
}

Result<std::map<uint32_t, std::string>, Error> TokenStore::all()
{
	return scan<uint32_t>(prefix_ + "token:", parse_token_hex);
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

Status TokenStore::publish_subflow(const SubflowKey &subflow, const std::string &dip)
{
	auto reply = change(publish_subflow_script, key(subflow), dip, subflows_channel(),
			    subflow_text(subflow));
	if (!reply)
		return unexpected(reply.error());
	if (const auto *set = reply->integer(); !set || *set != 1)
		return unexpected(Error{"publishing subflow " + to_string(subflow) +
					": an unexpected reply"});
	return ok();
}

Result<bool, Error> TokenStore::withdraw_subflow(const SubflowKey &subflow, const std::string &dip)
{
	return withdraw_entry(key(subflow), dip, subflows_channel(), subflow_text(subflow),
			      "subflow " + to_string(subflow));
}

Result<std::map<SubflowKey, std::string>, Error> TokenStore::subflows()
{
	return scan<SubflowKey>(prefix_ + "subflow:", parse_subflow_text);
}

Result<std::set<SubflowKey>, Error> TokenStore::subflows_owned_by(const std::string &dip)
{
	auto every = subflows();
	if (!every)
		return unexpected(every.error());
	std::set<SubflowKey> out;
	for (const auto &[subflow, owner] : *every)
		if (owner == dip)
			out.insert(subflow);
	return out;
}

} // namespace iplb::mptcp
