// SPDX-License-Identifier: GPL-2.0-or-later
// etcd's JSON gateway as values, without a server: base64, the request
// bodies, the parsers of answers (as etcd 3.4's gateway writes them: int64
// as strings, zero fields left out), and the splitter of the watch stream.
#include "cluster/etcd_client.hpp"
#include "cluster/etcd_codec.hpp"
#include "util/base64.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <deque>

namespace iplb::cluster {
namespace {

using nlohmann::json;

TEST(Base64, EncodesTheRfc4648Vectors)
{
	const std::pair<const char *, const char *> vectors[] = {
		{"", ""},
		{"f", "Zg=="},
		{"fo", "Zm8="},
		{"foo", "Zm9v"},
		{"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
	};
	for (const auto &[plain, encoded] : vectors) {
		EXPECT_EQ(base64_encode(plain), encoded);
		auto decoded = base64_decode(encoded);
		ASSERT_TRUE(decoded) << decoded.error().message;
		EXPECT_EQ(*decoded, plain);
	}
}

TEST(Base64, RoundTripsEveryByteValueAndLength)
{
	std::string bytes;
	for (int i = 0; i < 256; ++i)
		bytes += static_cast<char>(i);
	for (size_t length = 0; length <= bytes.size(); ++length) {
		const std::string part = bytes.substr(bytes.size() - length);
		auto decoded = base64_decode(base64_encode(part));
		ASSERT_TRUE(decoded) << length;
		ASSERT_EQ(*decoded, part) << length;
	}
	EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Base64, RefusesWhatIsNotCanonical)
{
	for (const char *bad :
	     {"Zg", "Zg=", "Z===", "Zm9v!", "Zg==Zg==", "Z=g=", "Zm9v\n", "====", "Zm 9"}) {
		auto decoded = base64_decode(bad);
		ASSERT_FALSE(decoded) << bad;
		EXPECT_NE(decoded.error().message.find("is not base64"), std::string::npos);
	}
}

TEST(EtcdCodec, PrefixRangeEndIncrementsTheLastByteBelow0xff)
{
	EXPECT_EQ(prefix_range_end("/iplb/vips/"), "/iplb/vips0");
	EXPECT_EQ(prefix_range_end("a\xff"), "b");
	EXPECT_EQ(prefix_range_end("\xff\xff"), std::string(1, '\0'));
	EXPECT_EQ(prefix_range_end(""), std::string(1, '\0'));
}

TEST(EtcdCodec, EncodesRequestsInBase64WithInt64AsStrings)
{
	EXPECT_EQ(json::parse(encode_range("/a")), json::parse(R"({"key":"L2E="})"));
	EXPECT_EQ(json::parse(encode_range("/a/", prefix_range_end("/a/"))),
		  json::parse(R"({"key":"L2Ev","range_end":"L2Ew"})"));
	EXPECT_EQ(json::parse(encode_put("k", "v", 0)),
		  json::parse(R"({"key":"aw==","value":"dg=="})"));
	// Lease IDs are past 2^53: a JSON number would lose them.
	EXPECT_EQ(json::parse(encode_put("k", "", 7587869435470407433)),
		  json::parse(R"({"key":"aw==","value":"","lease":"7587869435470407433"})"));
	EXPECT_EQ(json::parse(encode_lease_grant(10)), json::parse(R"({"TTL":"10"})"));
	EXPECT_EQ(json::parse(encode_lease_id(-5)), json::parse(R"({"ID":"-5"})"));
	EXPECT_EQ(json::parse(encode_watch_create("/p/", "/p0", 42)),
		  json::parse(R"({"create_request":{"key":"L3Av","range_end":"L3Aw",)"
			      R"("start_revision":"42","progress_notify":true}})"));
	EXPECT_EQ(json::parse(encode_watch_create("/p/", "/p0", 0, true)),
		  json::parse(R"({"create_request":{"key":"L3Av","range_end":"L3Aw",)"
			      R"("prev_kv":true,"progress_notify":true}})"));
}

TEST(EtcdCodec, EncodesATransaction)
{
	const Txn txn{{Compare::mod_revision_is("k", 12), Compare::absent("x"),
		       Compare::value_is("v", "yes")},
		      {TxnOp::put("k", "new", 3), TxnOp::erase("old")},
		      {TxnOp::put("failed", "1")}};
	EXPECT_EQ(json::parse(encode_txn(txn)), json::parse(R"({
		"compare": [
			{"key": "aw==", "target": "MOD", "result": "EQUAL", "mod_revision": "12"},
			{"key": "eA==", "target": "MOD", "result": "EQUAL", "mod_revision": "0"},
			{"key": "dg==", "target": "VALUE", "result": "EQUAL", "value": "eWVz"}],
		"success": [
			{"request_put": {"key": "aw==", "value": "bmV3", "lease": "3"}},
			{"request_delete_range": {"key": "b2xk"}}],
		"failure": [{"request_put": {"key": "ZmFpbGVk", "value": "MQ=="}}]})"));
}

TEST(EtcdCodec, DecodesARangeWithZeroFieldsLeftOut)
{
	// As etcd 3.4 answers: the first version of a key has "version":"1",
	// a key without lease has no "lease", an empty value no "value".
	auto range = decode_range(R"({"header":{"cluster_id":"14841639068965178418",
		"member_id":"10276657743932975437","revision":"9","raft_term":"2"},
		"kvs":[{"key":"L2EvMQ==","create_revision":"5","mod_revision":"8","version":"3",
		"value":"b25l","lease":"7587869435470407433"},
		{"key":"L2EvMg==","create_revision":"9","mod_revision":"9","version":"1"}],
		"count":"2"})");
	ASSERT_TRUE(range) << range.error().message;
	EXPECT_EQ(range->revision, 9);
	ASSERT_EQ(range->kvs.size(), 2u);
	EXPECT_EQ(range->kvs[0], (KeyValue{"/a/1", "one", 5, 8, 3, 7587869435470407433}));
	EXPECT_EQ(range->kvs[1], (KeyValue{"/a/2", "", 9, 9, 1, 0}));

