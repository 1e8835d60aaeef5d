#include "port/kernel_interface.hh"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace fptcp::port {
namespace {

// A socket closed on scope exit: AF_INET datagram by default, the handle for
// the SIOC*IF* ioctls.
class scoped_socket {
public:
    explicit scoped_socket(int domain = AF_INET, int type = SOCK_DGRAM, int protocol = 0)
        : _fd(::socket(domain, type | SOCK_CLOEXEC, protocol)) {}
    ~scoped_socket() {
        if (_fd >= 0) {
            ::close(_fd);
        }
    }
    scoped_socket(const scoped_socket&) = delete;
    scoped_socket& operator=(const scoped_socket&) = delete;
    int fd() const { return _fd; }

private:
    int _fd;
};

bool make_request(std::string_view ifname, ifreq& req, std::string& error) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
        error = "invalid interface name '" + std::string(ifname) + "'";
        return false;
    }
    std::memset(&req, 0, sizeof(req));
    std::memcpy(req.ifr_name, ifname.data(), ifname.size());
    return true;
}

void set_ipv4(ifreq& req, uint32_t host_order) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(host_order);
    std::memcpy(&req.ifr_addr, &addr, sizeof(addr));
}

std::string ioctl_error(const char* what, std::string_view ifname) {
    return std::string(what) + " on " + std::string(ifname) + ": " + std::strerror(errno);
}

// The interface's 64-bit counters: one RTM_GETLINK request for its index and
// the IFLA_STATS64 attribute of the RTM_NEWLINK answer (rtnetlink(7)). The
// netlink socket belongs to the calling thread's network namespace, as the
// interface name does.
std::optional<rtnl_link_stats64> link_stats(std::string_view ifname) {
    std::string name(ifname);
    unsigned index = ::if_nametoindex(name.c_str());
    scoped_socket sock(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    if (index == 0 || sock.fd() < 0) {
        return std::nullopt;
    }
    struct {
        nlmsghdr header;
        ifinfomsg link;
    } request{};
    request.header.nlmsg_len = sizeof(request);
    request.header.nlmsg_type = RTM_GETLINK;
    request.header.nlmsg_flags = NLM_F_REQUEST;
    request.link.ifi_family = AF_UNSPEC;
    request.link.ifi_index = static_cast<int>(index);
    if (::send(sock.fd(), &request, sizeof(request), 0) != static_cast<ssize_t>(sizeof(request))) {
        return std::nullopt;
    }
    alignas(nlmsghdr) std::array<char, 32768> reply;
    ssize_t n = ::recv(sock.fd(), reply.data(), reply.size(), 0);
    auto* header = reinterpret_cast<nlmsghdr*>(reply.data());
    if (n <= 0 || !NLMSG_OK(header, static_cast<unsigned>(n)) || header->nlmsg_type != RTM_NEWLINK) {
        return std::nullopt;
    }
    int left = static_cast<int>(IFLA_PAYLOAD(header));
    for (auto* a = IFLA_RTA(static_cast<ifinfomsg*>(NLMSG_DATA(header))); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
        if (a->rta_type == IFLA_STATS64 && RTA_PAYLOAD(a) >= sizeof(rtnl_link_stats64)) {
            rtnl_link_stats64 stats{};
            std::memcpy(&stats, RTA_DATA(a), sizeof(stats));
            return stats;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<uint64_t> kernel_interface_tx_packets(std::string_view ifname) {
    auto stats = link_stats(ifname);
    return stats ? std::optional<uint64_t>(stats->tx_packets) : std::nullopt;
}

std::string configure_kernel_interface(std::string_view ifname, uint32_t ipv4_host_order, uint8_t prefix_len) {
    if (prefix_len > 32) {
        return "prefix length " + std::to_string(prefix_len) + " is larger than 32";
    }
    scoped_socket sock;
    if (sock.fd() < 0) {
        return std::string("socket(AF_INET): ") + std::strerror(errno);
    }
    ifreq req{};
    std::string error;
    if (!make_request(ifname, req, error)) {
        return error;
    }
    set_ipv4(req, ipv4_host_order);
    if (::ioctl(sock.fd(), SIOCSIFADDR, &req) != 0) {
        return ioctl_error("SIOCSIFADDR", ifname);
    }
    uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
    make_request(ifname, req, error);
    set_ipv4(req, mask);
    if (::ioctl(sock.fd(), SIOCSIFNETMASK, &req) != 0) {
        return ioctl_error("SIOCSIFNETMASK", ifname);
    }
    make_request(ifname, req, error);
    if (::ioctl(sock.fd(), SIOCGIFFLAGS, &req) != 0) {
        return ioctl_error("SIOCGIFFLAGS", ifname);
    }
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
    if (::ioctl(sock.fd(), SIOCSIFFLAGS, &req) != 0) {
        return ioctl_error("SIOCSIFFLAGS", ifname);
    }
    return "";
}

std::string remove_kernel_address(std::string_view ifname) {
    scoped_socket sock;
    if (sock.fd() < 0) {
        return std::string("socket(AF_INET): ") + std::strerror(errno);
    }
    ifreq req{};
    std::string error;
    if (!make_request(ifname, req, error)) {
        return error;
    }
    // Setting 0.0.0.0 deletes the primary address (devinet_ioctl).
    set_ipv4(req, 0);
    if (::ioctl(sock.fd(), SIOCSIFADDR, &req) != 0) {
        return ioctl_error("SIOCSIFADDR", ifname);
    }
    return "";
}

std::optional<uint32_t> kernel_interface_address(std::string_view ifname) {
    scoped_socket sock;
    ifreq req{};
    std::string error;
    if (sock.fd() < 0 || !make_request(ifname, req, error)) {
        return std::nullopt;
    }
    req.ifr_addr.sa_family = AF_INET;
    if (::ioctl(sock.fd(), SIOCGIFADDR, &req) != 0) {
        return std::nullopt;
    }
    sockaddr_in addr{};
    std::memcpy(&addr, &req.ifr_addr, sizeof(addr));
    return ntohl(addr.sin_addr.s_addr);
}

std::string set_kernel_interface_mtu(std::string_view ifname, uint16_t mtu) {
    scoped_socket sock;
    ifreq req{};
    std::string error;
    if (sock.fd() < 0 || !make_request(ifname, req, error)) return error.empty() ? "no socket" : error;
    req.ifr_mtu = mtu;
    if (::ioctl(sock.fd(), SIOCSIFMTU, &req) != 0) return ioctl_error("SIOCSIFMTU", ifname);
    return "";
}

bool kernel_interface_up(std::string_view ifname) {
    scoped_socket sock;
    ifreq req{};
    std::string error;
    if (sock.fd() < 0 || !make_request(ifname, req, error)) {
        return false;
    }
    return ::ioctl(sock.fd(), SIOCGIFFLAGS, &req) == 0 && (req.ifr_flags & IFF_UP) != 0;
}

}  // namespace fptcp::port
