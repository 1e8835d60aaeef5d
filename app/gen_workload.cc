#include "app/gen_workload.hh"

#include <algorithm>
#include <cctype>

#include "app/server_options.hh"  // format_ipv4

namespace fptcp::app {

namespace {

constexpr std::size_t max_response_header = 4096;
constexpr std::size_t stream_block = 64 * 1024;  // one send buffer

std::string build_request(const gen_options& o) {
    if (o.workload == gen_workload::stream || !o.http) {
        std::size_t size = o.workload == gen_workload::stream ? stream_block : o.request_size;
        std::string r(size, '\0');
        for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<char>('a' + i % 26);
        return r;
    }
    // RFC 9112 3 and 9.6: a minimal HTTP/1.1 request; crr asks the server to
    // close after its response, rr keeps the connection (the 1.1 default).
    std::string r = "GET " + o.path + " HTTP/1.1\r\nHost: " + format_ipv4(o.server_ip) + "\r\nUser-Agent: fptcp-gen\r\n";
    if (o.workload == gen_workload::crr) r += "Connection: close\r\n";
    for (const std::string& h : o.headers) r += h + "\r\n";
    r += "\r\n";
    return r;
}

// With --pipeline N, N requests go as one batch (RFC 9112 9.3.2: the server
// answers them in order).
std::string build_batch(const gen_options& o) {
    std::string one = build_request(o);
    if (o.workload == gen_workload::stream) return one;
    std::string batch;
    batch.reserve(one.size() * o.pipeline);
    for (uint32_t i = 0; i < o.pipeline; ++i) batch += one;
    return batch;
}

std::size_t find_nocase(std::string_view hay, std::string_view needle) {
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
    return it == hay.end() ? std::string_view::npos : static_cast<std::size_t>(it - hay.begin());
}

// Scheduled starts that may wait for room: ten seconds of the share's rate,
// so a server stalled that long still has every start it missed measured
// once it recovers; at least 1,024, at most 2^20 (8 MiB).
std::size_t backlog_capacity(const generator_share& share) {
    return static_cast<std::size_t>(std::clamp(share.rate * 10, 1024.0, 1048576.0));
}

}  // namespace

std::string_view to_string(gen_error e) {
    switch (e) {
    case gen_error::refused: return "refused";
    case gen_error::connect_timeout: return "connect_timeout";
    case gen_error::reset: return "reset";
    case gen_error::timeout: return "timeout";
    case gen_error::aborted: return "aborted";
    case gen_error::short_response: return "short_response";
    case gen_error::bad_response: return "bad_response";
    case gen_error::no_port: return "no_port";
    case gen_error::overload: return "overload";
    case gen_error::count_: return "?";
    }
    return "?";
}

generator::generator(const gen_options& opts, generator_share share, uint32_t max_connections, const runtime& clock)
    : _opts(opts),
      _share(share),
      _clock(clock),
      _request(build_batch(opts)),
      _states(max_connections),
      _idle(max_connections),
      _interval_ns(share.rate > 0 ? static_cast<uint64_t>(1e9 / share.rate) : 0),
      _backlog(share.rate > 0 ? backlog_capacity(share) : 0) {
    _tcp.msl = std::chrono::seconds(opts.msl_s);
    if (opts.mtu != 0) _tcp.mss = static_cast<uint16_t>(opts.mtu - 40);
}

void generator::start_measuring() {
    _measuring = true;
    _measured = gen_counts{};
    _connect_latency.reset();
    _request_latency.reset();
}

void generator::count_error(gen_error e) {
    ++_total.errors[static_cast<std::size_t>(e)];
    if (_measuring) ++_measured.errors[static_cast<std::size_t>(e)];
}

void generator::count_bytes(uint64_t n) {
    _total.bytes += n;
    if (_measuring) _measured.bytes += n;
}

bool generator::open_connection(stack& e, time_point now, uint64_t started_ns) {
    connection* c = e.connect(now, _opts.server_ip, _opts.server_port, _tcp);
    if (c == nullptr) {
        count_error(gen_error::no_port);
        return false;
    }
    ++_in_flight;
    ++_connecting;
    _states[c->slot()] = conn_state{.ph = phase::connecting, .queued = _states[c->slot()].queued,
                                    .started_ns = started_ns, .conn = c};
    return true;
}

void generator::top_up(stack& e, time_point now) {
    if (!_running) return;
    bool opens_on_schedule = _interval_ns != 0 && _opts.workload == gen_workload::crr;
    if (!opens_on_schedule) {
        while (_in_flight < _share.concurrency && _connecting < max_connecting &&
               open_connection(e, now, _clock.now_ns())) {
        }
    }
    if (_interval_ns != 0) run_schedule(e, now);
}

// Open loop: the backlog's starts first, oldest first, while there is
// room; then one start per interval that has begun, into the backlog when
// it finds no room (or something is waiting ahead of it), so the offered
// load stays and every start is measured from its schedule.
void generator::run_schedule(stack& e, time_point now) {
    while (_backlog_count > 0 && start_scheduled(e, now, _backlog[_backlog_head])) {
        _backlog_head = _backlog_head + 1 == _backlog.size() ? 0 : _backlog_head + 1;
        --_backlog_count;
        ++_total.late_starts;
        if (_measuring) ++_measured.late_starts;
    }
    uint64_t ns = _clock.now_ns();
    if (_next_start_ns == 0) _next_start_ns = ns;
    while (_next_start_ns <= ns) {
        uint64_t scheduled = _next_start_ns;
        _next_start_ns += _interval_ns;
        if (_backlog_count == 0 && start_scheduled(e, now, scheduled)) continue;
        if (_backlog_count == _backlog.size()) {
            count_error(gen_error::overload);
            continue;
        }
        _backlog[(_backlog_head + _backlog_count) % _backlog.size()] = scheduled;
        ++_backlog_count;
    }
}

// One scheduled start, if there is room: crr opens a connection (its
// connect time counts from the schedule), rr starts a request on an idle
// connection.
bool generator::start_scheduled(stack& e, time_point now, uint64_t scheduled_ns) {
    if (_opts.workload == gen_workload::crr) {
        if (_in_flight >= _share.concurrency) return false;
        open_connection(e, now, scheduled_ns);  // counts no_port when it fails
        return true;
    }
    return start_idle_request(scheduled_ns);
}

bool generator::start_idle_request(uint64_t started_ns) {
    while (_idle_count > 0) {
        uint32_t slot = _idle[_idle_head];
        _idle_head = _idle_head + 1 == _idle.size() ? 0 : _idle_head + 1;
        --_idle_count;
        conn_state& s = _states[slot];
        s.queued = false;
        if (s.ph != phase::waiting) continue;  // closed since it was queued
        start_request(*s.conn, s, started_ns);
        return true;
    }
    return false;
}

void generator::make_idle(connection& c, conn_state& s) {
    s.ph = phase::waiting;
    if (s.queued) return;
    s.queued = true;
    std::size_t tail = (_idle_head + _idle_count) % _idle.size();
    _idle[tail] = c.slot();
    ++_idle_count;
}

void generator::abort_all() {
    _running = false;
    _measuring = false;
    for (conn_state& s : _states) {
        if (s.ph != phase::idle && s.conn != nullptr) s.conn->abort();
    }
}

void generator::on_open(connection& c) {
    conn_state& s = state_of(c);
    --_connecting;
    if (_measuring) _connect_latency.record(_clock.now_ns() - s.started_ns);
    if (_opts.workload != gen_workload::crr) {
        ++_total.connections;
        if (_measuring) ++_measured.connections;
    }
    switch (_opts.workload) {
    case gen_workload::stream:
        s.ph = phase::active;
        if (_opts.direction == stream_direction::send) push_stream(c);
        return;
    case gen_workload::rr:
        if (_interval_ns != 0) {
            make_idle(c, s);
            return;
        }
        break;
    case gen_workload::crr:
    case gen_workload::syn_flood:
        break;
    }
    start_request(c, s, _clock.now_ns());
}

void generator::start_request(connection& c, conn_state& s, uint64_t started_ns) {
    s.ph = phase::active;
    expect_response(s);
    s.responses_left = _opts.pipeline;
    s.request_left = static_cast<uint32_t>(_request.size());
    s.started_ns = started_ns;
    push_request(c, s);
}

void generator::expect_response(conn_state& s) const {
    s.header_done = false;
    s.until_close = false;
    s.expected = _opts.http ? 0 : _opts.response_size;
}

void generator::push_request(connection& c, conn_state& s) {
    while (s.request_left > 0) {
        std::size_t offset = _request.size() - s.request_left;
        uint32_t n = c.send(std::span(reinterpret_cast<const uint8_t*>(_request.data()) + offset, s.request_left));
        if (n == 0) return;  // on_writable continues
        s.request_left -= n;
    }
}

// stream, send: fills the send buffer with the pattern, again and again.
void generator::push_stream(connection& c) {
    auto pattern = std::span(reinterpret_cast<const uint8_t*>(_request.data()), _request.size());
    for (uint32_t n = c.send(pattern); n > 0; n = c.send(pattern)) count_bytes(n);
}

void generator::on_writable(connection& c) {
    conn_state& s = state_of(c);
    if (s.ph != phase::active) return;
    if (_opts.workload == gen_workload::stream) {
        if (_opts.direction == stream_direction::send) push_stream(c);
        return;
    }
    push_request(c, s);
}

// RFC 9112 2.1 / 6.3: status line, header fields, empty line; the body is
// Content-Length bytes, or (without it) everything until the server closes.
bool generator::read_http_header(connection& c, conn_state& s) {
    std::array<char, max_response_header> buf;
    std::string_view data = c.peek(buf);
    std::size_t end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) return data.size() < buf.size();  // wait for the rest
    std::string_view header = data.substr(0, end + 2);
    if (!header.starts_with("HTTP/1.") || header.size() < 12 || header.substr(8, 5) != " 200 ") return false;
    std::size_t at = find_nocase(header, "\r\ncontent-length:");
    if (at == std::string_view::npos) {
        s.until_close = true;
    } else {
        std::size_t i = at + 17;
        while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
        uint64_t length = 0;
        std::size_t digits = 0;
        for (; i < header.size() && header[i] >= '0' && header[i] <= '9' && digits < 15; ++i, ++digits) {
            length = length * 10 + static_cast<uint64_t>(header[i] - '0');
        }
        if (digits == 0) return false;
        s.expected = length;
    }
    s.header_done = true;
    c.consume(static_cast<uint32_t>(end + 4));
    return true;
}

