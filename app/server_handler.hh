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
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "fptcp/fptcp.hh"
#include "server_options.hh"

namespace fptcp::app {

// What the handlers count beside the stack's counters (summary, JSON).
struct handler_counts {
    uint64_t requests = 0;
    uint64_t header_timeouts = 0;     // http: a request header not whole within --header-timeout
    uint64_t keepalive_timeouts = 0;  // http: idle between requests for --keepalive-timeout

    handler_counts& operator+=(const handler_counts& o) {
        requests += o.requests;
        header_timeouts += o.header_timeouts;
        keepalive_timeouts += o.keepalive_timeouts;
        return *this;
    }
};

class server_handler : public handler {
public:
    // The handler of opts.mode, for a stack of max_connections.
    static std::unique_ptr<server_handler> create(const server_options& opts, uint32_t max_connections);

    void on_open(connection& c) override;
    void on_closed(connection& c, close_reason r) override;
    // Called on every turn of the lcore's loop: the clock for the
    // callbacks, and a few connections' deadlines checked (check_deadlines).
    void on_tick(time_point now);

    const handler_counts& counts() const { return _counts; }
    // The requests served, as of this lcore's latest loop turn; any thread
    // (the status line on lcore 0 sums them).
    uint64_t requests_published() const { return _requests_published.load(std::memory_order_relaxed); }
    uint64_t closed(close_reason r) const { return _closed[static_cast<std::size_t>(r)]; }

protected:
    enum class deadline_kind : uint8_t { none, header, keepalive };
    struct conn_state {
        uint64_t to_send = 0;      // response or source bytes not yet in the send buffer
        bool close_after = false;  // close once to_send is queued (http: "Connection: close"; source)
        bool peer_done = false;    // the peer's FIN arrived
        deadline_kind deadline_for = deadline_kind::none;
        time_point deadline{};     // when on_deadline runs, if deadline_for says so
        connection* conn = nullptr;  // while open: the deadlines act on it
    };

    server_handler(const server_options& opts, uint32_t max_connections);

    conn_state& state_of(const connection& c) { return _states[c.slot()]; }
    // Queues as much of s.to_send (the body pattern) as fits, held for what
    // follows when `more`; closes once all is queued when s.close_after says so.
    void push(connection& c, conn_state& s, bool more = false);
    // A deadline `after` from now for `kind`, or none (after == 0).
    void set_deadline(conn_state& s, deadline_kind kind, std::chrono::seconds after);
    // The deadline of a connection passed (the mode says what that means).
    virtual void on_deadline(connection&, conn_state&, deadline_kind) {}

    const server_options& _opts;
    handler_counts _counts;

private:
    void check_deadlines();

    std::vector<uint8_t> _body;  // response body or source pattern, one MSS-friendly block
    std::vector<conn_state> _states;
    std::array<uint64_t, 6> _closed{};
    time_point _now{};
    uint32_t _cursor = 0;  // the next slot check_deadlines looks at
    std::atomic<uint64_t> _requests_published{0};
};

std::unique_ptr<server_handler> make_http_handler(const server_options& opts, uint32_t max_connections);
std::unique_ptr<server_handler> make_echo_handler(const server_options& opts, uint32_t max_connections);
std::unique_ptr<server_handler> make_discard_handler(const server_options& opts, uint32_t max_connections);
std::unique_ptr<server_handler> make_source_handler(const server_options& opts, uint32_t max_connections);

}  // namespace fptcp::app
