#include "server_handler.hh"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace fptcp::app {

namespace {

constexpr std::size_t max_request_header = 8192;

bool contains_nocase(std::string_view hay, std::string_view needle) {
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
    return it != hay.end();
}

// RFC 9112 9.3 / 9.6: HTTP/1.1 persists unless "Connection: close"; HTTP/1.0
// persists only with "Connection: keep-alive".
bool wants_close(std::string_view header) {
    std::string_view request_line = header.substr(0, header.find("\r\n"));
    if (request_line.ends_with("HTTP/1.0")) return !contains_nocase(header, "connection: keep-alive");
    return contains_nocase(header, "connection: close");
}

std::string response_header(uint32_t body, bool close) {
    std::string h = "HTTP/1.1 200 OK\r\nServer: fptcp\r\nContent-Type: text/plain\r\nContent-Length: ";
    h += std::to_string(body);
    h += close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n";
    return h;
}

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

server_handler::server_handler(const server_options& opts, uint32_t max_connections)
    : _opts(opts),
      _header_keep_alive(response_header(opts.response_size, false)),
      _header_close(response_header(opts.response_size, true)),
      _body(16384),
      _states(max_connections) {
    for (std::size_t i = 0; i < _body.size(); ++i) _body[i] = static_cast<uint8_t>('a' + i % 26);
}

void server_handler::on_open(connection& c) {
    conn_state& s = state_of(c);
    s = conn_state{};
    if (_opts.mode == server_mode::source) {
        s.to_send = _opts.source_bytes == 0 ? UINT64_MAX : _opts.source_bytes;
        push(c, s);
    }
}

void server_handler::on_data(connection& c) {
    conn_state& s = state_of(c);
    switch (_opts.mode) {
    case server_mode::http:
        serve_http(c, s);
        return;
    case server_mode::echo:
        echo(c, s);
        return;
    case server_mode::discard:
    case server_mode::source:
        c.consume(c.readable_size());
        return;
    }
}

void server_handler::on_writable(connection& c) {
    conn_state& s = state_of(c);
    switch (_opts.mode) {
    case server_mode::http:
        push(c, s);
        if (s.to_send == 0) serve_http(c, s);  // requests waiting behind a long response
        return;
    case server_mode::echo:
        echo(c, s);
        return;
    case server_mode::source:
        push(c, s);
        return;
    case server_mode::discard:
        return;
    }
}

void server_handler::on_peer_closed(connection& c) {
    conn_state& s = state_of(c);
    s.peer_done = true;
    switch (_opts.mode) {
    case server_mode::echo:
        echo(c, s);  // shuts down once everything is echoed
        return;
    case server_mode::http:
        if (s.to_send == 0) c.close();
        else s.close_after = true;
        return;
    case server_mode::discard:
    case server_mode::source:
        c.close();
        return;
    }
}

void server_handler::on_closed(connection&, close_reason r) {
    ++_closed[static_cast<std::size_t>(r)];
}

// Answers every complete request in the receive buffer, one response at a
// time (a long body continues from on_writable).
void server_handler::serve_http(connection& c, conn_state& s) {
    std::array<char, max_request_header> buf;
    while (s.to_send == 0 && !s.close_after) {
        std::string_view data = c.peek(buf);
        std::size_t end = data.find("\r\n\r\n");
        if (end == std::string_view::npos) {
            if (data.size() == buf.size()) c.abort();  // header larger than we accept
            return;
        }
        const std::string& header = wants_close(data.substr(0, end)) ? _header_close : _header_keep_alive;
        if (c.send_space() < header.size()) return;  // on_writable comes back
        c.consume(static_cast<uint32_t>(end + 4));
        c.send(bytes(header), _opts.response_size > 0);  // the body follows at once: one segment for both
        ++_requests;
        s.close_after = &header == &_header_close;
        s.to_send = _opts.response_size;
        push(c, s);
    }
}

// Queues as much of the pending body as fits; closes when a "Connection:
// close" response (or one the peer half-closed after) is fully queued.
void server_handler::push(connection& c, conn_state& s) {
    while (s.to_send > 0) {
        std::size_t chunk = static_cast<std::size_t>(std::min<uint64_t>(s.to_send, _body.size()));
        uint32_t n = c.send(std::span(_body).first(chunk));
        if (s.to_send != UINT64_MAX) s.to_send -= n;
        if (n < chunk) return;
    }
    if (s.close_after || (_opts.mode == server_mode::source && s.to_send == 0)) c.close();
}

void server_handler::echo(connection& c, conn_state& s) {
    for (;;) {
        auto parts = c.readable();
        std::span<const uint8_t> first = parts[0].empty() ? parts[1] : parts[0];
        if (first.empty()) break;
        uint32_t n = c.send(first.first(std::min<std::size_t>(first.size(), c.send_space())));
        if (n == 0) return;  // send buffer full: on_writable comes back
        c.consume(n);
    }
    if (s.peer_done) c.shutdown();
}

}  // namespace fptcp::app
