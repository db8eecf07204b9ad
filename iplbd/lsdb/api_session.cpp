// SPDX-License-Identifier: GPL-2.0-or-later
#include "lsdb/api_session.hpp"

#include "lsdb/lsa.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace iplb {

namespace {

constexpr int bind_attempts = 32;
constexpr std::chrono::milliseconds connect_timeout{10000};

sockaddr_in make_addr(Ipv4 address, uint16_t port)
{
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(address.value);
	sa.sin_port = htons(port);
	return sa;
}

std::string errno_text(const std::string &what)
{
	return what + ": " + std::strerror(errno);
}

std::string connect_failure(const ApiSessionConfig &config)
{
	return errno_text("connect to " + to_string(config.server) + ":" +
			  std::to_string(config.port));
}

bool is_loopback(Ipv4 address)
{
	return (address.value >> 24) == 127;
}

} // namespace

const char *to_string(SessionState state)
{
	switch (state) {
	case SessionState::idle:
		return "idle";
	case SessionState::connecting:
		return "connecting";
	case SessionState::syncing:
		return "syncing";
	case SessionState::established:
		return "established";
	case SessionState::backoff:
		return "backoff";
	}
	return "unknown";
}

ApiSession::ApiSession(IoDriver &io, ApiSessionConfig config) : io_(io), config_(config) {}

ApiSession::~ApiSession()
{
	close_channels();
	io_.cancel_timer();
}

void ApiSession::start()
{
	if (state_ != SessionState::idle)
		return;
	backoff_ = std::chrono::milliseconds{0};
	connect();
}

// Unlike the database, ospfd's own state is not worth keeping once the
// session ends: nothing is built from it, and old counts would read as current.
void ApiSession::forget_ospfd_state()
{
	reachable_.clear();
	interfaces_.clear();
	neighbours_.clear();
}

void ApiSession::stop()
{
	close_channels();
	forget_ospfd_state();
	io_.cancel_timer();
	enter(SessionState::idle);
}

void ApiSession::reconfigure(const ApiSessionConfig &config)
{
	if (config == config_)
		return;
	const bool running = state_ != SessionState::idle;
	config_ = config;
	if (running) {
		stop();
		start();
	}
}

void ApiSession::enter(SessionState state)
{
	if (state != state_)
		state_since_ = Clock::now();
	state_ = state;
}

void ApiSession::close_channels()
{
	generation_++;
	for (const UniqueFd *fd : {&listener_, &sync_, &async_})
		if (*fd)
			io_.watch(fd->get(), Interest::none);
	listener_.reset();
	sync_.reset();
	async_.reset();
	sync_reader_ = {};
	async_reader_ = {};
	outbox_.clear();
	connected_ = false;
	step_ = Step::none;
	pending_seq_ = 0;
	barrier_replied_ = false;
	barrier_seen_ = false;
	incoming_.clear();
}

void ApiSession::fail(const std::string &why)
{
	if (state_ == SessionState::syncing || state_ == SessionState::established) {
		counters_.disconnects++;
		log(LogLevel::warning, "LSDB feed from " + to_string(config_.server) + ":" +
					       std::to_string(config_.port) + " lost (" + why +
					       "); keeping the last database of " +
					       std::to_string(database_.size()) + " LSAs");
	} else if (why != last_error_) {
		log(LogLevel::info, "LSDB feed: " + why);
	}
	last_error_ = why;
	close_channels();
	forget_ospfd_state();
	backoff_ = backoff_.count() == 0 ? config_.backoff_initial
					 : std::min(backoff_ * 2, config_.backoff_max);
	retry_at_ = Clock::now() + backoff_;
	enter(SessionState::backoff);
	io_.arm_timer(backoff_);
}

void ApiSession::on_timer()
{
	if (state_ == SessionState::backoff)
		connect();
	else if (state_ == SessionState::connecting)
		fail("no connection from ospfd within " +
		     std::to_string(connect_timeout.count() / 1000) + " s");
}

