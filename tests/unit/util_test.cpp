// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/bytes.hpp"
#include "util/ipv4.hpp"
#include "util/ipv6.hpp"
#include "util/read_file.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdlib.h>
#include <unistd.h>

namespace iplb {
namespace {

TEST(Ipv4, FormatsAndParsesDottedQuads)
{
	EXPECT_EQ(to_string(Ipv4{0x7f000001}), "127.0.0.1");
	EXPECT_EQ(to_string(Ipv4{0}), "0.0.0.0");
	EXPECT_EQ(to_string(Ipv4{0xffffffff}), "255.255.255.255");
	auto parsed = parse_ipv4("10.255.0.3");
	ASSERT_TRUE(parsed);
	EXPECT_EQ(parsed->value, 0x0aff0003u);
}

TEST(Ipv4, RejectsWhatIsNotAnAddress)
{
	for (const char *bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "01.2.3.4",
				"1.2.3.4 ", "a.b.c.d", "1..2.3", "1234.1.1.1"}) {
		auto parsed = parse_ipv4(bad);
		ASSERT_FALSE(parsed) << bad;
		EXPECT_NE(parsed.error().message.find("is not an IPv4 address"), std::string::npos);
	}
}

TEST(IpAddress, NodeAddressesAreUnicastAndReachable)
{
	const std::pair<const char *, const char *> unusable[] = {
		{"0.0.0.0", "the unspecified address"},
		{"0.255.1.1", "a 'this network' address (0.0.0.0/8)"},
		{"127.0.0.1", "a loopback address"},
		{"127.255.255.254", "a loopback address"},
		{"169.254.169.254", "a link-local address"},
		{"224.0.0.5", "a multicast address"},
		{"239.1.2.3", "a multicast address"},
		{"240.0.0.0", "a reserved address (240.0.0.0/4)"},
		{"255.255.255.254", "a reserved address (240.0.0.0/4)"},
		{"255.255.255.255", "the broadcast address"},
		{"::", "the unspecified address"},
		{"::1", "a loopback address"},
		{"ff02::1", "a multicast address"},
		{"fe80::1", "a link-local address"},
		{"febf::1", "a link-local address"},
		{"::ffff:10.0.0.1", "an IPv4-mapped address"},
	};
	for (const auto &[text, why] : unusable)
		EXPECT_EQ(unusable_node_address(*parse_ip_address(text)), why) << text;
	for (const char *text :
	     {"1.0.0.0", "10.255.0.1", "126.255.255.255", "128.0.0.0", "169.253.1.1", "169.255.0.1",
	      "223.255.255.255", "fc00::1", "fec0::1", "2001:db8::1", "::2", "::10.0.0.1"})
		EXPECT_EQ(unusable_node_address(*parse_ip_address(text)), "") << text;
}

std::string temporary_file(const std::string &content)
{
	char path[] = "/tmp/iplb-read-file-XXXXXX";
	const int fd = ::mkstemp(path);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(::write(fd, content.data(), content.size()),
		  static_cast<ssize_t>(content.size()));
	::close(fd);
	return path;
}

TEST(ReadFile, ReadsUpToTheLimitAndRefusesMore)
{
	const std::string path = temporary_file(std::string(1024, 'x'));
	auto whole = read_file_bounded(path, 1024, "a test file");
	ASSERT_TRUE(whole) << whole.error().message;
	EXPECT_EQ(whole->size(), 1024u);
	auto refused = read_file_bounded(path, 1023, "a test file");
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().message,
		  path + ": larger than 1023 bytes (the most a test file may have)");
	::unlink(path.c_str());

	EXPECT_EQ(read_file_bounded("/nonexistent/x", 10, "x").error().message,
		  "/nonexistent/x: cannot open: No such file or directory");
	EXPECT_EQ(read_file_bounded("/tmp", 10, "x").error().message, "/tmp: is a directory");
	EXPECT_EQ(size_text(64u << 20), "64 MiB");
	EXPECT_EQ(size_text(512u << 10), "512 KiB");
	EXPECT_EQ(size_text(100), "100 bytes");
}

TEST(ReadFile, AnEndlessInputIsRefusedAtTheLimit)
{
	const auto start = std::chrono::steady_clock::now();
	auto refused = read_file_bounded("/dev/zero", 4u << 20, "a test file");
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().message,
		  "/dev/zero: larger than 4 MiB (the most a test file may have)");
	EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Bytes, BigEndianRoundTrip)
{
	ByteWriter w;
	w.u8(0x01);
	w.u16(0x0203);
	w.u32(0x04050607);
	w.patch_u16(1, 0xa0b0);
	const auto bytes = w.take();
	ASSERT_EQ(bytes, (std::vector<uint8_t>{0x01, 0xa0, 0xb0, 0x04, 0x05, 0x06, 0x07}));
	ByteReader r(bytes);
	EXPECT_EQ(r.u8(), 0x01);
	EXPECT_EQ(r.u16(), 0xa0b0);
	EXPECT_EQ(r.u32(), 0x04050607u);
	EXPECT_EQ(r.remaining(), 0u);
}

} // namespace
} // namespace iplb
