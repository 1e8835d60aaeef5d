#include "server_handler.hh"

#include <algorithm>

namespace fptcp::app {

std::unique_ptr<server_handler> server_handler::create(const server_options& opts, uint32_t max_connections) {
    switch (opts.mode) {
    case server_mode::http: return make_http_handler(opts, max_connections);
    case server_mode::echo: return make_echo_handler(opts, max_connections);
    case server_mode::discard: return make_discard_handler(opts, max_connections);
    case server_mode::source: return make_source_handler(opts, max_connections);
    }
    return nullptr;
}

server_handler::server_handler(const server_options& opts, uint32_t max_connections)
    : _opts(opts), _body(16384), _states(max_connections) {
    for (std::size_t i = 0; i < _body.size(); ++i) _body[i] = static_cast<uint8_t>('a' + i % 26);
}

void server_handler::on_open(connection& c) { state_of(c) = conn_state{.conn = &c}; }

void server_handler::on_closed(connection& c, close_reason r) {
    state_of(c) = conn_state{};
    ++_closed[static_cast<std::size_t>(r)];
}

void server_handler::on_tick(time_point now) {
    _now = now;
    check_deadlines();
    _requests_published.store(_counts.requests, std::memory_order_relaxed);
}

void server_handler::set_deadline(conn_state& s, deadline_kind kind, std::chrono::seconds after) {
    s.deadline_for = after.count() == 0 ? deadline_kind::none : kind;
    s.deadline = _now + after;
}

// A sweep, not a timer per connection: each turn of the loop looks at a few
// slots, so every slot is seen many times a second (65,536 slots at the
// loop's hundreds of thousands of turns per second) at the cost of a load
// and a compare per turn. The timeouts are seconds long; they fire at most
// one sweep late.
void server_handler::check_deadlines() {
    constexpr uint32_t slots_per_tick = 4;
    for (uint32_t i = 0; i < slots_per_tick; ++i) {
        conn_state& s = _states[_cursor];
        _cursor = _cursor + 1 == _states.size() ? 0 : _cursor + 1;
        if (s.deadline_for != deadline_kind::none && s.deadline <= _now) {
            deadline_kind kind = s.deadline_for;
            s.deadline_for = deadline_kind::none;
            on_deadline(*s.conn, s, kind);
        }
    }
}

void server_handler::push(connection& c, conn_state& s, bool more) {
    while (s.to_send > 0) {
        std::size_t chunk = static_cast<std::size_t>(std::min<uint64_t>(s.to_send, _body.size()));
        uint32_t n = c.send(std::span(_body).first(chunk), more);
        if (s.to_send != UINT64_MAX) s.to_send -= n;
        if (n < chunk) return;
    }
    if (s.close_after) c.close();
}

}  // namespace fptcp::app