	auto empty = decode_range(R"({"header":{"revision":"9"}})");
	ASSERT_TRUE(empty);
	EXPECT_TRUE(empty->kvs.empty());
	// Numbers where strings are expected are read too.
	auto numbers =
		decode_range(R"({"header":{"revision":4},"kvs":[{"key":"aw==","version":2}]})");
	ASSERT_TRUE(numbers);
	EXPECT_EQ(numbers->revision, 4);
	EXPECT_EQ(numbers->kvs[0].version, 2);
}

TEST(EtcdCodec, DecodesPutDeleteTxnAndLeases)
{
	auto put = decode_put(R"({"header":{"revision":"17","raft_term":"2"}})");
	ASSERT_TRUE(put);
	EXPECT_EQ(*put, 17);
	auto deleted = decode_delete_range(R"({"header":{"revision":"18"},"deleted":"1"})");
	ASSERT_TRUE(deleted);
	EXPECT_EQ(*deleted, 1);
	auto none = decode_delete_range(R"({"header":{"revision":"18"}})");
	ASSERT_TRUE(none);
	EXPECT_EQ(*none, 0);

	auto won = decode_txn(R"({"header":{"revision":"19"},"succeeded":true,
		"responses":[{"response_put":{"header":{"revision":"19"}}}]})");
	ASSERT_TRUE(won);
	EXPECT_TRUE(won->succeeded);
	EXPECT_EQ(won->revision, 19);
	auto lost = decode_txn(R"({"header":{"revision":"19"}})");
	ASSERT_TRUE(lost);
	EXPECT_FALSE(lost->succeeded);

