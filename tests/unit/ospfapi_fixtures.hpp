// SPDX-License-Identifier: GPL-2.0-or-later
// Byte builders for ospfd API messages and LSAs, for unit tests.
#pragma once

#include "lsdb/api_protocol.hpp"
#include "util/bytes.hpp"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef IPLB_FIXTURES_DIR
#error "IPLB_FIXTURES_DIR must be defined by the build"
#endif

namespace iplb::test {

// The bytes of a recorded ospfd session, tests/fixtures/ospfapi/<name>;
// empty if it cannot be read (the tests then fail on their content).
inline std::vector<uint8_t> read_fixture(const std::string &name)
{
	std::ifstream in(std::string(IPLB_FIXTURES_DIR) + "/ospfapi/" + name, std::ios::binary);
	return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct LsaSpec {
	uint8_t type = 1;
	uint32_t id = 0;
	uint32_t adv_router = 0;
	uint32_t seq = 0x80000001;
	uint16_t age = 1;
	std::vector<uint8_t> body = {0, 0, 0, 0}; // router LSA: flags, 0, #links=0
};

inline std::vector<uint8_t> lsa_bytes(const LsaSpec &spec)
{
	ByteWriter w;
	w.u16(spec.age);
	w.u8(0x02); // options: E
	w.u8(spec.type);
	w.u32(spec.id);
	w.u32(spec.adv_router);
	w.u32(spec.seq);
	w.u16(0x1234); // checksum, not verified by the client
	w.u16(static_cast<uint16_t>(ospfapi::lsa_header_size + spec.body.size()));
	auto bytes = w.take();
	bytes.insert(bytes.end(), spec.body.begin(), spec.body.end());
	return bytes;
}

// Body of LSA_UPDATE_NOTIFY / LSA_DELETE_NOTIFY.
inline std::vector<uint8_t> notification_body(const std::vector<uint8_t> &lsa, uint32_t area = 0,
					      bool self = false)
{
	ByteWriter w;
	w.u32(0); // ifaddr
	w.u32(area);
	w.u8(self ? 1 : 0);
	w.zeros(3);
	auto body = w.take();
	body.insert(body.end(), lsa.begin(), lsa.end());
	return body;
}

inline std::vector<uint8_t> frame(ospfapi::MsgType type, uint32_t seq,
				  const std::vector<uint8_t> &body)
{
	ByteWriter w;
	w.u8(ospfapi::protocol_version);
	w.u8(static_cast<uint8_t>(type));
	w.u16(static_cast<uint16_t>(body.size()));
	w.u32(seq);
	auto bytes = w.take();
	bytes.insert(bytes.end(), body.begin(), body.end());
	return bytes;
}

inline std::vector<uint8_t> reply(uint32_t seq, int8_t code)
{
	return frame(ospfapi::MsgType::reply, seq, {static_cast<uint8_t>(code), 0, 0, 0});
}

} // namespace iplb::test
