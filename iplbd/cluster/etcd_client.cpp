// SPDX-License-Identifier: GPL-2.0-or-later
#include "cluster/etcd_client.hpp"

namespace iplb::cluster {
namespace {

// etcd answers "no leader" and similar with gRPC Unavailable, which the
// gateway maps to 503: another member may well have a leader.
constexpr long http_unavailable = 503;

} // namespace

Status validate_endpoint(std::string_view endpoint)
{
	const auto bad = [&](const std::string &why) {
		return Status(
			unexpected(Error{"etcd endpoint '" + std::string(endpoint) + "': " + why}));
	};
	std::string_view rest;
	if (endpoint.starts_with("http://"))
		rest = endpoint.substr(7);
	else if (endpoint.starts_with("https://"))
		rest = endpoint.substr(8);
	else
		return bad("expected http://host:port");
	const size_t colon = rest.rfind(':');
	if (colon == std::string_view::npos || colon == 0)
		return bad("expected http://host:port");
	const std::string_view host = rest.substr(0, colon);
	const std::string_view port = rest.substr(colon + 1);
	if (host.find_first_of("/?#@ ") != std::string_view::npos)
		return bad("the host may not contain a path, user or space");
	if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != port.npos ||
	    std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535)
		return bad("the port must be a number from 1 to 65535");
	return ok();
}

EtcdClient::EtcdClient(std::vector<std::string> endpoints, HttpTimeouts timeouts,
		       std::unique_ptr<HttpTransport> transport)
    : endpoints_(std::move(endpoints)), timeouts_(timeouts), transport_(std::move(transport))
{
	if (!transport_)
		transport_ = std::make_unique<CurlTransport>(timeouts_);
}

EtcdClient::~EtcdClient() = default;

const std::string &EtcdClient::current_endpoint() const
{
	static const std::string none;
	return endpoints_.empty() ? none : endpoints_[current_];
}

Result<EtcdClient::Answer, Error> EtcdClient::call(std::string_view path, std::string_view body)
{
	if (endpoints_.empty())
		return unexpected(Error{"no etcd endpoint configured"});
	std::string failures;
	for (size_t tried = 0; tried < endpoints_.size(); ++tried) {
		const size_t index = (current_ + tried) % endpoints_.size();
		const std::string &endpoint = endpoints_[index];
		auto reply = transport_->post(endpoint + std::string(path), body);
		if (!failures.empty())
			failures += "; ";
		if (!reply) {
			failures += endpoint + ": " + reply.error().message;
			continue;
		}
		if (reply->status == 200) {
			current_ = index;
			return Answer{endpoint, std::move(reply->body)};
		}
		const std::string etcd_error =
			gateway_error(reply->body)
				.value_or("HTTP " + std::to_string(reply->status) + " '" +
					  reply->body.substr(0, 200) + "'");
		if (reply->status == http_unavailable) {
			failures += endpoint + ": " + etcd_error;
			continue;
		}
		// This member answered: the request itself is refused.
		current_ = index;
		return unexpected(Error{"etcd at " + endpoint + ": " + std::string(path) + ": " +
					etcd_error});
	}
	return unexpected(
		Error{"no etcd endpoint answered " + std::string(path) + " (" + failures + ")"});
}

template <typename T>
Result<T, Error> EtcdClient::decoded(const Result<Answer, Error> &answer, std::string_view path,
				     Result<T, Error> (*decode)(std::string_view))
{
	if (!answer)
		return unexpected(answer.error());
	auto value = decode(answer->body);
	if (!value)
		return unexpected(Error{"etcd at " + answer->endpoint + ": " + std::string(path) +
					": " + value.error().message});
	return value;
}

Result<Revision, Error> EtcdClient::put(std::string_view key, std::string_view value, LeaseId lease)
{
	std::lock_guard lock(mutex_);
	constexpr std::string_view path = "/v3/kv/put";
	return decoded(call(path, encode_put(key, value, lease)), path, decode_put);
}

Result<std::optional<KeyValue>, Error> EtcdClient::get(std::string_view key)
{
	std::lock_guard lock(mutex_);
	constexpr std::string_view path = "/v3/kv/range";
	auto range = decoded(call(path, encode_range(key)), path, decode_range);
	if (!range)
		return unexpected(range.error());
	if (range->kvs.empty())
		return std::optional<KeyValue>{};
	return std::optional<KeyValue>{std::move(range->kvs.front())};
}