// The protocol: the client connects from local port P to the server, and
// the server connects back to port P+1. So bind a listener first, then the
// request socket to the port just below it.
void ApiSession::connect()
{
	counters_.connect_attempts++;
	enter(SessionState::connecting);
	const Ipv4 local = is_loopback(config_.server) ? Ipv4{0x7f000001} : Ipv4{};

	for (int attempt = 0; attempt < bind_attempts; attempt++) {
		UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
		UniqueFd sync(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
		if (!listener || !sync)
			return fail(errno_text("socket"));
		const int on = 1;
		::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));

		sockaddr_in sa = make_addr(local, 0);
		socklen_t len = sizeof(sa);
		if (::bind(listener.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0 ||
		    ::getsockname(listener.get(), reinterpret_cast<sockaddr *>(&sa), &len) != 0)
			return fail(errno_text("bind"));
		const uint16_t async_port = ntohs(sa.sin_port);
		if (async_port < 2)
			continue;
		sockaddr_in sync_sa = make_addr(local, static_cast<uint16_t>(async_port - 1));
		if (::bind(sync.get(), reinterpret_cast<sockaddr *>(&sync_sa), sizeof(sync_sa)) !=
		    0) {
			if (errno == EADDRINUSE)
				continue;
			return fail(errno_text("bind"));
		}
		if (::listen(listener.get(), 1) != 0)
			return fail(errno_text("listen"));

		const sockaddr_in server = make_addr(config_.server, config_.port);
		if (::connect(sync.get(), reinterpret_cast<const sockaddr *>(&server),
			      sizeof(server)) != 0 &&
		    errno != EINPROGRESS)
			return fail(connect_failure(config_));
		listener_ = std::move(listener);
		sync_ = std::move(sync);
		io_.watch(sync_.get(), Interest::write);
		io_.arm_timer(connect_timeout);
		return;
	}
	fail("no free pair of adjacent local ports");
}

void ApiSession::on_io(int fd, bool readable, bool writable)
{
	if (fd < 0)
		return;
	if (fd == sync_.get() && writable) {
		if (!connected_)
			return on_connected();
		flush();
	}
	if (fd == listener_.get() && readable)
		return on_accept();
	if ((fd == sync_.get() || fd == async_.get()) && readable)
		on_readable(fd);
}

void ApiSession::on_connected()
{
	int error = 0;
	socklen_t len = sizeof(error);
	if (::getsockopt(sync_.get(), SOL_SOCKET, SO_ERROR, &error, &len) != 0)
		error = errno;
	if (error != 0) {
		errno = error;
		return fail(connect_failure(config_));
	}
	connected_ = true;
	io_.watch(sync_.get(), Interest::read);
	io_.watch(listener_.get(), Interest::read);
}

void ApiSession::on_accept()
{
	sockaddr_in peer{};
	socklen_t len = sizeof(peer);
	UniqueFd conn(::accept4(listener_.get(), reinterpret_cast<sockaddr *>(&peer), &len,
				SOCK_NONBLOCK | SOCK_CLOEXEC));
	if (!conn) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		return fail(errno_text("accept"));
	}
	// Only the server may open the notification channel.
	if (ntohl(peer.sin_addr.s_addr) != config_.server.value && !is_loopback(config_.server))
		return;
	io_.watch(listener_.get(), Interest::none);
	listener_.reset();
	async_ = std::move(conn);
	io_.watch(async_.get(), Interest::read);

	io_.cancel_timer();
	enter(SessionState::syncing);
	incoming_.clear();
	step_ = Step::none;
	next_request();
}

void ApiSession::next_request()
{
	const ospfapi::LsaFilter everything;
	const uint32_t seq = next_seq_++;
	if (next_seq_ == 0 || next_seq_ > 0x7fffffff)
		next_seq_ = 1;
	pending_seq_ = seq;
	switch (step_) {
	case Step::none:
		step_ = Step::register_event;
		send(ospfapi::encode_register_event(seq, everything));
		break;
	case Step::register_event:
		step_ = Step::sync_lsdb;
		send(ospfapi::encode_sync_lsdb(seq, everything));
		break;
	case Step::sync_lsdb:
		step_ = Step::barrier;
		barrier_replied_ = false;
		barrier_seen_ = false;
		send(ospfapi::encode_bodyless_request(ospfapi::MsgType::sync_router_id, seq));
		break;
	case Step::barrier:
		step_ = Step::sync_reachable;
		reachable_.clear();
		send(ospfapi::encode_bodyless_request(ospfapi::MsgType::sync_reachable, seq));
		break;
	case Step::sync_reachable:
		step_ = Step::sync_ism;
		interfaces_.clear();
		send(ospfapi::encode_bodyless_request(ospfapi::MsgType::sync_ism, seq));
		break;
	case Step::sync_ism:
		step_ = Step::sync_nsm;
		neighbours_.clear();
		send(ospfapi::encode_bodyless_request(ospfapi::MsgType::sync_nsm, seq));
		break;
	case Step::sync_nsm:
	case Step::done:
		step_ = Step::done;
		pending_seq_ = 0;
		break;
	}
}

