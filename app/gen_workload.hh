#pragma once
// fptcp-gen's connecting workloads as an engine handler (docs/fptcp-gen.md):
//   crr     connect, send one request, read the whole response, close;
//   rr      persistent connections, a request after each response;
//   stream  persistent connections that send (or receive) bulk data.
// Closed loop (rate 0): `concurrency` connections in flight; crr replaces
// each one that ends, rr sends the next request as soon as the response is
// complete. Open loop (a rate): crr opens a connection, rr starts a request
// on an idle connection, at fixed intervals. An interval that finds the
// `concurrency` limit reached (crr) or no idle connection (rr) waits in a
// backlog of scheduled starts and goes, oldest first, as soon as there is
// room, its time measured from when it was scheduled: a slow server's
// queueing shows in the latencies (no coordinated omission, as wrk2
// corrects it), and the late starts are counted. Only a start that finds
// the backlog full (ten seconds of the rate, at most 2^20 starts) is
// dropped, as an `overload` error.
// The generator records connect time (connect() to on_open) and request
// time (request started to response complete) in histograms, and counts
// completions, bytes and errors while `measuring` (after the warm-up).
// Everything per connection lives in tables indexed by connection::slot():
// nothing is allocated per connection or per packet.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/gen_options.hh"
#include "app/histogram.hh"
#include "fptcp/fptcp.hh"

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
    overload,            // open loop: an interval found no room (see above)
    count_
};

std::string_view to_string(gen_error e);

// Counters since the start (the live line) or of the measured period.
struct gen_counts {
    uint64_t connections = 0;  // crr: completed; rr: opened
    uint64_t requests = 0;     // responses completed
    uint64_t bytes = 0;        // stream: bytes accepted by send(), or received
    uint64_t late_starts = 0;  // open loop: starts that waited in the backlog
    std::array<uint64_t, static_cast<std::size_t>(gen_error::count_)> errors{};

    uint64_t error_total() const {
        uint64_t n = 0;
        for (uint64_t e : errors) n += e;
        return n;
    }
};

// One lcore's share of the load: `concurrency` connections and `rate` per second.
struct generator_share {
    uint32_t concurrency = 0;
    double rate = 0;  // 0: closed loop
};

class generator final : public handler {
public:
    // `clock` gives the generator's time (runtime::now_ns()).
    generator(const gen_options& opts, generator_share share, uint32_t max_connections, const runtime& clock);

    // Opens connections (and, open loop, starts requests) as the loop and
    // the schedule ask; call after each poll while running.
    void top_up(stack& e, time_point now);
    // Stops opening connections; those open are aborted by abort_all().
    void stop() { _running = false; }
    void abort_all();

    void on_open(connection& c) override;
    void on_data(connection& c) override;
    void on_writable(connection& c) override;
    void on_peer_closed(connection& c) override;
    void on_closed(connection& c, close_reason r) override;

    // Results: start_measuring() at the end of the warm-up starts them.
    void start_measuring();
    const gen_counts& total() const { return _total; }
    const gen_counts& measured() const { return _measured; }
    const histogram& connect_latency() const { return _connect_latency; }
    const histogram& request_latency() const { return _request_latency; }
    uint32_t in_flight() const { return _in_flight; }

private:
    // waiting: rr open loop, between a response and the next scheduled request.
    enum class phase : uint8_t { idle, connecting, active, waiting, done, failed };
    struct conn_state {
        phase ph = phase::idle;
        bool header_done = false;   // http: the response header was parsed
        bool until_close = false;   // http: no Content-Length, the body ends with the FIN
        bool peer_closed = false;   // the peer's FIN came
        bool queued = false;        // in _idle (kept across reuse of the slot)
        uint32_t request_left = 0;  // request bytes not yet accepted by send()
        uint32_t responses_left = 0;  // of the batch (--pipeline), this one included
        uint64_t expected = 0;      // response bytes (body, in http) still to come
        uint64_t started_ns = 0;    // connect() or the request's start
        connection* conn = nullptr;
    };

    bool open_connection(stack& e, time_point now, uint64_t started_ns);
    void run_schedule(stack& e, time_point now);
    bool start_scheduled(stack& e, time_point now, uint64_t scheduled_ns);
    bool start_idle_request(uint64_t started_ns);
    void make_idle(connection& c, conn_state& s);
    void start_request(connection& c, conn_state& s, uint64_t started_ns);
    void push_request(connection& c, conn_state& s);
    void push_stream(connection& c);
    void response_complete(connection& c, conn_state& s);
    void count_response(const conn_state& s);
    void expect_response(conn_state& s) const;
    // http: parses the header when complete; false on a bad response.
    bool read_http_header(connection& c, conn_state& s);
    void count_error(gen_error e);
    void count_bytes(uint64_t n);
    conn_state& state_of(const connection& c) { return _states[c.slot()]; }

    const gen_options& _opts;
    generator_share _share;
    const runtime& _clock;
    tcp_config _tcp;
    std::string _request;  // one request (or the stream's pattern), built once
    std::vector<conn_state> _states;
    // rr open loop: slots waiting for their next request, oldest first (a
    // ring as large as the slot table: a slot is in it at most once).
    std::vector<uint32_t> _idle;
    uint32_t _idle_head = 0, _idle_count = 0;
    uint64_t _interval_ns = 0;   // open loop: between two starts
    uint64_t _next_start_ns = 0;
    // Open loop: scheduled starts that found no room yet, oldest first (a
    // ring allocated once; a full one drops the start as overload).
    std::vector<uint64_t> _backlog;
    std::size_t _backlog_head = 0, _backlog_count = 0;
    histogram _connect_latency, _request_latency;
    gen_counts _total, _measured;
    uint32_t _in_flight = 0;
    // Closed loop: connects awaiting their SYN-ACK, at most max_connecting,
    // so that opening many connections at once does not overflow the TX ring
    // and the peer's RX ring with SYNs (lost SYNs wait a whole RTO).
    static constexpr uint32_t max_connecting = 512;
    uint32_t _connecting = 0;
    bool _running = true;
    bool _measuring = false;
};

}  // namespace fptcp::app
