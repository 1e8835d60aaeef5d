// fptcp-server --mode source: `source_bytes` of the pattern to each
// connection (0: endless), then our close; what arrives is dropped.
#include <cstdint>

#include "server_handler.hh"

namespace fptcp::app {

namespace {

class source_handler final : public server_handler {
public:
    source_handler(const server_options& opts, uint32_t max_connections) : server_handler(opts, max_connections) {}

    void on_open(connection& c) override {
        server_handler::on_open(c);
        conn_state& s = state_of(c);
        s.to_send = _opts.source_bytes == 0 ? UINT64_MAX : _opts.source_bytes;
        s.close_after = true;
        push(c, s);
    }
    void on_data(connection& c) override { c.consume(c.readable_size()); }
    void on_writable(connection& c) override { push(c, state_of(c)); }
    void on_peer_closed(connection& c) override { c.close(); }
};

}  // namespace

std::unique_ptr<server_handler> make_source_handler(const server_options& opts, uint32_t max_connections) {
    return std::make_unique<source_handler>(opts, max_connections);
}

}  // namespace fptcp::app
