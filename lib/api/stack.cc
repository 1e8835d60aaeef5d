#include "fptcp/stack.hh"

#include "stack_impl.hh"

namespace fptcp {

stack::stack(std::unique_ptr<impl> i) : _impl(std::move(i)) {}

std::unique_ptr<stack> stack::create(const link_settings& link, const stack_settings& s, handler& h,
                                     std::string& error) {
    engine::engine_settings es;
    static_cast<stack_settings&>(es) = s;
    std::unique_ptr<engine::engine> e = engine::engine::create(link, es, h, error);
    if (!e) return nullptr;
    return impl::wrap(std::move(e), s);
}

std::unique_ptr<stack> stack::impl::wrap(std::unique_ptr<engine::engine> e, const stack_settings& s) {
    auto i = std::make_unique<impl>();
    i->engine = std::move(e);
    i->settings = s;
    return std::unique_ptr<stack>(new stack(std::move(i)));
}
stack::~stack() = default;

bool stack::listen(uint16_t port, std::string& error) { return listen(port, _impl->settings.tcp, error); }

bool stack::listen(uint16_t port, const tcp_config& cfg, std::string& error) {
    if (!_impl->engine->listen(port, cfg, error)) return false;
    for (auto& entry : _impl->listening) {
        uint16_t free = 0;
        if (entry.compare_exchange_strong(free, port, std::memory_order_relaxed)) break;
    }
    return true;
}

bool stack::stop_listening(uint16_t port) {
    if (!_impl->engine->stop_listening(port)) return false;
    for (auto& entry : _impl->listening) {
        uint16_t listened = port;
        if (entry.compare_exchange_strong(listened, 0, std::memory_order_relaxed)) break;
    }
    return true;
}

std::vector<uint16_t> stack::listening() const {
    std::vector<uint16_t> ports;
    for (const auto& entry : _impl->listening) {
        if (uint16_t p = entry.load(std::memory_order_relaxed); p != 0) ports.push_back(p);
    }
    return ports;
}

connection* stack::connect(time_point now, uint32_t remote_ip, uint16_t remote_port, void* user) {
    return connect(now, remote_ip, remote_port, _impl->settings.tcp, user);
}

connection* stack::connect(time_point now, uint32_t remote_ip, uint16_t remote_port, const tcp_config& cfg,
                           void* user) {
    return _impl->engine->connect(now, remote_ip, remote_port, cfg, user);
}

uint32_t stack::poll(time_point now) { return _impl->engine->poll(now); }

void stack::receive(time_point now, rte_mbuf* const* frames, uint32_t n) { _impl->engine->receive(now, frames, n); }

uint32_t stack::take_tx(rte_mbuf** out, uint32_t max) { return _impl->engine->take_tx(out, max); }

void stack::set_neighbor(uint32_t ip, const std::array<uint8_t, 6>& mac) { _impl->engine->set_neighbor(ip, mac); }

stats stack::snapshot() const {
    stats s;
    snapshot(s);
    return s;
}

void stack::snapshot(stats& into) const { collect_stats(*_impl->engine, into); }

uint32_t stack::active_connections() const { return _impl->engine->active_connections(); }

const stack_settings& stack::settings() const { return _impl->settings; }

}  // namespace fptcp
