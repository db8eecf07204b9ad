// SPDX-License-Identifier: GPL-2.0-or-later
#include "lsdb/lsa_database.hpp"
#include "ospfapi_fixtures.hpp"

#include <gtest/gtest.h>

namespace iplb {
namespace {

using Change = LsaDatabase::Change;
using test::lsa_bytes;
using test::LsaSpec;
using test::notification_body;

// Keeps the bytes alive while the notification (a view) is used.
struct Notification {
	explicit Notification(const LsaSpec &spec, uint32_t area = 0)
	    : body(notification_body(lsa_bytes(spec), area)),
	      view(*ospfapi::decode_lsa_notification(body))
	{
	}
	std::vector<uint8_t> body;
	ospfapi::LsaNotification view;
};

TEST(LsaDatabase, AddReplaceRemove)
{
	LsaDatabase db;
	const LsaSpec r1{.type = 1, .id = 1, .adv_router = 1, .body = {0, 0, 0, 0}};
	EXPECT_EQ(db.apply_update(Notification(r1).view), Change::added);
	LsaSpec changed = r1;
	changed.seq++;
	changed.body = {0, 0, 0, 1};
	EXPECT_EQ(db.apply_update(Notification(changed).view), Change::replaced);
	EXPECT_EQ(db.size(), 1u);
	EXPECT_EQ(db.apply_delete(Notification(changed).view), Change::removed);
	EXPECT_EQ(db.size(), 0u);
	EXPECT_EQ(db.apply_delete(Notification(changed).view), Change::none);
}

TEST(LsaDatabase, ARefreshIsNotAChange)
{
	LsaDatabase db;
	LsaSpec lsa{.type = 1, .id = 7, .adv_router = 7};
	db.apply_update(Notification(lsa).view);
	lsa.seq++;
	lsa.age = 0;
	EXPECT_EQ(db.apply_update(Notification(lsa).view), Change::refreshed);
	EXPECT_EQ(db.entries().begin()->second.header.seq, lsa.seq);
}

TEST(LsaDatabase, RefreshesDoNotChangeTheContentHash)
{
	LsaDatabase db;
	LsaSpec lsa{.type = 1, .id = 7, .adv_router = 7, .body = {0, 0, 0, 0}};
	db.apply_update(Notification(lsa).view);
	const uint64_t before = db.content_hash();
	EXPECT_NE(before, 0u);

	// A real refresh: new sequence number, age and checksum.
	auto refreshed_body = notification_body(lsa_bytes(lsa));
	refreshed_body[12 + 0] = 0;	 // age
	refreshed_body[12 + 15] ^= 1;	 // sequence number
	refreshed_body[12 + 16] ^= 0xff; // checksum
	auto refreshed = *ospfapi::decode_lsa_notification(refreshed_body);
	EXPECT_EQ(db.apply_update(refreshed), Change::refreshed);
	EXPECT_EQ(db.content_hash(), before);

	// How ospfd reports a refresh: the old instance withdrawn, the new one
	// announced.
	EXPECT_EQ(db.apply_delete(refreshed), Change::removed);
	EXPECT_NE(db.content_hash(), before);
	EXPECT_EQ(db.apply_update(refreshed), Change::added);
	EXPECT_EQ(db.content_hash(), before);

	lsa.body = {0, 0, 0, 1};
	db.apply_update(Notification(lsa).view);
	EXPECT_NE(db.content_hash(), before) << "a real change";
}

TEST(LsaDatabase, MaxAgeIsAWithdrawal)
{
	LsaDatabase db;
	LsaSpec lsa{.type = 1, .id = 7, .adv_router = 7};
	db.apply_update(Notification(lsa).view);
	lsa.age = LsaDatabase::max_age;
	EXPECT_EQ(db.apply_update(Notification(lsa).view), Change::removed);
	EXPECT_EQ(db.size(), 0u);
	// DoNotAge bit set and MaxAge: still MaxAge.
	lsa.age = 0x8000 | LsaDatabase::max_age;
	EXPECT_EQ(db.apply_update(Notification(lsa).view), Change::none);
}

TEST(LsaDatabase, AreaScopedLsasAreKeptPerArea)
{
	LsaDatabase db;
	const LsaSpec summary{.type = 3, .id = 0x0a000000, .adv_router = 9};
	db.apply_update(Notification(summary, 0).view);
	db.apply_update(Notification(summary, 1).view);
	EXPECT_EQ(db.size(), 2u);
	// AS-external LSAs are one instance whatever area the notice names.
	const LsaSpec external{.type = 5, .id = 0x0b000000, .adv_router = 9};
	db.apply_update(Notification(external, 0).view);
	db.apply_update(Notification(external, 1).view);
	EXPECT_EQ(db.size(), 3u);
	const auto counts = db.count_by_type();
	EXPECT_EQ(counts[3], 2u);
	EXPECT_EQ(counts[5], 1u);
}

TEST(LsaDatabase, CountsByTypeFollowEveryChange)
{
	LsaDatabase db;
	LsaSpec router{.type = 1, .id = 1, .adv_router = 1};
	db.apply_update(Notification(router).view);
	router.seq++; // a refresh: still one
	db.apply_update(Notification(router).view);
	const LsaSpec other{.type = 1, .id = 2, .adv_router = 2};
	db.apply_update(Notification(other).view);
	EXPECT_EQ(db.count_by_type()[1], 2u);
	db.apply_delete(Notification(other).view);
	db.apply_delete(Notification(other).view); // gone already: no change
	EXPECT_EQ(db.count_by_type()[1], 1u);
	router.age = LsaDatabase::max_age; // a withdrawal
	db.apply_update(Notification(router).view);
	EXPECT_EQ(db.count_by_type()[1], 0u);
	db.apply_update(Notification(other).view);
	db.clear();
	EXPECT_EQ(db.count_by_type(), (std::array<size_t, 12>{}));
}

} // namespace
} // namespace iplb
