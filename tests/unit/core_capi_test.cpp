// SPDX-License-Identifier: GPL-2.0-or-later
// The C interface as the FRR glue uses it.
#include "capi/iplb_core.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

namespace {

struct CoreDeleter {
	void operator()(iplb_core *core) const { iplb_core_free(core); }
};
using CorePtr = std::unique_ptr<iplb_core, CoreDeleter>;

iplb_status status_of(const iplb_core *core)
{
	iplb_status status;
	iplb_core_status(core, &status);
	return status;
}

TEST(CoreCapi, NewCoreReportsVersionAndHostRole)
{
	CorePtr core(iplb_core_new());
	ASSERT_NE(core, nullptr);
	const auto status = status_of(core.get());
	EXPECT_STREQ(status.version, iplb_core_version());
	EXPECT_STREQ(status.version, IPLB_VERSION);
	EXPECT_STREQ(status.role, "host");
	EXPECT_EQ(status.uptime_sec, 0u);
	EXPECT_STREQ(status.uptime, "00:00:00");
}

TEST(CoreCapi, SetRoleByName)
{
	CorePtr core(iplb_core_new());
	char err[128] = "";
	EXPECT_TRUE(iplb_core_set_role(core.get(), "mux", err, sizeof(err)));
	EXPECT_STREQ(status_of(core.get()).role, "mux");
	EXPECT_STREQ(err, "");
}

TEST(CoreCapi, UnknownRoleIsRejectedAndChangesNothing)
{
	CorePtr core(iplb_core_new());
	ASSERT_TRUE(iplb_core_set_role(core.get(), "backend", nullptr, 0));
	char err[128] = "";
	EXPECT_FALSE(iplb_core_set_role(core.get(), "switch", err, sizeof(err)));
	EXPECT_NE(std::string(err).find("'switch'"), std::string::npos) << err;
	EXPECT_STREQ(status_of(core.get()).role, "backend");
}

TEST(CoreCapi, ErrorMessageIsTruncatedToTheBuffer)
{
	CorePtr core(iplb_core_new());
	char err[8];
	std::memset(err, 'x', sizeof(err));
	EXPECT_FALSE(iplb_core_set_role(core.get(), "a-very-long-unknown-role", err, sizeof(err)));
	EXPECT_EQ(std::strlen(err), sizeof(err) - 1);
}

TEST(CoreCapi, NullNameIsRejected)
{
	CorePtr core(iplb_core_new());
	EXPECT_FALSE(iplb_core_set_role(core.get(), nullptr, nullptr, 0));
	EXPECT_STREQ(status_of(core.get()).role, "host");
}

} // namespace
