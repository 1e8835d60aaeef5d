#pragma once
// A TCP connection as the application sees it, and the callbacks that tell
// the application about it (docs/api.md). Part of the public API; lib/engine
// implements it (its connection slots derive from fptcp::connection).

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "fptcp/close_reason.hh"

struct rte_mbuf;

namespace fptcp {

// Valid from the callback that announces it (on_open, or connect()'s return)
// until on_closed returns. Call it only from the thread that polls its stack.
class connection {
public:
    // Copies what fits into the send buffer and sends what the windows allow;
    // with `more`, holds it until the next send without (MSG_MORE).
    uint32_t send(std::span<const uint8_t> data, bool more = false);
    // The mbuf-level entry point: the same from an mbuf (chained or not), all
    // or nothing. When send_space() holds all of it, its bytes are copied into
    // the send buffer, the mbuf is freed and the result is true; otherwise
    // false, and the mbuf is still the caller's (try again on on_writable).
    bool send(rte_mbuf* m, bool more = false);
    uint32_t send_space() const;
    // Received in-order bytes, zero-copy (two spans: the ring may wrap);
    // consume() what was used so the window can open.
    std::array<std::span<const uint8_t>, 2> readable() const;
    // How many bytes readable() holds.
    uint32_t readable_size() const;
    // Copies up to out.size() readable bytes into out, across the ring's wrap
    // (for parsing a header); nothing is consumed.
    std::string_view peek(std::span<char> out) const;
    void consume(uint32_t n);
    void shutdown();  // half-close: our FIN after the queued data
    void close();     // full close (RST if unread data remains)
    void abort();     // RST now
    // Nagle's algorithm off (true) or on; tcp_config::nagle sets the start.
    void set_nodelay(bool on);

    // Addresses in host byte order.
    uint32_t local_ip() const;
    uint16_t local_port() const;
    uint32_t remote_ip() const;
    uint16_t remote_port() const;
    // RFC 9293's state name in lower case ("established", "fin_wait_1", ...).
    std::string_view state_name() const;
    // Accepted by a listener (true) or opened by connect() (false).
    bool passive() const;
    // A number below stack_settings::max_connections, unique among open
    // connections: applications index their own per-connection state by it.
    uint32_t slot() const;

    void* user = nullptr;  // the application's own pointer

protected:
    // Only the engine makes connections; the application holds references.
    connection() = default;
    ~connection() = default;
    connection(const connection&) = default;
    connection& operator=(const connection&) = default;
};

// The application's callbacks, run inline from poll() right after the
// segment or timer that caused them. One indirect call per event is the
// price of embedding; everything below the callbacks is statically
// dispatched.
class handler {
public:
    virtual ~handler() = default;
    virtual void on_open(connection&) {}         // handshake complete, either role
    virtual void on_data(connection&) {}         // new bytes in readable()
    virtual void on_writable(connection&) {}     // send buffer space was freed
    virtual void on_peer_closed(connection&) {}  // the peer's FIN: no more data will come
    virtual void on_closed(connection&, close_reason) {}  // last call for this connection
};

}  // namespace fptcp
