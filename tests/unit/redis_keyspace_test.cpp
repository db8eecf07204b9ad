// SPDX-License-Identifier: GPL-2.0-or-later
// What the cluster-aware keyspace (iplbd/redis/keyspace.hpp) computes on
// its own: a key's hash slot, and the redirects it follows.
#include "redis/keyspace.hpp"

#include <gtest/gtest.h>

namespace iplb::redis {
namespace {

TEST(RedisKeyspace, KeySlotsAreTheClusterSpecificationsOnes)
{
	// The specification's CRC16 check value: "123456789" -> 0x31c3.
	EXPECT_EQ(key_slot("123456789"), 0x31c3 % 16384);
	EXPECT_EQ(key_slot("foo"), 12182); // as CLUSTER KEYSLOT foo says
	EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
	EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
	EXPECT_EQ(key_slot("foo{}{bar}"), 8363) << "an empty tag: the whole key";
	EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
}

TEST(RedisKeyspace, RedirectsAreReadFromTheErrorsTheyCameAs)
{
	EXPECT_EQ(redirect_of(Error{"redis: MOVED 3999 127.0.0.1:6381"}),
		  (Redirect{false, 3999, "127.0.0.1:6381"}));
	EXPECT_EQ(redirect_of(Error{"redis: ASK 3999 [2001:db8::1]:6381"}),
		  (Redirect{true, 3999, "[2001:db8::1]:6381"}));
	for (const char *other :
	     {"redis: ERR unknown command", "redis: MOVED 16384 127.0.0.1:6381",
	      "redis: MOVED x 127.0.0.1:6381", "redis: MOVED 3999", "MOVED 3999 127.0.0.1:6381",
	      "redis: MOVED 3999 127.0.0.1", "redis 127.0.0.1:6379: reading: timeout"})
		EXPECT_EQ(redirect_of(Error{other}), std::nullopt) << other;
}

} // namespace
} // namespace iplb::redis
