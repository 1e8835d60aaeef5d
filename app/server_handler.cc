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

void server_handler::on_closed(connection&, close_reason r) { ++_closed[static_cast<std::size_t>(r)]; }

void server_handler::push(connection& c, conn_state& s) {
    while (s.to_send > 0) {
        std::size_t chunk = static_cast<std::size_t>(std::min<uint64_t>(s.to_send, _body.size()));
        uint32_t n = c.send(std::span(_body).first(chunk));
        if (s.to_send != UINT64_MAX) s.to_send -= n;
        if (n < chunk) return;
    }
    if (s.close_after) c.close();
}

}  // namespace fptcp::app