	auto grant = decode_lease_grant(
		R"({"header":{"revision":"19"},"ID":"7587869435470407433","TTL":"5"})");
	ASSERT_TRUE(grant) << grant.error().message;
	EXPECT_EQ(grant->id, 7587869435470407433);
	EXPECT_EQ(grant->ttl, 5);
	auto refused = decode_lease_grant(R"({"header":{"revision":"19"},"error":"too many"})");
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().message, "too many");

	auto alive = decode_lease_keepalive(
		"{\"result\":{\"header\":{\"revision\":\"19\"},\"ID\":\"7\",\"TTL\":\"5\"}}\n");
	ASSERT_TRUE(alive) << alive.error().message;
	EXPECT_EQ(*alive, 5);
	auto gone = decode_lease_keepalive(R"({"result":{"header":{"revision":"19"},"ID":"7"}})");
	ASSERT_FALSE(gone);
	EXPECT_NE(gone.error().message.find("lease not found"), std::string::npos);
}

TEST(EtcdCodec, ReportsGatewayErrorsAndMalformedAnswers)
{
	const char *unary =
		R"({"error":"etcdserver: requested lease not found","code":5,"message":"etcdserver: requested lease not found"})";
	EXPECT_EQ(gateway_error(unary), "etcdserver: requested lease not found (gRPC code 5)");
	auto put = decode_put(unary);
	ASSERT_FALSE(put);
	EXPECT_NE(put.error().message.find("requested lease not found"), std::string::npos);
	const char *stream =
		R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}})";
	EXPECT_EQ(gateway_error(stream), "etcdserver: no leader (gRPC code 14)");
	EXPECT_EQ(gateway_error(R"({"header":{}})"), std::nullopt);
	EXPECT_EQ(gateway_error("not json"), std::nullopt);

	EXPECT_FALSE(decode_put("<html>"));
	EXPECT_FALSE(decode_put(R"({"no":"header"})"));
	EXPECT_FALSE(decode_range(R"({"header":{"revision":"x"}})"));
	EXPECT_FALSE(decode_range(R"({"header":{"revision":"1"},"kvs":[{"key":"!!"}]})"));
	EXPECT_FALSE(decode_range(R"({"header":{"revision":"1"},"kvs":{}})"));
}

TEST(EtcdCodec, DecodesWatchMessages)
{
	auto created = decode_watch_message(
		json::parse(R"({"result":{"header":{"revision":"20"},"created":true}})"));
	ASSERT_TRUE(created) << created.error().message;
	EXPECT_TRUE(created->created);
	EXPECT_EQ(created->revision, 20);
	EXPECT_TRUE(created->events.empty());

	// A PUT has no "type" (the enum's zero); a DELETE's kv has the key and
	// the deletion's revision only.
	auto events = decode_watch_message(json::parse(R"({"result":{"header":{"revision":"22"},
		"watch_id":"3","events":[
		{"kv":{"key":"L3AvYQ==","create_revision":"21","mod_revision":"21","version":"1","value":"MQ=="}},
		{"type":"DELETE","kv":{"key":"L3AvYQ==","mod_revision":"22"},
		 "prev_kv":{"key":"L3AvYQ==","create_revision":"21","mod_revision":"21","version":"1","value":"MQ=="}}]}})"));
	ASSERT_TRUE(events) << events.error().message;
	EXPECT_EQ(events->watch_id, 3);
	ASSERT_EQ(events->events.size(), 2u);
	EXPECT_EQ(events->events[0].type, WatchEvent::Type::put);
	EXPECT_EQ(events->events[0].kv, (KeyValue{"/p/a", "1", 21, 21, 1, 0}));
	EXPECT_EQ(events->events[1].type, WatchEvent::Type::erase);
	EXPECT_EQ(events->events[1].kv, (KeyValue{"/p/a", "", 0, 22, 0, 0}));
	ASSERT_TRUE(events->events[1].prev_kv);
	EXPECT_EQ(events->events[1].prev_kv->value, "1");

	auto compacted = decode_watch_message(json::parse(
		R"({"result":{"header":{"revision":"30"},"canceled":true,"compact_revision":"25",
		"cancel_reason":"mvcc: required revision has been compacted"}})"));
	ASSERT_TRUE(compacted);
	EXPECT_TRUE(compacted->canceled);
	EXPECT_EQ(compacted->compact_revision, 25);

	auto error = decode_watch_message(json::parse(
		R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader"}})"));
	ASSERT_FALSE(error);
	EXPECT_NE(error.error().message.find("no leader"), std::string::npos);
	EXPECT_FALSE(decode_watch_message(json::parse(
		R"({"result":{"header":{"revision":"1"},"events":[{"type":"BOGUS","kv":{}}]}})")));
	EXPECT_FALSE(decode_watch_message(json::parse(R"({"result":{}})")));
}

