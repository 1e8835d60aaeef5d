#pragma once
// What fptcp-server does with a connection, one handler class per mode,
// each in its own file:
//   http    - a fixed response per request (HTTP/1.1 keep-alive; with
//             "Connection: close" or HTTP/1.0 the server closes first, so
//             TIME_WAIT lands on fptcp)                        server_http.cc
//   echo    - every byte back (half-close: when the peer's FIN arrives and
//             all is echoed, our FIN follows)                  server_echo.cc
//   discard - read and drop                                    server_discard.cc
//   source  - send `source_bytes` (0: endless), ignore what arrives
//                                                              server_source.cc
// Per-connection state lives in an array indexed by the connection slot, so
// serving allocates nothing.

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "fptcp/fptcp.hh"
#include "server_options.hh"

namespace fptcp::app {

class server_handler : public handler {
public:
    // The handler of opts.mode, for a stack of max_connections.
    static std::unique_ptr<server_handler> create(const server_options& opts, uint32_t max_connections);

    void on_open(connection& c) override { state_of(c) = conn_state{}; }
    void on_closed(connection& c, close_reason r) override;

    uint64_t requests() const { return _requests; }
    uint64_t closed(close_reason r) const { return _closed[static_cast<std::size_t>(r)]; }

protected:
    struct conn_state {
        uint64_t to_send = 0;      // response or source bytes not yet in the send buffer
        bool close_after = false;  // close once to_send is queued (http: "Connection: close"; source)
        bool peer_done = false;    // the peer's FIN arrived
    };

    server_handler(const server_options& opts, uint32_t max_connections);

    conn_state& state_of(const connection& c) { return _states[c.slot()]; }
    // Queues as much of s.to_send (the body pattern) as fits; closes once all
    // is queued when s.close_after says so.
    void push(connection& c, conn_state& s);

    const server_options& _opts;
    uint64_t _requests = 0;

private:
    std::vector<uint8_t> _body;  // response body or source pattern, one MSS-friendly block
    std::vector<conn_state> _states;
    std::array<uint64_t, 6> _closed{};
};

std::unique_ptr<server_handler> make_http_handler(const server_options& opts, uint32_t max_connections);
std::unique_ptr<server_handler> make_echo_handler(const server_options& opts, uint32_t max_connections);
std::unique_ptr<server_handler> make_discard_handler(const server_options& opts, uint32_t max_connections);
std::unique_ptr<server_handler> make_source_handler(const server_options& opts, uint32_t max_connections);

}  // namespace fptcp::app
