#pragma once
// What fptcp-server does with a connection, per mode:
//   http    - a fixed response per request (HTTP/1.1 keep-alive; with
//             "Connection: close" or HTTP/1.0 the server closes first, so
//             TIME_WAIT lands on fptcp)
//   echo    - every byte back (half-close: when the peer's FIN arrives and
//             all is echoed, our FIN follows)
//   discard - read and drop
//   source  - send `source_bytes` (0: endless), ignore what arrives
// Per-connection state lives in an array indexed by the connection slot, so
// serving allocates nothing.

#include <cstdint>
#include <string>
#include <vector>

#include "fptcp/fptcp.hh"
#include "server_options.hh"

namespace fptcp::app {

class server_handler final : public handler {
public:
    server_handler(const server_options& opts, uint32_t max_connections);

    void on_open(connection& c) override;
    void on_data(connection& c) override;
    void on_writable(connection& c) override;
    void on_peer_closed(connection& c) override;
    void on_closed(connection& c, close_reason r) override;

    uint64_t requests() const { return _requests; }
    uint64_t closed(close_reason r) const { return _closed[static_cast<std::size_t>(r)]; }

private:
    struct conn_state {
        uint64_t to_send = 0;      // response or source bytes not yet in the send buffer
        bool close_after = false;  // http: close once the response is out
        bool peer_done = false;    // the peer's FIN arrived
    };

    void serve_http(connection& c, conn_state& s);
    void echo(connection& c, conn_state& s);
    void push(connection& c, conn_state& s);
    conn_state& state_of(const connection& c) { return _states[c.slot()]; }

    const server_options& _opts;
    std::string _header_keep_alive;
    std::string _header_close;
    std::vector<uint8_t> _body;  // response body or source pattern, one MSS-friendly block
    std::vector<conn_state> _states;
    uint64_t _requests = 0;
    std::array<uint64_t, 6> _closed{};
};

}  // namespace fptcp::app
