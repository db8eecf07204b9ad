// SPDX-License-Identifier: GPL-2.0-or-later
// etcd v3's JSON gateway as values: the request bodies the client sends and
// the parsers of what etcd answers, with no I/O, so that they are tested
// without a server (docs/LB.md, "Control plane: the etcd client").
//
// The gateway is grpc-gateway over etcd's protobuf API: `bytes` fields
// (keys, values) are base64, int64 fields (revisions, lease IDs) are JSON
// strings, and fields at their zero value are left out (a PUT event has no
// "type", a key without a lease no "lease", a failed txn no "succeeded").
// The parsers accept a number where a string is expected, and a missing
// field as zero.
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace iplb::cluster {

using Revision = int64_t;
using LeaseId = int64_t;

// One key as etcd holds it (mvccpb.KeyValue).
struct KeyValue {
	std::string key;
	std::string value;
	Revision create_revision = 0;
	Revision mod_revision = 0;
	int64_t version = 0; // 1 at creation, +1 per put; 0 once deleted
	LeaseId lease = 0;   // 0: no lease

	bool operator==(const KeyValue &) const = default;
};

// A range's keys and the store's revision when it was read: a watch from
// revision + 1 then misses nothing and repeats nothing.
struct RangeResult {
	Revision revision = 0;
	std::vector<KeyValue> kvs;
};

// One comparison of a transaction (etcdserverpb.Compare).
struct Compare {
	enum class Target { version, create_revision, mod_revision, value, lease };
	enum class Op { equal, not_equal, greater, less };

	std::string key;
	Target target = Target::mod_revision;
	Op op = Op::equal;
	int64_t number = 0; // version, revisions, lease
	std::string value;  // Target::value

	// mod_revision == 0 holds exactly when the key is absent.
	static Compare mod_revision_is(std::string_view key, Revision revision);
	static Compare absent(std::string_view key) { return mod_revision_is(key, 0); }
	static Compare value_is(std::string_view key, std::string_view value);
};

// One operation of a transaction's branch: a put or a delete of one key.
struct TxnOp {
	enum class Kind { put, erase };

	Kind kind = Kind::put;
	std::string key;
	std::string value;
	LeaseId lease = 0;

	static TxnOp put(std::string_view key, std::string_view value, LeaseId lease = 0);
	static TxnOp erase(std::string_view key);
};

struct Txn {
	std::vector<Compare> compares;
	std::vector<TxnOp> success;
	std::vector<TxnOp> failure;
};

struct TxnResult {
	bool succeeded = false;
	Revision revision = 0; // the store's revision after the transaction
};

struct LeaseGrant {
	LeaseId id = 0;
	int64_t ttl = 0; // seconds
};

// What one member says of itself (/v3/maintenance/status). Member IDs are
// unsigned 64-bit: they do not fit an int64.
struct MemberStatus {
	uint64_t member_id = 0;
	uint64_t leader = 0; // 0: the member knows no leader
	int64_t raft_term = 0;
	Revision revision = 0;
	std::string version; // etcd's, e.g. "3.4.23"

	bool is_leader() const { return member_id != 0 && member_id == leader; }
};

// One event of a watch (mvccpb.Event): kv of a delete carries the key and
// the deletion's revision as mod_revision.
struct WatchEvent {
	enum class Type { put, erase };

	Type type = Type::put;
	KeyValue kv;
	std::optional<KeyValue> prev_kv;
};

// One message of a watch stream.
struct WatchResponse {
	Revision revision = 0; // the header's
	int64_t watch_id = 0;
	bool created = false;
	bool canceled = false;
	Revision compact_revision = 0; // set when the start revision was compacted
	std::string cancel_reason;
	std::vector<WatchEvent> events;
};

// The range end that makes a range of "every key starting with prefix":
// the prefix with its last byte below 0xff incremented (etcd's clientv3
// GetPrefixRangeEnd); "\0" (every key) when there is none.
std::string prefix_range_end(std::string_view prefix);

// Request bodies, JSON text.
std::string encode_range(std::string_view key, std::string_view range_end = {});
std::string encode_put(std::string_view key, std::string_view value, LeaseId lease);
std::string encode_delete_range(std::string_view key, std::string_view range_end = {});
std::string encode_txn(const Txn &txn);
std::string encode_lease_grant(int64_t ttl_seconds);
std::string encode_lease_id(LeaseId lease); // keepalive and revoke
std::string encode_watch_create(std::string_view key, std::string_view range_end,
				Revision start_revision, bool prev_kv = false);

// Response parsers. A body that is not what the gateway sends is an error
// naming what is wrong; so is an error object ({"error": ..., "code": ...}).
Result<RangeResult, Error> decode_range(std::string_view body);
Result<Revision, Error> decode_put(std::string_view body);
Result<int64_t, Error> decode_delete_range(std::string_view body); // keys deleted
Result<TxnResult, Error> decode_txn(std::string_view body);
Result<LeaseGrant, Error> decode_lease_grant(std::string_view body);
// The TTL left after a keepalive; a lease that is gone (expired, revoked)
// comes back with TTL 0 or none, and is an error here.
Result<int64_t, Error> decode_lease_keepalive(std::string_view body);
Result<WatchResponse, Error> decode_watch_message(const nlohmann::json &message);
Result<MemberStatus, Error> decode_status(std::string_view body);

// The error text of an error body from the gateway, if the body is one:
// unary calls answer {"error": "...", "code": N, "message": "..."},
// streams {"error": {"grpc_code": N, "http_code": N, "message": "..."}}.
std::optional<std::string> gateway_error(std::string_view body);

// Splits a streamed response (the watch) into its JSON objects. grpc-gateway
// writes one object per line, but a read may end anywhere (mid-object,
// mid-string, several objects at once), so this tracks braces and strings
// rather than trusting newlines.
class JsonStreamSplitter {
public:
	// Appends a chunk; returns the complete objects it ends, in order.
	// Fails on bytes that cannot start an object, or an object larger than
	// max_object_bytes (a stream gone wrong should not grow without bound).
	Result<std::vector<std::string>, Error> feed(std::string_view chunk);

	// Bytes of an object not yet complete.
	size_t pending() const { return partial_.size(); }

	static constexpr size_t max_object_bytes = 64u << 20;

private:
	std::string partial_;
	int depth_ = 0;
	bool in_string_ = false;
	bool escaped_ = false;
};

} // namespace iplb::cluster
