#include "port/kernel_interface.hh"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fptcp::port {
namespace {

// An AF_INET datagram socket closed on scope exit: the handle for the
// SIOC*IF* ioctls.
class inet_socket {
public:
    inet_socket() : _fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
    ~inet_socket() {
        if (_fd >= 0) {
            ::close(_fd);
        }
    }
    inet_socket(const inet_socket&) = delete;
    inet_socket& operator=(const inet_socket&) = delete;
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

}  // namespace

std::string configure_kernel_interface(std::string_view ifname, uint32_t ipv4_host_order, uint8_t prefix_len) {
    if (prefix_len > 32) {
        return "prefix length " + std::to_string(prefix_len) + " is larger than 32";
    }
    inet_socket sock;
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
    inet_socket sock;
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
    inet_socket sock;
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

bool kernel_interface_up(std::string_view ifname) {
    inet_socket sock;
    ifreq req{};
    std::string error;
    if (sock.fd() < 0 || !make_request(ifname, req, error)) {
        return false;
    }
    return ::ioctl(sock.fd(), SIOCGIFFLAGS, &req) == 0 && (req.ifr_flags & IFF_UP) != 0;
}

}  // namespace fptcp::port
