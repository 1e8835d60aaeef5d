#include "engine/boot_secret.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <string>

namespace fptcp::engine {

namespace {

constexpr const char* key_dir = "/run/fptcp";
constexpr const char* key_path = "/run/fptcp/isn-key";

bool read_key(tcp::isn_secret& out) {
    int fd = ::open(key_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = ::read(fd, &out, sizeof out);
    ::close(fd);
    return n == static_cast<ssize_t>(sizeof out);
}

// Writes `key` to a file of our own, then links it into place: the key file
// appears whole or not at all, and when two processes race, link(2) lets
// exactly one win and the other reads the winner's key.
void publish_key(const tcp::isn_secret& key) {
    ::mkdir(key_dir, 0700);
    std::string mine = std::string(key_path) + "." + std::to_string(::getpid());
    int fd = ::open(mine.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    bool whole = ::write(fd, &key, sizeof key) == static_cast<ssize_t>(sizeof key);
    ::close(fd);
    if (whole) ::link(mine.c_str(), key_path);
    ::unlink(mine.c_str());
}

}  // namespace

tcp::isn_secret boot_isn_secret() {
    tcp::isn_secret key;
    if (read_key(key)) return key;
    tcp::isn_secret fresh = tcp::isn_secret::random();
    publish_key(fresh);
    if (read_key(key)) return key;
    return fresh;
}

std::chrono::microseconds since_boot() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::microseconds(ts.tv_nsec / 1000);
}

}  // namespace fptcp::engine
