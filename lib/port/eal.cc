#include "port/eal.hh"

#include "fptcp/log.hh"
#include "port/log_internal.hh"
#include "port/port_kind.hh"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace fptcp::port {
namespace {

using kind = port_spec::kind;


// Effective capability mask of this process (CapEff in /proc/self/status).
uint64_t effective_capabilities() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("CapEff:")) {
            return std::strtoull(line.c_str() + 7, nullptr, 16);
        }
    }
    return 0;
}


std::vector<std::string> split_on_spaces(const std::string& text) {
    std::vector<std::string> words;
    std::string word;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n') {
            if (!word.empty()) {
                words.push_back(std::move(word));
                word.clear();
            }
        } else {
            word.push_back(c);
        }
    }
    if (!word.empty()) {
        words.push_back(std::move(word));
    }
    return words;
}

// A memif server fails with "Address already in use" when a previous run
// left its socket file behind. Remove the file only when nobody listens on it.
void remove_stale_memif_socket(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
        return;
    }
    int fd = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (fd < 0) {
        return;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    bool refused = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 && errno == ECONNREFUSED;
    ::close(fd);
    if (refused) {
        ::unlink(path.c_str());
    }
}

// Holds stdout and stderr in a memfd while rte_eal_init runs: on bad
// arguments the EAL prints its 100-line usage on stdout and several lines on
// stderr; the caller wants one line. finish() restores both and returns what
// was written.
class output_capture {
public:
    output_capture() : _file(::memfd_create("fptcp-eal-output", MFD_CLOEXEC)) {
        std::fflush(stdout);
        std::fflush(stderr);
        if (_file >= 0) {
            _saved_out = ::dup(STDOUT_FILENO);
            _saved_err = ::dup(STDERR_FILENO);
            ::dup2(_file, STDOUT_FILENO);
            ::dup2(_file, STDERR_FILENO);
        }
    }
    ~output_capture() { finish(); }
    output_capture(const output_capture&) = delete;
    output_capture& operator=(const output_capture&) = delete;

    std::string finish() {
        std::string text;
        if (_file < 0) {
            return text;
        }
        std::fflush(stdout);
        std::fflush(stderr);
        ::dup2(_saved_out, STDOUT_FILENO);
        ::dup2(_saved_err, STDERR_FILENO);
        ::close(_saved_out);
        ::close(_saved_err);
        char buf[4096];
        ::lseek(_file, 0, SEEK_SET);
        for (ssize_t n; (n = ::read(_file, buf, sizeof(buf))) > 0;) {
            text.append(buf, static_cast<std::size_t>(n));
        }
        ::close(_file);
        _file = -1;
        return text;
    }

private:
    int _file;
    int _saved_out = -1;
    int _saved_err = -1;
};

// The first line that says what went wrong: not blank, not the usage text.
std::string first_line(const std::string& text) {
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        std::string line = text.substr(start, end - start);
        if (line.starts_with("Usage:")) {
            // No message before the usage text: take the EAL's own verdict.
            auto fatal = text.find("EAL: FATAL: ");
            return fatal == std::string::npos ? "" : text.substr(fatal, text.find('\n', fatal) - fatal);
        }
        if (!line.empty()) {
            return line;
        }
        start = end + 1;
    }
    return "";
}

}  // namespace

bool hugepages_available() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
        std::ifstream free_file(entry.path() / "free_hugepages");
        unsigned long free_pages = 0;
        if (free_file >> free_pages && free_pages > 0) {
            return true;
        }
    }
    return false;
}

std::string check_port_privileges(const std::vector<port_spec>& ports) {
    uint64_t caps = effective_capabilities();
    for (const auto& spec : ports) {
        if (std::string p = kind_of(spec.type).privilege_problem(spec, caps); !p.empty()) {
            return "port " + to_string(spec) + " " + p;
        }
    }
    return "";
}

std::string check_port_targets(const std::vector<port_spec>& ports) {
    for (const auto& spec : ports) {
        if (std::string p = kind_of(spec.type).target_problem(spec); !p.empty()) return "port " + to_string(spec) + ": " + p;
    }
    return "";
}

int default_peer_cpu() { return ::sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 1 : 0; }