void ApiSession::complete_sync()
{
	if (step_ != Step::barrier || !barrier_replied_ || !barrier_seen_)
		return;
	// The dump is complete: publish it.
	std::swap(database_, incoming_);
	incoming_.clear();
	counters_.syncs++;
	backoff_ = std::chrono::milliseconds{0};
	last_error_.clear();
	enter(SessionState::established);
	log(LogLevel::info, "LSDB synchronised with ospfd: " + std::to_string(database_.size()) +
				    " LSAs" +
				    (router_id_ ? ", router id " + to_string(*router_id_) : ""));
	next_request();
	if (on_change_)
		on_change_();
}

void ApiSession::send(std::vector<uint8_t> bytes)
{
	outbox_.insert(outbox_.end(), bytes.begin(), bytes.end());
	flush();
}

void ApiSession::flush()
{
	while (!outbox_.empty()) {
		const ssize_t n = ::send(sync_.get(), outbox_.data(), outbox_.size(), MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				io_.watch(sync_.get(), Interest::read_write);
				return;
			}
			if (errno == EINTR)
				continue;
			return fail(errno_text("send"));
		}
		outbox_.erase(outbox_.begin(), outbox_.begin() + n);
	}
	io_.watch(sync_.get(), Interest::read);
}

void ApiSession::on_readable(int fd)
{
	read_channel(fd, false);
}

// When one channel ends, what the other already holds still counts: the
// server may have finished the dump just before it went away.
void ApiSession::drain(int fd)
{
	if (fd >= 0)
		read_channel(fd, true);
}

