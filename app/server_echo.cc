// fptcp-server --mode echo: every byte back, and our FIN after the peer's.
#include <algorithm>

#include "server_handler.hh"

namespace fptcp::app {

namespace {

class echo_handler final : public server_handler {
public:
    echo_handler(const server_options& opts, uint32_t max_connections) : server_handler(opts, max_connections) {}

    void on_data(connection& c) override { echo(c, state_of(c)); }
    void on_writable(connection& c) override { echo(c, state_of(c)); }
    void on_peer_closed(connection& c) override {
        conn_state& s = state_of(c);
        s.peer_done = true;
        echo(c, s);  // shuts down once everything is echoed
    }

private:
    static void echo(connection& c, const conn_state& s) {
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
};

}  // namespace

std::unique_ptr<server_handler> make_echo_handler(const server_options& opts, uint32_t max_connections) {
    return std::make_unique<echo_handler>(opts, max_connections);
}

}  // namespace fptcp::app