TEST(EtcdCodec, DecodesAMemberStatusWithUnsignedIds)
{
	// As etcd 3.4.23 answered; both IDs are past INT64_MAX.
	auto status = decode_status(
		R"({"header":{"cluster_id":"1395101893889673623","member_id":"14538934382248363345",)"
		R"("revision":"1","raft_term":"2"},"version":"3.4.23","dbSize":"20480",)"
		R"("leader":"14538934382248363345","raftIndex":"8","raftTerm":"2",)"
		R"("raftAppliedIndex":"8","dbSizeInUse":"16384"})");
	ASSERT_TRUE(status) << status.error().message;
	EXPECT_EQ(status->member_id, 14538934382248363345u);
	EXPECT_EQ(status->leader, 14538934382248363345u);
	EXPECT_TRUE(status->is_leader());
	EXPECT_EQ(status->raft_term, 2);
	EXPECT_EQ(status->revision, 1);
	EXPECT_EQ(status->version, "3.4.23");
	auto follower =
		decode_status(R"({"header":{"member_id":"7","revision":"1"},"leader":"9"})");
	ASSERT_TRUE(follower);
	EXPECT_FALSE(follower->is_leader());
	EXPECT_FALSE(decode_status(R"({"header":{"member_id":"-7"}})"));
}

TEST(JsonStreamSplitter, SplitsObjectsCutAnywhere)
{
	const std::string stream = "{\"result\":{\"a\":\"x}{\\\"y\",\"b\":[1,{\"c\":2}]}}\n"
				   "{\"result\":{}}\r\n  {\"e\":\"\\\\\"}\n";
	const std::vector<std::string> expected = {
		"{\"result\":{\"a\":\"x}{\\\"y\",\"b\":[1,{\"c\":2}]}}",
		"{\"result\":{}}",
		"{\"e\":\"\\\\\"}",
	};
	// Every cut into two chunks, and one byte at a time.
	for (size_t cut = 0; cut <= stream.size(); ++cut) {
		JsonStreamSplitter splitter;
		std::vector<std::string> objects;
		for (const auto part : {std::string_view(stream).substr(0, cut),
					std::string_view(stream).substr(cut)}) {
			auto got = splitter.feed(part);
			ASSERT_TRUE(got) << cut << ": " << got.error().message;
			objects.insert(objects.end(), got->begin(), got->end());
		}
		EXPECT_EQ(objects, expected) << "cut at " << cut;
		EXPECT_EQ(splitter.pending(), 0u);
	}
	JsonStreamSplitter bytewise;
	std::vector<std::string> objects;
	for (const char c : stream) {
		auto got = bytewise.feed(std::string_view(&c, 1));
		ASSERT_TRUE(got);
		objects.insert(objects.end(), got->begin(), got->end());
	}
	EXPECT_EQ(objects, expected);
	for (const auto &object : objects)
		EXPECT_FALSE(json::parse(object, nullptr, false).is_discarded()) << object;
}

TEST(JsonStreamSplitter, KeepsAnUnfinishedObjectAndRefusesGarbage)
{
	JsonStreamSplitter splitter;
	auto first = splitter.feed("{\"result\":{\"header\":");
	ASSERT_TRUE(first);
	EXPECT_TRUE(first->empty());
	EXPECT_EQ(splitter.pending(), 20u);
	auto rest = splitter.feed("{}}}{\"x\":1}");
	ASSERT_TRUE(rest);
	EXPECT_EQ(rest->size(), 2u);

	JsonStreamSplitter garbage;
	auto bad = garbage.feed("{}<html>");
	ASSERT_FALSE(bad);
	EXPECT_NE(bad.error().message.find("'<'"), std::string::npos);
}