Result<RangeResult, Error> EtcdClient::get_prefix(std::string_view prefix)
{
	std::lock_guard lock(mutex_);
	constexpr std::string_view path = "/v3/kv/range";
	return decoded(call(path, encode_range(prefix, prefix_range_end(prefix))), path,
		       decode_range);
}

Result<int64_t, Error> EtcdClient::erase(std::string_view key)
{
	std::lock_guard lock(mutex_);
	constexpr std::string_view path = "/v3/kv/deleterange";
	return decoded(call(path, encode_delete_range(key)), path, decode_delete_range);
}

Result<int64_t, Error> EtcdClient::erase_prefix(std::string_view prefix)
{
	std::lock_guard lock(mutex_);
	constexpr std::string_view path = "/v3/kv/deleterange";
	return decoded(call(path, encode_delete_range(prefix, prefix_range_end(prefix))), path,
		       decode_delete_range);
}

Result<TxnResult, Error> EtcdClient::txn(const Txn &transaction)
{
	std::lock_guard lock(mutex_);
	constexpr std::string_view path = "/v3/kv/txn";
	return decoded(call(path, encode_txn(transaction)), path, decode_txn);
}

Result<TxnResult, Error> EtcdClient::put_if_mod_revision(std::string_view key,
							 std::string_view value, Revision expected,
							 LeaseId lease)
{
	return txn(Txn{
		{Compare::mod_revision_is(key, expected)}, {TxnOp::put(key, value, lease)}, {}});
}

Result<TxnResult, Error> EtcdClient::put_if_absent(std::string_view key, std::string_view value,
						   LeaseId lease)
{
	return put_if_mod_revision(key, value, 0, lease);
}

Result<LeaseId, Error> EtcdClient::grant_lease(int64_t ttl_seconds)
{
	std::lock_guard lock(mutex_);
	constexpr std::string_view path = "/v3/lease/grant";
	auto grant = decoded(call(path, encode_lease_grant(ttl_seconds)), path, decode_lease_grant);
	if (!grant)
		return unexpected(grant.error());
	return grant->id;
}

Result<int64_t, Error> EtcdClient::keep_alive(LeaseId lease)
{
	std::lock_guard lock(mutex_);
	constexpr std::string_view path = "/v3/lease/keepalive";
	return decoded(call(path, encode_lease_id(lease)), path, decode_lease_keepalive);
}

Status EtcdClient::revoke(LeaseId lease)
{
	std::lock_guard lock(mutex_);
	constexpr std::string_view path = "/v3/lease/revoke";
	// The answer is a header only; decode_put checks exactly that.
	auto answer = decoded(call(path, encode_lease_id(lease)), path, decode_put);
	if (!answer)
		return unexpected(answer.error());
	return ok();
}

Result<MemberStatus, Error> EtcdClient::member_status(std::string_view endpoint)
{
	std::lock_guard lock(mutex_);
	const std::string where(endpoint);
	const std::string path = "/v3/maintenance/status";
	auto reply = transport_->post(where + path, "{}");
	if (!reply)
		return unexpected(
			Error{"etcd at " + where + ": " + path + ": " + reply.error().message});
	auto status = decode_status(reply->body);
	if (!status)
		return unexpected(
			Error{"etcd at " + where + ": " + path + ": " + status.error().message});
	return status;
}

std::unique_ptr<EtcdWatch> EtcdClient::watch_prefix(std::string_view prefix,
						    Revision start_revision, WatchCallback on_event,
						    WatchErrorCallback on_error)
{
	// The watch starts at the endpoint that answered last.
	std::vector<std::string> order;
	{
		std::lock_guard lock(mutex_);
		for (size_t i = 0; i < endpoints_.size(); ++i)
			order.push_back(endpoints_[(current_ + i) % endpoints_.size()]);
	}
	return std::make_unique<EtcdWatch>(std::move(order), std::string(prefix),
					   prefix_range_end(prefix), start_revision, timeouts_,
					   std::move(on_event), std::move(on_error));
}

} // namespace iplb::cluster
