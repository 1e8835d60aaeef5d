#pragma once
// fptcp-gen's workloads as an engine handler (docs/fptcp-gen.md):
//   crr  closed loop: `concurrency` connections in flight, each connects,
//        sends one request, reads the whole response, closes, and is replaced;
//   rr   `concurrency` persistent connections, each sending its next request
//        when the previous response is complete.
// The generator records connect time (connect() to on_open) and request
// time (request sent to response complete) in histograms, and counts
// completions and errors while `measuring` is set (after the warm-up).
// Everything per connection lives in a table indexed by connection::slot():
// nothing is allocated per connection or per packet.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/gen_options.hh"
#include "app/histogram.hh"
#include "engine/engine.hh"

namespace fptcp::app {

// Why a connection did not complete its work, beyond the close reasons.
enum class gen_error : uint8_t {
    refused,             // RST in answer to our SYN
    connect_timeout,     // SYN retransmissions exhausted
    reset,               // RST after the handshake
    timeout,             // data or FIN retransmissions exhausted, or keepalive
    aborted,             // we aborted (unexpected data, bad response)
    short_response,      // the peer closed before the response was complete
    bad_response,        // an HTTP response we could not parse, or not 200
    no_port,             // connect() found no free local port or slot
    count_
};

std::string_view to_string(gen_error e);

// Counters since the start (the live line) or of the measured period.
struct gen_counts {
    uint64_t connections = 0;  // crr: completed; rr: opened
    uint64_t requests = 0;     // responses completed
    std::array<uint64_t, static_cast<std::size_t>(gen_error::count_)> errors{};

    uint64_t error_total() const {
        uint64_t n = 0;
        for (uint64_t e : errors) n += e;
        return n;
    }
};

class generator final : public engine::handler {
public:
    // `now_ns` is the generator's clock (nanoseconds, monotonic).
    using clock_fn = uint64_t (*)();
    generator(const gen_options& opts, uint32_t max_connections, clock_fn now_ns);

    // Opens connections until `concurrency` are in flight (or connect()
    // refuses); call after each poll while running.
    void top_up(engine::engine& e, tcp::time_point now);
    // Stops opening connections; those open are aborted by abort_all().
    void stop() { _running = false; }
    void abort_all(engine::engine& e);

    void on_open(engine::connection& c) override;
    void on_data(engine::connection& c) override;
    void on_writable(engine::connection& c) override;
    void on_peer_closed(engine::connection& c) override;
    void on_closed(engine::connection& c, close_reason r) override;

    // Results: start_measuring() at the end of the warm-up starts them.
    void start_measuring();
    const gen_counts& total() const { return _total; }
    const gen_counts& measured() const { return _measured; }
    const histogram& connect_latency() const { return _connect_latency; }
    const histogram& request_latency() const { return _request_latency; }
    uint32_t in_flight() const { return _in_flight; }

private:
    enum class phase : uint8_t { idle, connecting, active, done, failed };
    struct conn_state {
        phase ph = phase::idle;
        bool header_done = false;   // http: the response header was parsed
        bool until_close = false;   // http: no Content-Length, the body ends with the FIN
        bool peer_closed = false;   // the peer's FIN came
        uint32_t request_left = 0;  // request bytes not yet accepted by send()
        uint64_t expected = 0;      // response bytes (body, in http) still to come
        uint64_t started_ns = 0;    // connect() or the request's first byte
        engine::connection* conn = nullptr;
    };

    void start_request(engine::connection& c, conn_state& s);
    void push_request(engine::connection& c, conn_state& s);
    void response_complete(engine::connection& c, conn_state& s);
    // http: parses the header when complete; false on a bad response.
    bool read_http_header(engine::connection& c, conn_state& s);
    void count_error(gen_error e);
    conn_state& state_of(const engine::connection& c) { return _states[c.slot()]; }

    const gen_options& _opts;
    clock_fn _now_ns;
    tcp_config _tcp;
    std::string _request;  // one request, built once
    std::vector<conn_state> _states;
    histogram _connect_latency, _request_latency;
    gen_counts _total, _measured;
    uint32_t _in_flight = 0;
    bool _running = true;
    bool _measuring = false;
};

}  // namespace fptcp::app