// A transport with canned answers: what the client asks, in order.
class ScriptedTransport : public HttpTransport {
public:
	struct Step {
		std::string expected_url;
		Result<HttpReply, Error> reply;
	};
	explicit ScriptedTransport(std::deque<Step> steps, std::vector<std::string> &log)
	    : steps_(std::move(steps)), log_(log)
	{
	}
	Result<HttpReply, Error> post(std::string_view url, std::string_view body) override
	{
		log_.push_back(std::string(url) + " " + std::string(body));
		if (steps_.empty())
			return unexpected(Error{"unexpected request"});
		Step step = std::move(steps_.front());
		steps_.pop_front();
		EXPECT_EQ(url, step.expected_url);
		return step.reply;
	}

private:
	std::deque<Step> steps_;
	std::vector<std::string> &log_;
};

TEST(EtcdClient, MovesToTheNextEndpointOnConnectionErrorsAndStaysThere)
{
	std::vector<std::string> log;
	const auto refused = [] {
		return Result<HttpReply, Error>(unexpected(Error{"Failed to connect: refused"}));
	};
	const auto ok_put = [] {
		return Result<HttpReply, Error>(HttpReply{200, R"({"header":{"revision":"5"}})"});
	};
	std::deque<ScriptedTransport::Step> steps;
	steps.push_back({"http://a:1/v3/kv/put", refused()});
	steps.push_back({"http://b:2/v3/kv/put",
			 HttpReply{503, R"({"error":"etcdserver: no leader","code":14})"}});
	steps.push_back({"http://c:3/v3/kv/put", ok_put()});
	steps.push_back({"http://c:3/v3/kv/put", ok_put()});
	// Every endpoint fails: the error names each one.
	steps.push_back({"http://c:3/v3/kv/put", refused()});
	steps.push_back({"http://a:1/v3/kv/put", refused()});
	steps.push_back({"http://b:2/v3/kv/put", refused()});
	// A refusal by etcd itself is the answer: no failover.
	steps.push_back(
		{"http://c:3/v3/lease/revoke",
		 HttpReply{404, R"({"error":"etcdserver: requested lease not found","code":5})"}});
	EtcdClient client({"http://a:1", "http://b:2", "http://c:3"}, {},
			  std::make_unique<ScriptedTransport>(std::move(steps), log));
	auto first = client.put("k", "v");
	ASSERT_TRUE(first) << first.error().message;
	EXPECT_EQ(*first, 5);
	EXPECT_EQ(client.current_endpoint(), "http://c:3");
	ASSERT_TRUE(client.put("k", "v"));
	auto none = client.put("k", "v");
	ASSERT_FALSE(none);
	EXPECT_EQ(
		none.error().message,
		"no etcd endpoint answered /v3/kv/put (http://c:3: Failed to connect: refused; "
		"http://a:1: Failed to connect: refused; http://b:2: Failed to connect: refused)");
	auto revoked = client.revoke(7);
	ASSERT_FALSE(revoked);
	EXPECT_EQ(revoked.error().message, "etcd at http://c:3: /v3/lease/revoke: etcdserver: "
					   "requested lease not found (gRPC code 5)");
	EXPECT_EQ(log.size(), 8u);
	EXPECT_EQ(log[0], R"(http://a:1/v3/kv/put {"key":"aw==","value":"dg=="})");
}

TEST(EtcdClient, ValidatesEndpoints)
{
	for (const char *good :
	     {"http://127.0.0.1:2379", "https://etcd.example:443", "http://[::1]:2379"})
		EXPECT_TRUE(validate_endpoint(good)) << good;
	for (const char *bad :
	     {"127.0.0.1:2379", "http://host", "http://host:0", "http://host:65536",
	      "http://host:2379/v3", "http://:2379", "ftp://host:21", "http://a b:1"}) {
		auto status = validate_endpoint(bad);
		ASSERT_FALSE(status) << bad;
		EXPECT_NE(status.error().message.find(bad), std::string::npos);
	}
}

} // namespace
} // namespace iplb::cluster
