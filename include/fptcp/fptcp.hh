#pragma once
// fptcp's public API: the one header an embedding application includes.
// docs/api.md explains it; examples/fetch.cc is a complete program.
//
//   port::start_eal(...)               the EAL, with fptcp's options
//   port::port::open(...)              a DPDK port: tap, af_packet, memif, ring, pci
//   port::configure_kernel_interface   tap: the kernel side's address, link up
//   engine::engine::create(...)        one engine per lcore, with your handler
//   engine->listen(port, tcp_config)   passive open
//   engine->connect(now, ip, port, cfg) active open
//   engine->poll(now)                  the loop: call it as often as you can
//   engine::connection                 send / readable+consume / shutdown / close / abort
//   engine::handler                    on_open, on_data, on_writable, on_peer_closed, on_closed

#include "engine/engine.hh"
#include "fptcp/close_reason.hh"
#include "fptcp/tcp_config.hh"
#include "port/capture.hh"
#include "port/eal.hh"
#include "port/kernel_interface.hh"
#include "port/port.hh"

namespace fptcp {

using engine::connection;
using engine::engine_settings;
using engine::handler;
using tcp::time_point;

}  // namespace fptcp
