// SPDX-License-Identifier: GPL-2.0-or-later
#include "fake_ospf_api_server.hpp"

#include "ospfapi_fixtures.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace iplb::test {

namespace {

sockaddr_in loopback(uint16_t port)
{
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	return sa;
}

bool wait_readable(int fd, const std::atomic<bool> &stopping)
{
	while (!stopping) {
		pollfd p{fd, POLLIN, 0};
		if (::poll(&p, 1, 50) > 0)
			return true;
	}
	return false;
}

bool read_exact(int fd, uint8_t *buf, size_t len, const std::atomic<bool> &stopping)
{
	size_t got = 0;
	while (got < len) {
		if (!wait_readable(fd, stopping))
			return false;
		const ssize_t n = ::recv(fd, buf + got, len - got, 0);
		if (n <= 0)
			return false;
		got += static_cast<size_t>(n);
	}
	return true;
}

void write_all(int fd, const std::vector<uint8_t> &bytes)
{
	size_t sent = 0;
	while (sent < bytes.size()) {
		const ssize_t n =
			::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		sent += static_cast<size_t>(n);
	}
}

} // namespace

uint16_t unused_port()
{
	UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
	sockaddr_in sa = loopback(0);
	socklen_t len = sizeof(sa);
	::bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa));
	::getsockname(fd.get(), reinterpret_cast<sockaddr *>(&sa), &len);
	return ntohs(sa.sin_port); // closed again: nothing listens there
}

FakeOspfApiServer::FakeOspfApiServer(FakeServerScript script) : script_(std::move(script))
{
	listener_.reset(::socket(AF_INET, SOCK_STREAM, 0));
	const int on = 1;
	::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	sockaddr_in sa = loopback(0);
	socklen_t len = sizeof(sa);
	if (::bind(listener_.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0 ||
	    ::listen(listener_.get(), 4) != 0 ||
	    ::getsockname(listener_.get(), reinterpret_cast<sockaddr *>(&sa), &len) != 0)
		throw std::runtime_error("fake API server: cannot listen");
	port_ = ntohs(sa.sin_port);
	thread_ = std::thread([this] { serve(); });
}

FakeOspfApiServer::~FakeOspfApiServer()
{
	stopping_ = true;
	thread_.join();
}

std::vector<uint8_t> FakeOspfApiServer::requests() const
{
	std::lock_guard lock(mutex_);
	return requests_;
}

std::vector<size_t> FakeOspfApiServer::request_sizes() const
{
	std::lock_guard lock(mutex_);
	return request_sizes_;
}

void FakeOspfApiServer::set_script(FakeServerScript script)
{
	std::lock_guard lock(mutex_);
	script_ = std::move(script);
}

void FakeOspfApiServer::serve()
{
	while (wait_readable(listener_.get(), stopping_)) {
		UniqueFd conn(::accept(listener_.get(), nullptr, nullptr));
		if (!conn)
			continue;
		sessions_++;
		serve_one(conn.get());
	}
}

// The live part of the script, once the client has synchronised
// everything; false when the session is to end there.
static bool play_live(const FakeServerScript &script, int async)
{
	using ospfapi::MsgType;
	for (const auto &update : script.after_sync)
		write_all(async, frame(MsgType::lsa_update_notify, 0, update));
	for (const auto &removal : script.deletes)
		write_all(async, frame(MsgType::lsa_delete_notify, 0, removal));
	for (const auto &raw : script.raw_async)
		write_all(async, raw);
	if (!script.late_async.empty()) {
		std::this_thread::sleep_for(script.late_delay);
		for (const auto &raw : script.late_async)
			write_all(async, raw);
	}
	return !script.close_after_sync;
}

void FakeOspfApiServer::serve_one(int sync_fd)
{
	FakeServerScript script;
	{
		std::lock_guard lock(mutex_);
		script = script_;
	}
	// The second channel: back to the client's port + 1.
	sockaddr_in peer{};
	socklen_t len = sizeof(peer);
	::getpeername(sync_fd, reinterpret_cast<sockaddr *>(&peer), &len);
	UniqueFd async(::socket(AF_INET, SOCK_STREAM, 0));
	sockaddr_in back = loopback(static_cast<uint16_t>(ntohs(peer.sin_port) + 1));
	if (::connect(async.get(), reinterpret_cast<sockaddr *>(&back), sizeof(back)) != 0)
		return;

	using ospfapi::MsgType;
	for (;;) {
		uint8_t header[ospfapi::header_size];
		if (!read_exact(sync_fd, header, sizeof(header), stopping_))
			return;
		const auto type = static_cast<MsgType>(header[1]);
		const size_t body_len = static_cast<size_t>(header[2] << 8 | header[3]);
		const uint32_t seq = uint32_t{header[4]} << 24 | uint32_t{header[5]} << 16 |
				     uint32_t{header[6]} << 8 | header[7];
		std::vector<uint8_t> body(body_len);
		if (body_len > 0 && !read_exact(sync_fd, body.data(), body_len, stopping_))
			return;
		{
			std::lock_guard lock(mutex_);
			requests_.push_back(header[1]);
			request_sizes_.push_back(body_len);
		}
		switch (type) {
		case MsgType::register_event:
			write_all(sync_fd, reply(seq, script.register_reply));
			break;
		case MsgType::sync_lsdb:
			// Like ospfd, answer before the dump is out: the client may not
			// take the reply as the end of the dump.
			write_all(sync_fd, reply(seq, 0));
			for (const auto &lsa : script.dump)
				write_all(async.get(), frame(MsgType::lsa_update_notify, seq,
							     notification_body(lsa)));
			break;
		case MsgType::sync_router_id: {
			ByteWriter w;
			w.u32(script.router_id);
			write_all(sync_fd, reply(seq, 0));
			write_all(async.get(), frame(MsgType::router_id_change, seq, w.take()));
			break;
		}
		case MsgType::sync_reachable: {
			if (script.refuse_state_sync) {
				write_all(sync_fd, reply(seq, -4));
				break;
			}
			write_all(sync_fd, reply(seq, 0));
			ByteWriter w;
			w.u16(static_cast<uint16_t>(script.reachable.size()));
			w.u16(0);
			for (uint32_t router : script.reachable)
				w.u32(router);
			write_all(async.get(), frame(MsgType::reachable_change, seq, w.take()));
			break;
		}
		case MsgType::sync_ism:
			if (script.refuse_state_sync) {
				write_all(sync_fd, reply(seq, -4));
				break;
			}
			write_all(sync_fd, reply(seq, 0));
			for (const auto &i : script.interfaces) {
				ByteWriter w;
				w.u32(i.address);
				w.u32(i.area);
				w.u8(i.state);
				w.zeros(3);
				write_all(async.get(), frame(MsgType::ism_change, seq, w.take()));
			}
			break;
		case MsgType::sync_nsm:
			if (script.refuse_state_sync) {
				write_all(sync_fd, reply(seq, -4));
				if (!play_live(script, async.get()))
					return;
				break;
			}
			write_all(sync_fd, reply(seq, 0));
			for (const auto &n : script.neighbours) {
				ByteWriter w;
				w.u32(n.interface);
				w.u32(n.address);
				w.u32(n.router_id);
				w.u8(n.state);
				w.zeros(3);
				write_all(async.get(), frame(MsgType::nsm_change, seq, w.take()));
			}
			if (!play_live(script, async.get()))
				return;
			break;
		default:
			write_all(sync_fd, reply(seq, -4));
			break;
		}
	}
}

} // namespace iplb::test
