// fptcp-server --mode discard: read and drop; close after the peer's FIN.
#include "server_handler.hh"

namespace fptcp::app {

namespace {

class discard_handler final : public server_handler {
public:
    discard_handler(const server_options& opts, uint32_t max_connections) : server_handler(opts, max_connections) {}

    void on_data(connection& c) override { c.consume(c.readable_size()); }
    void on_peer_closed(connection& c) override { c.close(); }
};

}  // namespace

std::unique_ptr<server_handler> make_discard_handler(const server_options& opts, uint32_t max_connections) {
    return std::make_unique<discard_handler>(opts, max_connections);
}

}  // namespace fptcp::app