std::vector<std::string> eal_arguments(const eal_settings& settings, const char* program_name, bool hugepages) {
    std::vector<std::string> args{program_name == nullptr ? "fptcp" : program_name};
    args.insert(args.end(), {"-l", settings.lcores});
    std::string prefix = settings.file_prefix.empty() ? "fptcp-" + std::to_string(::getpid()) : settings.file_prefix;
    args.push_back("--file-prefix=" + prefix);
    // With hugepages, --in-memory: no shared files under /var/run/dpdk and no
    // hugetlbfs files (memfd instead), so nothing is left behind after a crash
    // and processes never collide on files. fptcp has no secondary processes,
    // the only loss.
    // --no-huge implies legacy memory, which --in-memory refuses: use
    // --no-shconf (the part of --in-memory that still applies) instead.
    if (hugepages) {
        args.emplace_back("--in-memory");
    } else {
        args.emplace_back("--no-huge");
        args.emplace_back("--no-shconf");
        args.insert(args.end(), {"-m", std::to_string(settings.memory_mb)});
    }
    bool has_pci = false;
    for (unsigned i = 0; i < settings.ports.size(); ++i) {
        has_pci = has_pci || settings.ports[i].type == kind::pci;
        auto port_args = eal_port_arguments(settings.ports[i], i, settings.queues, settings.mtu);
        args.insert(args.end(), port_args.begin(), port_args.end());
    }
    if (!has_pci) {
        args.emplace_back("--no-pci");
    }
    // Quiet unless something is wrong. DPDK applies --log-level options in
    // order to log types that exist when it parses them (the EAL's: the last
    // match wins) but, for types registered later by driver plugins, takes
    // the first match. So the user's own --log-level options go both before
    // and after ours to win either way, e.g. --eal "--log-level=*:info".
    // The tap PMD reports at error level that it cannot add a multiq qdisc
    // (sch_multiq not loaded) and so disables rte_flow, which fptcp does not
    // use; a tap that really fails still fails the EAL's vdev probe, which
    // lib.eal reports.
    auto extra = split_on_spaces(settings.passthrough);
    for (const auto& arg : extra) {
        if (arg.starts_with("--log-level")) {
            args.push_back(arg);
        }
    }
    args.emplace_back("--log-level=pmd.net.tap:critical");
    args.emplace_back("--log-level=lib.eal:error");
    args.emplace_back("--log-level=*:error");
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

namespace {

// The EAL leaves its runtime directory (/var/run/dpdk/<file prefix>) behind:
// one per run, thousands on a test machine. rte_eal_cleanup() keeps it, and
// the telemetry socket in it goes only at exit (DPDK's own atexit handler),
// so it is removed by a handler registered before rte_eal_init, which runs
// after DPDK's. A fixed buffer: no destructor races the handler at exit.
std::array<char, PATH_MAX> runtime_dir_to_remove{};

void remove_runtime_dir() {
    if (runtime_dir_to_remove[0] != '\0') ::rmdir(runtime_dir_to_remove.data());
}

void remove_runtime_dir_at_exit() {
    static const bool registered = std::atexit(remove_runtime_dir) == 0;
    (void)registered;
}

void note_runtime_dir() {
    std::snprintf(runtime_dir_to_remove.data(), runtime_dir_to_remove.size(), "%s", rte_eal_get_runtime_dir());
}

}  // namespace

std::string check_passthrough(const std::string& passthrough) {
    static constexpr std::string_view cpu_options[] = {"-l", "--lcores", "-c", "--coremask"};
    for (const std::string& arg : split_on_spaces(passthrough)) {
        for (std::string_view option : cpu_options) {
            bool long_form = option.starts_with("--");
            bool same = arg == option || (long_form ? arg.starts_with(std::string(option) + "=")
                                                    : arg.starts_with(option) && arg.size() > 2);
            if (same) return "\"" + arg + "\" sets the CPUs, which are fptcp's to set: use --cpus LIST";
        }
    }
    return "";
}

std::string start_eal(const eal_settings& settings, const char* program_name) {
    for (unsigned i = 0; i < settings.ports.size(); ++i) {
        for (unsigned j = 0; j < i; ++j) {
            const auto& a = settings.ports[i];
            const auto& b = settings.ports[j];
            if (a.type == b.type && a.name == b.name && a.type != kind::ring) {
                return "port " + to_string(a) + " is given twice";
            }
        }
    }
    if (auto error = check_port_privileges(settings.ports); !error.empty()) {
        return error;
    }
    if (auto error = check_port_targets(settings.ports); !error.empty()) {
        return error;
    }
    for (const auto& spec : settings.ports) {
        if (spec.type == kind::memif && spec.role == port_spec::memif_role::server) {
            remove_stale_memif_socket(spec.name);
        }
    }
    bool hugepages = settings.allow_hugepages && hugepages_available();
    if (settings.allow_hugepages && !hugepages) {
        log(log_level::notice, "no free hugepages, running with --no-huge -m %u (docs/ports.md: reserving hugepages)",
            settings.memory_mb);
    }
    auto args = eal_arguments(settings, program_name, hugepages);
    std::vector<char*> argv;
    for (auto& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    // DPDK's Linux log goes to stdout and syslog by default; keep stdout for
    // the program's own output.
    rte_openlog_stream(stderr);
    output_capture capture;
    remove_runtime_dir_at_exit();
    int ret = rte_eal_init(static_cast<int>(args.size()), argv.data());
    int eal_errno = rte_errno;
    std::string output = capture.finish();
    if (ret < 0) {
        std::string detail = first_line(output);
        return std::string("DPDK EAL start-up failed: ") + rte_strerror(eal_errno) +
               (detail.empty() ? "" : " (" + detail + ")");
    }
    std::fputs(output.c_str(), stderr);
    restore_log_level();
    note_runtime_dir();
    return "";
}

void stop_eal() { rte_eal_cleanup(); }

}  // namespace fptcp::port
