// SPDX-License-Identifier: GPL-2.0-or-later
#include "cluster/etcd_codec.hpp"

#include "util/base64.hpp"

#include <charconv>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace iplb::cluster {
namespace {

using nlohmann::json;

// int64 fields travel as strings (JSON numbers lose precision past 2^53,
// and lease IDs are that large).
std::string int64_text(int64_t value)
{
	return std::to_string(value);
}

// etcd's gateway writes 64-bit integers as JSON strings (proto3's JSON
// mapping), and leaves zero fields out; a number is taken too.
template <typename Integer>
Result<Integer, Error> integer_field(const json &object, const char *name)
{
	const auto it = object.find(name);
	if (it == object.end() || it->is_null())
		return Integer{0};
	if (std::is_signed_v<Integer> ? it->is_number_integer() : it->is_number_unsigned())
		return it->get<Integer>();
	if (it->is_string()) {
		const auto &text = it->get_ref<const std::string &>();
		Integer value = 0;
		const auto [end, ec] =
			std::from_chars(text.data(), text.data() + text.size(), value);
		if (ec == std::errc{} && end == text.data() + text.size())
			return value;
	}
	return unexpected(Error{std::string("field '") + name +
				(std::is_signed_v<Integer> ? "' is not an integer: "
							   : "' is not an unsigned integer: ") +
				it->dump()});
}

Result<int64_t, Error> int64_field(const json &object, const char *name)
{
	return integer_field<int64_t>(object, name);
}

Result<uint64_t, Error> uint64_field(const json &object, const char *name)
{
	return integer_field<uint64_t>(object, name);
}

Result<std::string, Error> bytes_field(const json &object, const char *name)
{
	const auto it = object.find(name);
	if (it == object.end() || it->is_null())
		return std::string{};
	if (!it->is_string())
		return unexpected(Error{std::string("field '") + name + "' is not a string"});
	auto decoded = base64_decode(it->get_ref<const std::string &>());
	if (!decoded)
		return unexpected(
			Error{std::string("field '") + name + "': " + decoded.error().message});
	return std::move(decoded).value();
}

bool bool_field(const json &object, const char *name)
{
	const auto it = object.find(name);
	return it != object.end() && it->is_boolean() && it->get<bool>();
}

Result<json, Error> parse_object(std::string_view body)
{
	json parsed = json::parse(body, nullptr, false);
	if (parsed.is_discarded() || !parsed.is_object())
		return unexpected(
			Error{"not a JSON object: '" + std::string(body.substr(0, 200)) + "'"});
	if (auto error = gateway_error(body))
		return unexpected(Error{*error});
	return parsed;
}

Result<Revision, Error> header_revision(const json &object)
{
	const auto header = object.find("header");
	if (header == object.end() || !header->is_object())
		return unexpected(Error{"no header in '" + object.dump().substr(0, 200) + "'"});
	return int64_field(*header, "revision");
}

Result<KeyValue, Error> decode_kv(const json &object)
{
	if (!object.is_object())
		return unexpected(Error{"a key-value is not an object"});
	KeyValue kv;
	// Each field in turn; the first failure is the answer.
	auto key = bytes_field(object, "key");
	if (!key)
		return unexpected(key.error());
	kv.key = std::move(key).value();
	auto value = bytes_field(object, "value");
	if (!value)
		return unexpected(value.error());
	kv.value = std::move(value).value();
	const std::pair<const char *, int64_t *> numbers[] = {
		{"create_revision", &kv.create_revision},
		{"mod_revision", &kv.mod_revision},
		{"version", &kv.version},
		{"lease", &kv.lease},
	};
	for (const auto &[name, target] : numbers) {
		auto number = int64_field(object, name);
		if (!number)
			return unexpected(number.error());
		*target = *number;
	}
	return kv;
}

json txn_op(const TxnOp &op)
{
	if (op.kind == TxnOp::Kind::erase)
		return {{"request_delete_range", {{"key", base64_encode(op.key)}}}};
	json put = {{"key", base64_encode(op.key)}, {"value", base64_encode(op.value)}};
	if (op.lease != 0)
		put["lease"] = int64_text(op.lease);
	return {{"request_put", std::move(put)}};
}

json compare(const Compare &c)
{
	// Enum names as etcd's rpc.proto spells them; the gateway accepts them.
	static constexpr const char *targets[] = {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"};
	static constexpr const char *ops[] = {"EQUAL", "NOT_EQUAL", "GREATER", "LESS"};
	json out = {{"key", base64_encode(c.key)},
		    {"target", targets[static_cast<int>(c.target)]},
		    {"result", ops[static_cast<int>(c.op)]}};
	switch (c.target) {
	case Compare::Target::version:
		out["version"] = int64_text(c.number);
		break;
	case Compare::Target::create_revision:
		out["create_revision"] = int64_text(c.number);
		break;
	case Compare::Target::mod_revision:
		out["mod_revision"] = int64_text(c.number);
		break;
	case Compare::Target::value:
		out["value"] = base64_encode(c.value);
		break;
	case Compare::Target::lease:
		out["lease"] = int64_text(c.number);
		break;
	}
	return out;
}

} // namespace

Compare Compare::mod_revision_is(std::string_view key, Revision revision)
{
	return {std::string(key), Target::mod_revision, Op::equal, revision, {}};
}

Compare Compare::value_is(std::string_view key, std::string_view value)
{
	return {std::string(key), Target::value, Op::equal, 0, std::string(value)};
}

TxnOp TxnOp::put(std::string_view key, std::string_view value, LeaseId lease)
{
	return {Kind::put, std::string(key), std::string(value), lease};
}

TxnOp TxnOp::erase(std::string_view key)
{
	return {Kind::erase, std::string(key), {}, 0};
}

std::string prefix_range_end(std::string_view prefix)
{
	std::string end(prefix);
	while (!end.empty()) {
		auto &last = reinterpret_cast<unsigned char &>(end.back());
		if (last < 0xff) {
			++last;
			return end;
		}
		end.pop_back();
	}
	return std::string(1, '\0');
}

std::string encode_range(std::string_view key, std::string_view range_end)
{
	json body = {{"key", base64_encode(key)}};
	if (!range_end.empty())
		body["range_end"] = base64_encode(range_end);
	return body.dump();
}

std::string encode_put(std::string_view key, std::string_view value, LeaseId lease)
{
	json body = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
	if (lease != 0)
		body["lease"] = int64_text(lease);
	return body.dump();
}

std::string encode_delete_range(std::string_view key, std::string_view range_end)
{
	return encode_range(key, range_end);
}

std::string encode_txn(const Txn &txn)
{
	json body = {
		{"compare", json::array()}, {"success", json::array()}, {"failure", json::array()}};
	for (const auto &c : txn.compares)
		body["compare"].push_back(compare(c));
	for (const auto &op : txn.success)
		body["success"].push_back(txn_op(op));
	for (const auto &op : txn.failure)
		body["failure"].push_back(txn_op(op));
	return body.dump();
}

std::string encode_lease_grant(int64_t ttl_seconds)
{
	return json{{"TTL", int64_text(ttl_seconds)}}.dump();
}

std::string encode_lease_id(LeaseId lease)
{
	return json{{"ID", int64_text(lease)}}.dump();
}

std::string encode_watch_create(std::string_view key, std::string_view range_end,
				Revision start_revision, bool prev_kv)
{
	json create = {{"key", base64_encode(key)}};
	if (!range_end.empty())
		create["range_end"] = base64_encode(range_end);
	if (start_revision != 0)
		create["start_revision"] = int64_text(start_revision);
	if (prev_kv)
		create["prev_kv"] = true;
	// Progress notifications (every 10 minutes by default) advance the
	// revision a quiet watch resumes from, so that a reconnect does not ask
	// for history that may have been compacted meanwhile.
	create["progress_notify"] = true;
	return json{{"create_request", std::move(create)}}.dump();
}

Result<RangeResult, Error> decode_range(std::string_view body)
{
	auto object = parse_object(body);
	if (!object)
		return unexpected(object.error());
	auto revision = header_revision(*object);
	if (!revision)
		return unexpected(revision.error());
	RangeResult out{*revision, {}};
	if (const auto kvs = object->find("kvs"); kvs != object->end()) {
		if (!kvs->is_array())
			return unexpected(Error{"'kvs' is not an array"});
		for (const auto &entry : *kvs) {
			auto kv = decode_kv(entry);
			if (!kv)
				return unexpected(kv.error());
			out.kvs.push_back(std::move(kv).value());
		}
	}
	return out;
}

Result<Revision, Error> decode_put(std::string_view body)
{
	auto object = parse_object(body);
	if (!object)
		return unexpected(object.error());
	return header_revision(*object);
}

Result<int64_t, Error> decode_delete_range(std::string_view body)
{
	auto object = parse_object(body);
	if (!object)
		return unexpected(object.error());
	if (auto revision = header_revision(*object); !revision)
		return unexpected(revision.error());
	return int64_field(*object, "deleted");
}

Result<TxnResult, Error> decode_txn(std::string_view body)
{
	auto object = parse_object(body);
	if (!object)
		return unexpected(object.error());
	auto revision = header_revision(*object);
	if (!revision)
		return unexpected(revision.error());
	return TxnResult{bool_field(*object, "succeeded"), *revision};
}

Result<LeaseGrant, Error> decode_lease_grant(std::string_view body)
{
	auto object = parse_object(body);
	if (!object)
		return unexpected(object.error());
	// An error of the grant itself comes as a field of a normal answer.
	if (const auto error = object->find("error");
	    error != object->end() && error->is_string() && !error->get<std::string>().empty())
		return unexpected(Error{error->get<std::string>()});
	auto id = int64_field(*object, "ID");
	if (!id)
		return unexpected(id.error());
	auto ttl = int64_field(*object, "TTL");
	if (!ttl)
		return unexpected(ttl.error());
	if (*id == 0)
		return unexpected(Error{"the grant named no lease: '" +
					std::string(body.substr(0, 200)) + "'"});
	return LeaseGrant{*id, *ttl};
}

Result<int64_t, Error> decode_lease_keepalive(std::string_view body)
{
	// LeaseKeepAlive is a stream: its one answer comes wrapped in "result".
	JsonStreamSplitter splitter;
	auto objects = splitter.feed(body);
	if (!objects)
		return unexpected(objects.error());
	if (objects->empty())
		return unexpected(Error{"no answer to the keepalive"});
	auto object = parse_object(objects->front());
	if (!object)
		return unexpected(object.error());
	const auto result = object->find("result");
	if (result == object->end() || !result->is_object())
		return unexpected(Error{"no result in '" + object->dump().substr(0, 200) + "'"});
	auto ttl = int64_field(*result, "TTL");
	if (!ttl)
		return unexpected(ttl.error());
	if (*ttl <= 0)
		return unexpected(Error{"lease not found (expired or revoked)"});
	return *ttl;
}

Result<WatchResponse, Error> decode_watch_message(const json &message)
{
	if (!message.is_object())
		return unexpected(Error{"a watch message is not an object"});
	if (auto error = gateway_error(message.dump()))
		return unexpected(Error{*error});
	const auto result = message.find("result");
	if (result == message.end() || !result->is_object())
		return unexpected(Error{"no result in watch message '" +
					message.dump().substr(0, 200) + "'"});
	WatchResponse out;
	auto revision = header_revision(*result);
	if (!revision)
		return unexpected(revision.error());
	out.revision = *revision;
	auto watch_id = int64_field(*result, "watch_id");
	if (!watch_id)
		return unexpected(watch_id.error());
	out.watch_id = *watch_id;
	auto compact = int64_field(*result, "compact_revision");
	if (!compact)
		return unexpected(compact.error());
	out.compact_revision = *compact;
	out.created = bool_field(*result, "created");
	out.canceled = bool_field(*result, "canceled");
	if (const auto reason = result->find("cancel_reason");
	    reason != result->end() && reason->is_string())
		out.cancel_reason = reason->get<std::string>();
	if (const auto events = result->find("events"); events != result->end()) {
		if (!events->is_array())
			return unexpected(Error{"'events' is not an array"});
		for (const auto &entry : *events) {
			if (!entry.is_object())
				return unexpected(Error{"a watch event is not an object"});
			WatchEvent event;
			// PUT is the enum's zero: the gateway leaves it out.
			const auto type = entry.find("type");
			if (type != entry.end() && (*type == "DELETE" || *type == 1))
				event.type = WatchEvent::Type::erase;
			else if (type != entry.end() && *type != "PUT" && *type != 0)
				return unexpected(
					Error{"unknown watch event type " + type->dump()});
			const auto kv = entry.find("kv");
			if (kv == entry.end())
				return unexpected(Error{"a watch event without kv"});
			auto decoded = decode_kv(*kv);
			if (!decoded)
				return unexpected(decoded.error());
			event.kv = std::move(decoded).value();
			if (const auto prev = entry.find("prev_kv"); prev != entry.end()) {
				auto previous = decode_kv(*prev);
				if (!previous)
					return unexpected(previous.error());
				event.prev_kv = std::move(previous).value();
			}
			out.events.push_back(std::move(event));
		}
	}
	return out;
}

Result<MemberStatus, Error> decode_status(std::string_view body)
{
	auto object = parse_object(body);
	if (!object)
		return unexpected(object.error());
	const auto header = object->find("header");
	if (header == object->end() || !header->is_object())
		return unexpected(Error{"no header in '" + std::string(body.substr(0, 200)) + "'"});
	MemberStatus out;
	auto member = uint64_field(*header, "member_id");
	auto leader = uint64_field(*object, "leader");
	auto term = int64_field(*object, "raftTerm"); // camelCase in rpc.proto
	auto revision = int64_field(*header, "revision");
	if (!member || !leader || !term || !revision)
		return unexpected(!member   ? member.error()
				  : !leader ? leader.error()
				  : !term   ? term.error()
					    : revision.error());
	out.member_id = *member;
	out.leader = *leader;
	out.raft_term = *term;
	out.revision = *revision;
	if (const auto version = object->find("version");
	    version != object->end() && version->is_string())
		out.version = version->get<std::string>();
	return out;
}

std::optional<std::string> gateway_error(std::string_view body)
{
	const json parsed = json::parse(body, nullptr, false);
	if (parsed.is_discarded() || !parsed.is_object())
		return std::nullopt;
	const auto error = parsed.find("error");
	if (error == parsed.end())
		return std::nullopt;
	// Unary: "error" is the text, "code" the gRPC code.
	if (error->is_string() && parsed.contains("code")) {
		std::string text = error->get<std::string>();
		if (const auto code = parsed.find("code"); code->is_number_integer())
			text += " (gRPC code " + std::to_string(code->get<int>()) + ")";
		return text;
	}
	// Streams: an object with "message".
	if (error->is_object()) {
		std::string text = error->value("message", std::string("unknown error"));
		if (const auto code = error->find("grpc_code");
		    code != error->end() && code->is_number_integer())
			text += " (gRPC code " + std::to_string(code->get<int>()) + ")";
		return text;
	}
	return std::nullopt;
}

Result<std::vector<std::string>, Error> JsonStreamSplitter::feed(std::string_view chunk)
{
	std::vector<std::string> complete;
	for (const char c : chunk) {
		if (depth_ == 0) {
			// Between objects: whitespace (the gateway's newlines) only.
			if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
				continue;
			if (c != '{')
				return unexpected(Error{std::string("unexpected '") + c +
							"' between objects of the stream"});
		}
		partial_ += c;
		if (partial_.size() > max_object_bytes)
			return unexpected(Error{"a streamed object exceeds " +
						std::to_string(max_object_bytes) + " bytes"});
		if (in_string_) {
			if (escaped_)
				escaped_ = false;
			else if (c == '\\')
				escaped_ = true;
			else if (c == '"')
				in_string_ = false;
			continue;
		}
		if (c == '"') {
			in_string_ = true;
		} else if (c == '{' || c == '[') {
			++depth_;
		} else if (c == '}' || c == ']') {
			if (--depth_ == 0) {
				complete.push_back(std::move(partial_));
				partial_.clear();
			}
		}
	}
	return complete;
}

} // namespace iplb::cluster
