// SPDX-License-Identifier: GPL-2.0-or-later
// One connection to a Redis server (Debian's hiredis 0.14, synchronous):
// commands with a timeout, and a subscriber's messages. What the MPTCP
// token store speaks (docs/MPTCP.md). Not thread-safe: one thread owns a
// client. A connection that failed (an I/O error, a timeout) stays failed:
// hiredis cannot resume a half-read reply, so the owner connects again.
#pragma once

#include "util/result.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct redisContext;

namespace iplb::redis {

struct Nil {
	friend bool operator==(Nil, Nil) = default;
};
struct Status {
	std::string text; // "OK", "PONG"...
	friend bool operator==(const Status &, const Status &) = default;
};
struct Reply;
using Array = std::vector<Reply>;
// A reply: nil, an integer, a bulk string, a status or an array. An error
// reply is the command's failure (Error), not a Reply.
struct Reply {
	std::variant<Nil, int64_t, std::string, Status, Array> value;

	bool is_nil() const { return std::holds_alternative<Nil>(value); }
	const std::string *string() const { return std::get_if<std::string>(&value); }
	const int64_t *integer() const { return std::get_if<int64_t>(&value); }
	const Array *array() const { return std::get_if<Array>(&value); }
	friend bool operator==(const Reply &, const Reply &) = default;
};

// A message a subscription delivered.
struct Message {
	std::string channel;
	std::string payload;
	friend bool operator==(const Message &, const Message &) = default;
};

// "HOST:PORT" (an IPv4 address or a name; IPv6 as [ADDR]:PORT), checked.
struct Endpoint {
	std::string host;
	uint16_t port = 0;
};
Result<Endpoint, Error> parse_endpoint(std::string_view endpoint);

class Client {
public:
	static Result<Client, Error> connect(const std::string &endpoint,
					     std::chrono::milliseconds timeout);
	// The first of `endpoints` that answers, in order; else every one's
	// error.
	static Result<Client, Error> connect_first(std::span<const std::string> endpoints,
						   std::chrono::milliseconds timeout);

	Client(Client &&) noexcept = default;
	Client &operator=(Client &&) noexcept = default;
	~Client();

	const std::string &endpoint() const { return endpoint_; }
	// Failed: an I/O error or a timeout; connect again.
	bool failed() const;

	// A command, binary-safe (each argument one bulk string).
	Result<Reply, Error> command(std::span<const std::string> args);
	Result<Reply, Error> command(std::initializer_list<std::string> args)
	{
		const std::vector<std::string> v(args);
		return command(std::span<const std::string>(v));
	}

	// SUBSCRIBE to all of `channels` in one command (no message can come
	// between two confirmations and be taken for one): afterwards the
	// connection only delivers messages.
	Result<std::monostate, Error> subscribe(std::span<const std::string> channels);
	Result<std::monostate, Error> subscribe(const std::string &channel)
	{
		return subscribe(std::span<const std::string>(&channel, 1));
	}
	// The next message, waiting at most `wait` (0: what has arrived, without
	// blocking); nullopt when none came.
	Result<std::optional<Message>, Error> next_message(std::chrono::milliseconds wait);
	int fd() const;

private:
	struct Free {
		void operator()(redisContext *context) const;
	};
	Client(std::unique_ptr<redisContext, Free> context, std::string endpoint)
	    : context_(std::move(context)), endpoint_(std::move(endpoint))
	{
	}
	Error failure(const std::string &what) const;

	std::unique_ptr<redisContext, Free> context_;
	std::string endpoint_;
};

} // namespace iplb::redis