void ApiSession::read_channel(int fd, bool draining)
{
	const bool async_channel = fd == async_.get();
	auto &reader = async_channel ? async_reader_ : sync_reader_;
	const int other = async_channel ? sync_.get() : async_.get();
	uint8_t buf[16384];

	for (;;) {
		const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
		if (n == 0 ||
		    (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			if (draining)
				return;
			const std::string why =
				n == 0 ? "ospfd closed the connection" : errno_text("recv");
			const uint64_t generation = generation_;
			drain(other);
			if (generation == generation_)
				fail(why);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		reader.append({buf, static_cast<size_t>(n)});
		for (;;) {
			auto message = reader.next();
			if (!message)
				return fail("bad framing from ospfd: " + message.error().message);
			if (!*message)
				break;
			const uint64_t generation = generation_;
			handle(**message, async_channel);
			// handle() may have failed the session and closed fd.
			if (generation != generation_)
				return;
		}
	}
}

void ApiSession::handle(const ospfapi::Message &message, bool async_channel)
{
	using ospfapi::MsgType;
	switch (static_cast<MsgType>(message.type)) {
	case MsgType::reply:
		if (async_channel) {
			counters_.malformed++;
			return;
		}
		return handle_reply(message);
	case MsgType::lsa_update_notify:
		return handle_lsa(message, true);
	case MsgType::lsa_delete_notify:
		return handle_lsa(message, false);
	case MsgType::router_id_change: {
		auto id = ospfapi::decode_router_id(message.body);
		if (!id) {
			counters_.malformed++;
			return;
		}
		// 0.0.0.0: ospfd has no router id (yet).
		router_id_ = id->value != 0 ? std::optional<Ipv4>(*id) : std::nullopt;
		if (step_ == Step::barrier && message.seq == pending_seq_) {
			barrier_seen_ = true;
			complete_sync();
		}
		return;
	}
	case MsgType::reachable_change: {
		auto change = ospfapi::decode_reachable_change(message.body);
		if (!change) {
			counters_.malformed++;
			return;
		}
		for (Ipv4 r : change->added)
			reachable_.insert(r);
		for (Ipv4 r : change->removed)
			reachable_.erase(r);
		return;
	}
	case MsgType::ism_change: {
		auto ism = ospfapi::decode_ism_change(message.body);
		if (!ism) {
			counters_.malformed++;
			return;
		}
		interfaces_[ism->address] = ism->state;
		return;
	}
	case MsgType::nsm_change: {
		auto nsm = ospfapi::decode_nsm_change(message.body);
		if (!nsm) {
			counters_.malformed++;
			return;
		}
		// ospfd keeps itself in each interface's neighbour table (for
		// DR election) and reports that entry too: not a neighbour.
		if (nsm->router_id == router_id_)
			return;
		// A neighbour going away ends in Down (or Deleted): forget it.
		if (nsm->state <= 2)
			neighbours_.erase({nsm->interface, nsm->address});
		else
			neighbours_[{nsm->interface, nsm->address}] = nsm->state;
		return;
	}
	default:
		counters_.other_messages++;
		return;
	}
}

void ApiSession::handle_reply(const ospfapi::Message &message)
{
	auto code = ospfapi::decode_reply(message.body);
	if (!code)
		return fail("bad reply from ospfd: " + code.error().message);
	if (message.seq != pending_seq_)
		return; // a reply we no longer wait for
	const bool optional =
		step_ == Step::sync_reachable || step_ == Step::sync_ism || step_ == Step::sync_nsm;
	if (*code != 0 && optional) {
		// ospfd's own view is a bonus; the LSDB feed does not need it.
		log(LogLevel::info,
		    std::string("ospfd refused a state sync: ") + ospfapi::reply_error_name(*code));
	} else if (*code != 0) {
		return fail(std::string("ospfd refused the request: ") +
			    ospfapi::reply_error_name(*code));
	}
	if (step_ == Step::barrier) {
		barrier_replied_ = true;
		return complete_sync();
	}
	next_request();
}

void ApiSession::handle_lsa(const ospfapi::Message &message, bool update)
{
	(update ? counters_.lsa_updates : counters_.lsa_deletes)++;
	auto notification = ospfapi::decode_lsa_notification(message.body);
	if (!notification) {
		counters_.malformed++;
		log(LogLevel::warning,
		    "skipping a malformed LSA notification: " + notification.error().message);
		return;
	}
	if (notification->truncated) {
		// Kept so that the mirror stays complete; the topology skips it.
		counters_.truncated++;
	} else if (update) {
		if (auto lsa = lsa::parse(notification->lsa); !lsa) {
			counters_.malformed++;
			log(LogLevel::warning, "skipping a malformed LSA: " + lsa.error().message);
			return;
		}
	}
	// Until the dump is complete, everything goes to the copy being built.
	const bool live = state_ == SessionState::established;
	LsaDatabase &target = live ? database_ : incoming_;
	const auto change =
		update ? target.apply_update(*notification) : target.apply_delete(*notification);
	if (live && change != LsaDatabase::Change::refreshed &&
	    change != LsaDatabase::Change::none) {
		log(LogLevel::debug, std::string(update ? "LSA update: " : "LSA delete: ") +
					     lsa::describe(notification->header) + " area " +
					     to_string(notification->area));
		if (on_change_)
			on_change_();
	}
}

SessionStatus ApiSession::status() const
{
	SessionStatus s;
	s.state = state_;
	s.config = config_;
	s.router_id = router_id_;
	s.last_error = last_error_;
	s.since = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - state_since_);
	if (state_ == SessionState::backoff)
		s.retry_in = std::max(std::chrono::milliseconds{0},
				      std::chrono::duration_cast<std::chrono::milliseconds>(
					      retry_at_ - Clock::now()));
	s.counters = counters_;
	s.lsas = database_.size();
	s.reachable_routers = reachable_.size();
	s.interfaces = interfaces_.size();
	for (auto [address, state] : interfaces_)
		s.interfaces_up += state != ospfapi::ism_down;
	s.neighbours = neighbours_.size();
	for (auto [key, state] : neighbours_)
		s.neighbours_full += state == ospfapi::nsm_full;
	return s;
}

} // namespace iplb
