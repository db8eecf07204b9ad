// SPDX-License-Identifier: GPL-2.0-or-later
#include "redis/keyspace.hpp"

#include <algorithm>
#include <charconv>

namespace iplb::redis {
namespace {

constexpr uint16_t slot_count = 16384;
constexpr std::string_view error_prefix = "redis: "; // as Client reports an error reply

uint16_t crc16(std::string_view bytes)
{
	uint16_t crc = 0;
	for (const char c : bytes) {
		crc ^= static_cast<uint16_t>(static_cast<uint8_t>(c)) << 8;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
					     : static_cast<uint16_t>(crc << 1);
	}
	return crc;
}

std::string endpoint_text(const std::string &host, int64_t port)
{
	return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
	       std::to_string(port);
}

} // namespace

uint16_t key_slot(std::string_view key)
{
	if (const auto open = key.find('{'); open != std::string_view::npos) {
		const auto close = key.find('}', open + 1);
		if (close != std::string_view::npos && close > open + 1)
			key = key.substr(open + 1, close - open - 1);
	}
	return crc16(key) % slot_count;
}

std::optional<Redirect> redirect_of(const Error &error)
{
	std::string_view text = error.message;
	if (!text.starts_with(error_prefix))
		return std::nullopt;
	text.remove_prefix(error_prefix.size());
	Redirect out;
	if (text.starts_with("MOVED "))
		text.remove_prefix(6);
	else if (text.starts_with("ASK "))
		out.ask = true, text.remove_prefix(4);
	else
		return std::nullopt;
	const auto space = text.find(' ');
	if (space == std::string_view::npos)
		return std::nullopt;
	unsigned slot = 0;
	const auto [end, failed] = std::from_chars(text.data(), text.data() + space, slot);
	if (failed != std::errc{} || end != text.data() + space || slot >= slot_count)
		return std::nullopt;
	out.slot = static_cast<uint16_t>(slot);
	out.endpoint = std::string(text.substr(space + 1));
	if (!parse_endpoint(out.endpoint))
		return std::nullopt;
	return out;
}

Result<Keyspace, Error> Keyspace::connect(std::span<const std::string> endpoints,
					  std::chrono::milliseconds timeout)
{
	auto first = Client::connect_first(endpoints, timeout);
	if (!first)
		return unexpected(first.error());
	Keyspace keyspace(first->endpoint(), timeout);
	auto clustered = keyspace.read_slots(*first);
	if (!clustered)
		return unexpected(clustered.error());
	const size_t node = keyspace.node_of(first->endpoint());
	keyspace.nodes_[node].client.emplace(std::move(*first));
	return keyspace;
}

size_t Keyspace::node_of(const std::string &endpoint)
{
	for (size_t i = 0; i < nodes_.size(); i++)
		if (nodes_[i].endpoint == endpoint)
			return i;
	nodes_.push_back(Node{endpoint, std::nullopt});
	return nodes_.size() - 1;
}

Result<bool, Error> Keyspace::read_slots(Client &client)
{
	auto reply = client.command({"CLUSTER", "SLOTS"});
	if (!reply) {
		if (client.failed())
			return unexpected(reply.error());
		// "ERR This instance has cluster support disabled"
		slots_.clear();
		node_of(client.endpoint());
		return false;
	}
	const auto *ranges = reply->array();
	if (!ranges)
		return unexpected(
			Error{"redis " + client.endpoint() + ": CLUSTER SLOTS: not an array"});
	std::vector<SlotRange> slots;
	for (const auto &range : *ranges) {
		const auto *parts = range.array();
		if (!parts || parts->size() < 3 || !(*parts)[0].integer() ||
		    !(*parts)[1].integer() || !(*parts)[2].array() ||
		    (*parts)[2].array()->size() < 2 || !(*(*parts)[2].array())[0].string() ||
		    !(*(*parts)[2].array())[1].integer())
			return unexpected(Error{"redis " + client.endpoint() +
						": CLUSTER SLOTS: an unexpected range"});
		const auto &master = *(*parts)[2].array();
		std::string host = *master[0].string();
		if (host.empty()) // the node does not know its own address: the one we used
			host = parse_endpoint(client.endpoint()).value().host;
		const int64_t first = *(*parts)[0].integer(), last = *(*parts)[1].integer();
		if (first < 0 || last < first || last >= slot_count)
			return unexpected(Error{"redis " + client.endpoint() +
						": CLUSTER SLOTS: a range out of bounds"});
		slots.push_back(SlotRange{static_cast<uint16_t>(first), static_cast<uint16_t>(last),
					  node_of(endpoint_text(host, *master[1].integer()))});
	}
	if (slots.empty())
		return unexpected(
			Error{"redis " + client.endpoint() +
			      ": a cluster node that serves no slot (cluster not ready)"});
	slots_ = std::move(slots);
	return true;
}

Result<Client *, Error> Keyspace::client(size_t node)
{
	auto &entry = nodes_.at(node);
	if (!entry.client || entry.client->failed()) {
		entry.client.reset();
		auto connected = Client::connect(entry.endpoint, timeout_);
		if (!connected)
			return unexpected(connected.error());
		entry.client.emplace(std::move(*connected));
	}
	return &*entry.client;
}

Result<Reply, Error> Keyspace::command(const std::string &key, std::span<const std::string> args)
{
	size_t node = 0;
	if (cluster()) {
		const uint16_t slot = key_slot(key);
		node = nodes_.size();
		for (const auto &range : slots_)
			if (range.first <= slot && slot <= range.last)
				node = range.node;
		if (node == nodes_.size())
			return unexpected(Error{"redis: no node serves slot " +
						std::to_string(slot) + " (cluster not ready)"});
	}
	// A slot moves at most once while we look (a redirect, then the
	// answer); more is a cluster in flux: the caller connects again.
	for (int redirects = 0;; redirects++) {
		auto connected = client(node);
		if (!connected)
			return unexpected(connected.error());
		auto reply = (*connected)->command(args);
		if (reply || redirects == 2)
			return reply;
		const auto redirect = redirect_of(reply.error());
		if (!redirect)
			return reply;
		node = node_of(redirect->endpoint);
		if (redirect->ask) {
			auto target = client(node);
			if (!target)
				return unexpected(target.error());
			if (auto asking = (*target)->command({"ASKING"}); !asking)
				return unexpected(asking.error());
			return (*target)->command(args);
		}
		// MOVED: the map is stale; read it again from the node that knows.
		auto target = client(node);
		if (!target)
			return unexpected(target.error());
		if (auto again = read_slots(**target); !again)
			return unexpected(again.error());
	}
}

Result<std::vector<std::string>, Error> Keyspace::keys(const std::string &pattern)
{
	std::vector<size_t> masters;
	if (cluster()) {
		for (const auto &range : slots_)
			if (std::find(masters.begin(), masters.end(), range.node) == masters.end())
				masters.push_back(range.node);
	} else {
		masters.push_back(0);
	}
	std::vector<std::string> out;
	for (const size_t node : masters) {
		auto connected = client(node);
		if (!connected)
			return unexpected(connected.error());
		std::string cursor = "0";
		do {
			auto reply = (*connected)
					     ->command({"SCAN", cursor, "MATCH", pattern, "COUNT",
							"1000"});
			if (!reply)
				return unexpected(reply.error());
			const auto *parts = reply->array();
			if (!parts || parts->size() != 2 || !(*parts)[0].string() ||
			    !(*parts)[1].array())
				return unexpected(Error{"SCAN: an unexpected reply"});
			cursor = *(*parts)[0].string();
			for (const auto &found : *(*parts)[1].array())
				if (const auto *name = found.string())
					out.push_back(*name);
		} while (cursor != "0");
	}
	return out;
}

} // namespace iplb::redis