void generator::on_data(connection& c) {
    conn_state& s = state_of(c);
    if (_opts.workload == gen_workload::stream) {
        uint32_t n = c.readable_size();
        c.consume(n);
        if (_opts.direction == stream_direction::receive) count_bytes(n);
        return;
    }
    if (s.ph != phase::active) {
        c.consume(c.readable_size());  // after the response: ignored
        return;
    }
    // The responses in the buffer, one after another (several with --pipeline).
    for (;;) {
        if (_opts.http && !s.header_done) {
            if (!read_http_header(c, s)) {
                count_error(gen_error::bad_response);
                s.ph = phase::failed;
                c.abort();
                return;
            }
            if (!s.header_done) return;
        }
        uint32_t available = c.readable_size();
        uint32_t n = s.until_close ? available : static_cast<uint32_t>(std::min<uint64_t>(available, s.expected));
        if (_opts.workload == gen_workload::crr) n = available;  // nothing else will follow
        c.consume(n);
        s.expected -= std::min<uint64_t>(s.expected, n);
        if (s.until_close || s.expected != 0 || s.request_left != 0) return;
        if (s.responses_left <= 1) {
            response_complete(c, s);
            return;
        }
        count_response(s);  // one of the batch; the next follows
        --s.responses_left;
        expect_response(s);
        if (c.readable_size() == 0) return;
    }
}

