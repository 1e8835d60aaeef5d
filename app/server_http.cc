// fptcp-server --mode http: a fixed response per request.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "server_handler.hh"

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

std::span<const uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

class http_handler final : public server_handler {
public:
    http_handler(const server_options& opts, uint32_t max_connections)
        : server_handler(opts, max_connections),
          _header_keep_alive(response_header(opts.response_size, false)),
          _header_close(response_header(opts.response_size, true)) {}

    void on_open(connection& c) override {
        server_handler::on_open(c);
        await_request(state_of(c));
    }

    void on_data(connection& c) override { serve(c, state_of(c)); }

    void on_writable(connection& c) override {
        conn_state& s = state_of(c);
        push(c, s);
        if (s.to_send == 0) serve(c, s);  // requests waiting behind a long response
    }

    void on_peer_closed(connection& c) override {
        conn_state& s = state_of(c);
        s.peer_done = true;
        if (s.to_send == 0) {
            c.close();
        } else {
            s.close_after = true;
        }
    }

    // Timeouts, as nginx's client_header_timeout and keepalive_timeout: a
    // header that does not arrive whole in time gets a 408 and the
    // connection is closed (a client sending a byte now and then holds no
    // connection for long); an idle connection is closed.
    void on_deadline(connection& c, conn_state&, deadline_kind kind) override {
        if (kind == deadline_kind::header) {
            ++_counts.header_timeouts;
            c.send(bytes(request_timeout));
            c.consume(c.readable_size());  // unread bytes would turn the close into a reset
        } else {
            ++_counts.keepalive_timeouts;
        }
        c.close();
    }

private:
    static constexpr std::string_view request_timeout =
        "HTTP/1.1 408 Request Timeout\r\nServer: fptcp\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

    // Between requests: idle until the first byte of the next one (the
    // keep-alive timeout), then the header timeout, from that first byte on
    // (not restarted by later bytes). None while a response goes out.
    void await_request(conn_state& s) { set_deadline(s, deadline_kind::keepalive, _keepalive_timeout); }
    void note_partial_header(conn_state& s) {
        if (s.deadline_for != deadline_kind::header) set_deadline(s, deadline_kind::header, _header_timeout);
    }

    // Answers every complete request in the receive buffer, one response at
    // a time (a long body continues from on_writable).
    void serve(connection& c, conn_state& s) {
        std::array<char, max_request_header> buf;
        while (s.to_send == 0 && !s.close_after) {
            std::string_view data = c.peek(buf);
            std::size_t end = data.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (data.size() == buf.size()) {
                    c.abort();  // header larger than we accept
                } else if (data.empty()) {
                    await_request(s);
                } else {
                    note_partial_header(s);
                }
                return;
            }
            set_deadline(s, deadline_kind::none, {});  // a whole request: no timeout while it is answered
            const std::string& header = wants_close(data.substr(0, end)) ? _header_close : _header_keep_alive;
            if (c.send_space() < header.size()) return;  // on_writable comes back
            c.consume(static_cast<uint32_t>(end + 4));
            // Pipelined requests (RFC 9112 9.3.2): while another whole one
            // waits, the response is held (as MSG_MORE) to go out with the
            // next, so Nagle never holds a small response for the client's
            // delayed ACK.
            bool more = data.substr(end + 4).find("\r\n\r\n") != std::string_view::npos;
            c.send(bytes(header), more || _opts.response_size > 0);  // the body follows at once: one segment for both
            ++_counts.requests;
            s.close_after = &header == &_header_close;
            s.to_send = _opts.response_size;
            push(c, s, more);
        }
    }

    std::string _header_keep_alive;
    std::string _header_close;
    std::chrono::seconds _header_timeout{_opts.header_timeout_s};
    std::chrono::seconds _keepalive_timeout{_opts.keepalive_timeout_s};
};

}  // namespace

std::unique_ptr<server_handler> make_http_handler(const server_options& opts, uint32_t max_connections) {
    return std::make_unique<http_handler>(opts, max_connections);
}

}  // namespace fptcp::app
