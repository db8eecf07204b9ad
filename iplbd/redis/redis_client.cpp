// SPDX-License-Identifier: GPL-2.0-or-later
#include "redis/redis_client.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <poll.h>

namespace iplb::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds timeout)
{
	timeval tv{};
	tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
	tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
	return tv;
}

Result<Reply, Error> convert(const redisReply *reply)
{
	switch (reply->type) {
	case REDIS_REPLY_NIL:
		return Reply{Nil{}};
	case REDIS_REPLY_INTEGER:
		return Reply{static_cast<int64_t>(reply->integer)};
	case REDIS_REPLY_STRING:
		return Reply{std::string(reply->str, reply->len)};
	case REDIS_REPLY_STATUS:
		return Reply{Status{std::string(reply->str, reply->len)}};
	case REDIS_REPLY_ERROR:
		return unexpected(Error{"redis: " + std::string(reply->str, reply->len)});
	case REDIS_REPLY_ARRAY: {
		Array out;
		for (size_t i = 0; i < reply->elements; i++) {
			auto element = convert(reply->element[i]);
			if (!element)
				return unexpected(element.error());
			out.push_back(std::move(*element));
		}
		return Reply{std::move(out)};
	}
	default:
		return unexpected(
			Error{"redis: a reply of unknown type " + std::to_string(reply->type)});
	}
}

struct ReplyFree {
	void operator()(redisReply *reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

} // namespace

void Client::Free::operator()(redisContext *context) const
{
	redisFree(context);
}

Client::~Client() = default;

Result<Endpoint, Error> parse_endpoint(std::string_view endpoint)
{
	const auto colon = endpoint.rfind(':');
	if (colon == std::string_view::npos || colon == 0 || colon + 1 == endpoint.size())
		return unexpected(
			Error{"redis endpoint '" + std::string(endpoint) + "': HOST:PORT"});
	std::string host(endpoint.substr(0, colon));
	if (host.size() > 2 && host.front() == '[' && host.back() == ']')
		host = host.substr(1, host.size() - 2);
	const std::string_view digits = endpoint.substr(colon + 1);
	int port = 0;
	const auto [end, error] =
		std::from_chars(digits.data(), digits.data() + digits.size(), port);
	if (error != std::errc{} || end != digits.data() + digits.size() || port < 1 ||
	    port > 65535)
		return unexpected(
			Error{"redis endpoint '" + std::string(endpoint) + "': a port of 1-65535"});
	if (host.find_first_of(" /") != std::string::npos)
		return unexpected(Error{"redis endpoint '" + std::string(endpoint) +
					"': a host name or address, then :PORT"});
	return Endpoint{std::move(host), static_cast<uint16_t>(port)};
}

Result<Client, Error> Client::connect(const std::string &endpoint,
				      std::chrono::milliseconds timeout)
{
	auto parsed = parse_endpoint(endpoint);
	if (!parsed)
		return unexpected(parsed.error());
	std::unique_ptr<redisContext, Free> context(
		redisConnectWithTimeout(parsed->host.c_str(), parsed->port, to_timeval(timeout)));
	if (!context)
		return unexpected(Error{"redis " + endpoint + ": cannot allocate a connection"});
	if (context->err)
		return unexpected(Error{"redis " + endpoint + ": " + context->errstr});
	if (redisSetTimeout(context.get(), to_timeval(timeout)) != REDIS_OK)
		return unexpected(Error{"redis " + endpoint + ": cannot set the timeout"});
	return Client(std::move(context), endpoint);
}

Result<Client, Error> Client::connect_first(std::span<const std::string> endpoints,
					    std::chrono::milliseconds timeout)
{
	std::string errors;
	for (const auto &endpoint : endpoints) {
		auto connected = connect(endpoint, timeout);
		if (connected)
			return connected;
		errors += (errors.empty() ? "" : "; ") + connected.error().message;
	}
	if (errors.empty())
		return unexpected(Error{"no redis endpoint configured"});
	return unexpected(Error{errors});
}

bool Client::failed() const
{
	return context_->err != 0;
}

int Client::fd() const
{
	return context_->fd;
}

Error Client::failure(const std::string &what) const
{
	return Error{"redis " + endpoint_ + ": " + what + ": " +
		     (context_->err ? std::string(context_->errstr) : std::string("no reply"))};
}

Result<Reply, Error> Client::command(std::span<const std::string> args)
{
	if (failed())
		return unexpected(failure("the connection failed before"));
	std::vector<const char *> argv;
	std::vector<size_t> lengths;
	for (const auto &arg : args) {
		argv.push_back(arg.data());
		lengths.push_back(arg.size());
	}
	ReplyPtr reply(static_cast<redisReply *>(redisCommandArgv(
		context_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
	if (!reply)
		return unexpected(failure(args.empty() ? "a command" : args.front()));
	return convert(reply.get());
}

Result<std::monostate, Error> Client::subscribe(std::span<const std::string> channels)
{
	std::vector<std::string> args{"SUBSCRIBE"};
	args.insert(args.end(), channels.begin(), channels.end());
	// The reply read is the first confirmation; next_message skips the
	// others.
	auto reply = command(std::span<const std::string>(args));
	if (!reply)
		return unexpected(reply.error());
	return std::monostate{};
}

Result<std::optional<Message>, Error> Client::next_message(std::chrono::milliseconds wait)
{
	if (failed())
		return unexpected(failure("the connection failed before"));
	const auto deadline = std::chrono::steady_clock::now() + wait;
	while (true) {
		// A complete reply may be buffered already.
		void *raw = nullptr;
		if (redisGetReplyFromReader(context_.get(), &raw) != REDIS_OK)
			return unexpected(failure("reading a message"));
		if (raw) {
			ReplyPtr reply(static_cast<redisReply *>(raw));
			auto converted = convert(reply.get());
			if (!converted)
				return unexpected(converted.error());
			const auto *parts = converted->array();
			// ["message", channel, payload]; others (subscribe
			// confirmations) are not messages.
			if (parts && parts->size() == 3 && (*parts)[0].string() &&
			    *(*parts)[0].string() == "message" && (*parts)[1].string() &&
			    (*parts)[2].string())
				return std::optional<Message>(
					Message{*(*parts)[1].string(), *(*parts)[2].string()});
			continue;
		}
		// What the socket holds is read even with no time left: a
		// wait of 0 takes what arrived, without blocking.
		const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
			deadline - std::chrono::steady_clock::now());
		pollfd readable{context_->fd, POLLIN, 0};
		const int ready =
			::poll(&readable, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
		if (ready < 0 && errno != EINTR)
			return unexpected(Error{"redis " + endpoint_ + ": poll failed"});
		if (ready > 0) {
			if (redisBufferRead(context_.get()) != REDIS_OK)
				return unexpected(failure("reading a message"));
			continue;
		}
		if (left.count() <= 0)
			return std::optional<Message>{};
	}
}

} // namespace iplb::redis