// One response in: its time since its request (batch) started.
void generator::count_response(const conn_state& s) {
    if (_measuring) _request_latency.record(_clock.now_ns() - s.started_ns);
    ++_total.requests;
    if (_measuring) ++_measured.requests;
}

void generator::response_complete(connection& c, conn_state& s) {
    count_response(s);
    if (_opts.workload == gen_workload::rr) {
        if (_interval_ns != 0) {
            make_idle(c, s);
        } else {
            start_request(c, s, _clock.now_ns());
        }
        return;
    }
    s.ph = phase::done;
    // crr: we close now; with HTTP "Connection: close" the server closes
    // first (RFC 9112 9.6), and we close when its FIN has come.
    if (!_opts.http || s.peer_closed) c.close();
}

void generator::on_peer_closed(connection& c) {
    conn_state& s = state_of(c);
    s.peer_closed = true;
    switch (s.ph) {
    case phase::active:
        if (s.until_close && s.header_done && s.request_left == 0) {
            response_complete(c, s);
            if (s.ph == phase::done) return;  // crr closed it
        }
        count_error(gen_error::short_response);
        s.ph = phase::failed;
        c.close();
        return;
    case phase::done:
        c.close();
        return;
    case phase::idle:
    case phase::connecting:
    case phase::waiting:
    case phase::failed:
        c.close();
        return;
    }
}

void generator::on_closed(connection& c, close_reason r) {
    conn_state& s = state_of(c);
    --_in_flight;
    bool connecting = s.ph == phase::connecting;
    if (connecting) --_connecting;
    bool counted = s.ph == phase::failed;
    bool success = s.ph == phase::done && r == close_reason::normal;
    s = conn_state{.queued = s.queued};
    if (success) {
        ++_total.connections;
        if (_measuring) ++_measured.connections;
        return;
    }
    if (counted) return;
    switch (r) {
    case close_reason::none:
    case close_reason::normal:
        count_error(gen_error::short_response);
        return;
    case close_reason::reset_by_peer:
        count_error(connecting ? gen_error::refused : gen_error::reset);
        return;
    case close_reason::retransmit_timeout:
        count_error(connecting ? gen_error::connect_timeout : gen_error::timeout);
        return;
    case close_reason::keepalive_timeout:
        count_error(gen_error::timeout);
        return;
    case close_reason::aborted:
        count_error(gen_error::aborted);
        return;
    }
}

}  // namespace fptcp::app
