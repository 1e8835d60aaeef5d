// The kernel side of a TAP port: its IPv4 address and up flag, set with
// ioctl on an AF_INET socket (netdevice(7)); and an interface's transmit
// count, read over rtnetlink; no shelling out to ip(8).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fptcp::port {

// Assigns ipv4/prefix_len (host byte order) to `ifname` and brings it up
// (SIOCSIFADDR, SIOCSIFNETMASK, SIOCSIFFLAGS |= IFF_UP). Empty on success,
// else one line. Needs CAP_NET_ADMIN.
std::string configure_kernel_interface(std::string_view ifname, uint32_t ipv4_host_order, uint8_t prefix_len);

// Removes the primary IPv4 address of `ifname` (SIOCSIFADDR 0.0.0.0).
// Empty on success, else one line.
std::string remove_kernel_address(std::string_view ifname);

// The primary IPv4 address of `ifname` in host byte order (SIOCGIFADDR);
// nullopt when it has none or does not exist.
std::optional<uint32_t> kernel_interface_address(std::string_view ifname);

// Whether `ifname` exists and has IFF_UP (SIOCGIFFLAGS).
bool kernel_interface_up(std::string_view ifname);

// Sets the interface's MTU (SIOCSIFMTU); empty on success, else why not.
std::string set_kernel_interface_mtu(std::string_view ifname, uint16_t mtu);

// The frames the kernel has transmitted on `ifname` (its tx_packets, as
// `ip -s link` shows them); nullopt when it does not exist.
std::optional<uint64_t> kernel_interface_tx_packets(std::string_view ifname);

}  // namespace fptcp::port
