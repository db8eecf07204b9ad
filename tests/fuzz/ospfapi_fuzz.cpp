// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: bytes as ospfd's API server could send them, through
// everything iplbd does with them: framing, message decoding, LSA parsing,
// the LSDB mirror and the topology built from it. Any crash, sanitizer
// report or exception is a bug; malformed input must only give errors.
//
//   make tests/fuzz/ospfapi-fuzz
//   tests/fuzz/ospfapi-fuzz -max_total_time=600 tests/fuzz/corpus/ospfapi
#include "lsdb/api_protocol.hpp"
#include "lsdb/lsa.hpp"
#include "lsdb/lsa_database.hpp"
#include "lsdb/topology_builder.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using namespace iplb;
	ospfapi::FrameReader reader;
	// Feed in two pieces, so reassembly across reads is exercised too.
	const size_t split = size / 2;
	reader.append({data, split});
	reader.append({data + split, size - split});

	LsaDatabase db;
	for (;;) {
		auto message = reader.next();
		if (!message || !*message)
			break;
		const auto &body = (*message)->body;
		switch (static_cast<ospfapi::MsgType>((*message)->type)) {
		case ospfapi::MsgType::reply:
			(void)ospfapi::decode_reply(body);
			break;
		case ospfapi::MsgType::router_id_change:
			(void)ospfapi::decode_router_id(body);
			break;
		case ospfapi::MsgType::lsa_update_notify:
		case ospfapi::MsgType::lsa_delete_notify: {
			auto n = ospfapi::decode_lsa_notification(body);
			if (!n)
				break;
			if (!n->truncated && !lsa::parse(n->lsa))
				break; // what the session does with a malformed LSA
			if ((*message)->type ==
			    static_cast<uint8_t>(ospfapi::MsgType::lsa_update_notify))
				db.apply_update(*n);
			else
				db.apply_delete(*n);
			break;
		}
		default:
			break;
		}
	}
	(void)build_topology(db, {});
	return 0;
}
