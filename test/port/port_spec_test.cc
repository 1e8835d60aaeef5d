// Port spec parsing, vdev strings and EAL argument lists: pure, no EAL.
#include "port/eal.hh"
#include "port/port_kind.hh"
#include "port/port_spec.hh"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

namespace fptcp::port {
namespace {

using kind = port_spec::kind;
using role = port_spec::memif_role;

port_spec parse_ok(std::string_view text) {
    std::string error;
    auto spec = parse_port_spec(text, error);
    EXPECT_TRUE(spec.has_value()) << text << ": " << error;
    EXPECT_TRUE(error.empty());
    return spec.value_or(port_spec{});
}

std::string parse_error(std::string_view text) {
    std::string error;
    auto spec = parse_port_spec(text, error);
    EXPECT_FALSE(spec.has_value()) << text;
    EXPECT_FALSE(error.empty()) << text;
    EXPECT_EQ(error.find('\n'), std::string::npos);
    return error;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(PortSpec, ParsesTap) {
    auto s = parse_ok("tap:fptcp0");
    EXPECT_EQ(s.type, kind::tap);
    EXPECT_EQ(s.name, "fptcp0");
}

TEST(PortSpec, ParsesAfPacket) {
    auto s = parse_ok("af_packet:veth-fp0");
    EXPECT_EQ(s.type, kind::af_packet);
    EXPECT_EQ(s.name, "veth-fp0");
}

TEST(PortSpec, ParsesMemifAsClientByDefault) {
    auto s = parse_ok("memif:/run/fptcp/memif.sock");
    EXPECT_EQ(s.type, kind::memif);
    EXPECT_EQ(s.name, "/run/fptcp/memif.sock");
    EXPECT_EQ(s.role, role::client);
}

TEST(PortSpec, ParsesMemifRoles) {
    EXPECT_EQ(parse_ok("memif:/tmp/m.sock,role=server").role, role::server);
    EXPECT_EQ(parse_ok("memif:/tmp/m.sock,role=client").role, role::client);
    EXPECT_EQ(parse_ok("memif:/tmp/m.sock,role=server").name, "/tmp/m.sock");
}

TEST(PortSpec, ParsesRing) {
    auto s = parse_ok("ring:link-0_a");
    EXPECT_EQ(s.type, kind::ring);
    EXPECT_EQ(s.name, "link-0_a");
}

TEST(PortSpec, ParsesLongPciAddressInLowerCase) {
    auto s = parse_ok("pci:0000:3B:00.1");
    EXPECT_EQ(s.type, kind::pci);
    EXPECT_EQ(s.name, "0000:3b:00.1");
}

TEST(PortSpec, ShortPciAddressGetsDomainZero) { EXPECT_EQ(parse_ok("pci:01:00.0").name, "0000:01:00.0"); }

TEST(PortSpec, FifteenCharacterInterfaceNameIsAccepted) {
    EXPECT_EQ(parse_ok("tap:abcdefghijklmno").name, "abcdefghijklmno");
}

TEST(PortSpec, RoundTripsThroughToString) {
    for (std::string_view text : {"tap:fp0", "af_packet:eth1", "memif:/tmp/s,role=server", "memif:/tmp/s,role=client",
                                  "ring:r0", "pci:0000:01:00.0"}) {
        EXPECT_EQ(to_string(parse_ok(text)), text);
    }
}

TEST(PortSpecError, MissingKind) { EXPECT_TRUE(contains(parse_error("fptcp0"), "has no kind")); }

TEST(PortSpecError, UnknownKind) {
    auto e = parse_error("vhost:/tmp/x");
    EXPECT_TRUE(contains(e, "unknown port kind 'vhost'")) << e;
}

TEST(PortSpecError, KindIsCaseSensitive) { EXPECT_TRUE(contains(parse_error("TAP:x"), "unknown port kind")); }

TEST(PortSpecError, EmptyNames) {
    EXPECT_TRUE(contains(parse_error("tap:"), "missing interface name"));
    EXPECT_TRUE(contains(parse_error("af_packet:"), "missing interface name"));
    EXPECT_TRUE(contains(parse_error("memif:"), "missing memif socket path"));
    EXPECT_TRUE(contains(parse_error("memif:,role=server"), "missing memif socket path"));
    EXPECT_TRUE(contains(parse_error("ring:"), "missing ring name"));
    EXPECT_TRUE(contains(parse_error("pci:"), "missing PCI address"));
}

TEST(PortSpecError, InterfaceNameLongerThanFifteen) {
    auto e = parse_error("tap:abcdefghijklmnop");
    EXPECT_TRUE(contains(e, "longer than 15")) << e;
    EXPECT_TRUE(contains(parse_error("af_packet:abcdefghijklmnop"), "longer than 15"));
}

TEST(PortSpecError, InterfaceNameWithInvalidCharacters) {
    for (std::string_view text : {"tap:a/b", "tap:a b", "tap:a:b", "af_packet:a,b", "tap:a=b"}) {
        EXPECT_TRUE(contains(parse_error(text), "invalid character")) << text;
    }
    EXPECT_TRUE(contains(parse_error("tap:.."), "not a valid interface name"));
}

TEST(PortSpecError, MemifUnknownOption) {
    auto e = parse_error("memif:/tmp/s,mode=ip");
    EXPECT_TRUE(contains(e, "unknown memif option 'mode=ip'")) << e;
}

TEST(PortSpecError, MemifBadRole) {
    auto e = parse_error("memif:/tmp/s,role=master");
    EXPECT_TRUE(contains(e, "role 'master'")) << e;
}

TEST(PortSpecError, MemifRoleTwice) {
    EXPECT_TRUE(contains(parse_error("memif:/tmp/s,role=server,role=client"), "twice"));
}

TEST(PortSpecError, MemifEmptyOption) { EXPECT_TRUE(contains(parse_error("memif:/tmp/s,"), "unknown memif option ''")); }

TEST(PortSpecError, MemifPathTooLong) {
    EXPECT_TRUE(contains(parse_error("memif:/" + std::string(107, 'x')), "longer than 107"));
}

TEST(PortSpecError, RingNameTooLongOrInvalid) {
    EXPECT_TRUE(contains(parse_error("ring:" + std::string(18, 'r')), "longer than 17"));
    EXPECT_EQ(parse_ok("ring:" + std::string(17, 'r')).name.size(), 17U);
    EXPECT_TRUE(contains(parse_error("ring:a.b"), "letters, digits"));
}

TEST(PortSpecError, MalformedPciAddresses) {
    for (std::string_view text : {"pci:0000:01:00", "pci:01:00.8", "pci:01:20.0", "pci:0000-01:00.0", "pci:00000:01:00.0",
                                  "pci:0g:00.0", "pci:1:00.0"}) {
        auto e = parse_error(text);
        EXPECT_TRUE(contains(e, "is not a PCI address")) << text << ": " << e;
    }
}

TEST(PortSpecError, MessageNamesTheKind) { EXPECT_TRUE(parse_error("tap:").starts_with("tap port: ")); }

TEST(VdevArgument, Tap) {
    EXPECT_EQ(vdev_argument(parse_ok("tap:fptcp0"), 0), "net_tap0,iface=fptcp0,mac=fixed");
    EXPECT_EQ(ethdev_name(parse_ok("tap:fptcp0"), 0), "net_tap0");
}

TEST(VdevArgument, AfPacketWithQueuePairs) {
    auto s = parse_ok("af_packet:veth0");
    EXPECT_EQ(vdev_argument(s, 1), "net_af_packet1,iface=veth0,qpairs=1,blocksz=4096,framesz=2048,framecnt=4096,qdisc_bypass=0");
    EXPECT_TRUE(contains(vdev_argument(s, 1, 4), ",qpairs=4,"));
    EXPECT_EQ(ethdev_name(s, 1), "net_af_packet1");
}

TEST(VdevArgument, MemifServerAndClient) {
    EXPECT_EQ(vdev_argument(parse_ok("memif:/tmp/m.sock,role=server"), 2),
              "net_memif2,socket=/tmp/m.sock,socket-abstract=no,id=0,role=server,zero-copy=no,bsize=2048,rsize=10");
    EXPECT_TRUE(contains(vdev_argument(parse_ok("memif:/tmp/m.sock"), 0), ",role=client,"));
    EXPECT_EQ(ethdev_name(parse_ok("memif:/tmp/m.sock"), 3), "net_memif3");
}

TEST(VdevArgument, RingAndPciAreNotVdevs) {
    EXPECT_EQ(vdev_argument(parse_ok("ring:r"), 0), "");
    EXPECT_EQ(vdev_argument(parse_ok("pci:01:00.0"), 0), "");
    EXPECT_TRUE(eal_port_arguments(parse_ok("ring:r"), 0).empty());
    EXPECT_EQ(eal_port_arguments(parse_ok("pci:01:00.0"), 0), (std::vector<std::string>{"-a", "0000:01:00.0"}));
    EXPECT_EQ(eal_port_arguments(parse_ok("tap:t"), 4), (std::vector<std::string>{"--vdev", "net_tap4,iface=t,mac=fixed"}));
    EXPECT_EQ(ethdev_name(parse_ok("ring:r"), 0, 1), "net_ring_r_1");
    EXPECT_EQ(ethdev_name(parse_ok("pci:01:00.0"), 0), "0000:01:00.0");
}

bool has(const std::vector<std::string>& args, std::string_view arg) {
    return std::find(args.begin(), args.end(), arg) != args.end();
}

TEST(EalArguments, WithoutHugepagesUsesNoHugeAndMemory) {
    eal_settings s;
    s.memory_mb = 256;
    s.file_prefix = "t1";
    auto args = eal_arguments(s, "prog", false);
    EXPECT_EQ(args.front(), "prog");
    EXPECT_TRUE(has(args, "--no-huge"));
    auto m = std::find(args.begin(), args.end(), "-m");
    ASSERT_NE(m, args.end());
    EXPECT_EQ(*(m + 1), "256");
    EXPECT_TRUE(has(args, "--file-prefix=t1"));
    EXPECT_TRUE(has(args, "--no-pci"));
    EXPECT_TRUE(has(args, "--no-shconf"));
    EXPECT_FALSE(has(args, "--in-memory"));  // refused together with --no-huge
}

TEST(EalArguments, WithHugepagesHasNoNoHuge) {
    eal_settings s;
    auto args = eal_arguments(s, "prog", true);
    EXPECT_FALSE(has(args, "--no-huge"));
    EXPECT_FALSE(has(args, "-m"));
    EXPECT_TRUE(has(args, "--in-memory"));
}

TEST(EalArguments, DefaultFilePrefixCarriesThePid) {
    auto args = eal_arguments(eal_settings{}, "prog", false);
    EXPECT_TRUE(has(args, "--file-prefix=fptcp-" + std::to_string(::getpid())));
}

TEST(EalArguments, PciPortReplacesNoPciByAllowList) {
    eal_settings s;
    s.ports = {parse_ok("pci:3b:00.0")};
    auto args = eal_arguments(s, "prog", true);
    EXPECT_FALSE(has(args, "--no-pci"));
    auto a = std::find(args.begin(), args.end(), "-a");
    ASSERT_NE(a, args.end());
    EXPECT_EQ(*(a + 1), "0000:3b:00.0");
}

TEST(EalArguments, PortsBecomeVdevsInOrderAndPassthroughComesLast) {
    eal_settings s;
    s.ports = {parse_ok("tap:t0"), parse_ok("ring:r"), parse_ok("af_packet:v0")};
    s.lcores = "0-1";
    s.queues = 2;
    s.passthrough = "  --log-level=*:debug   --no-telemetry ";
    auto args = eal_arguments(s, "prog", false);
    EXPECT_TRUE(has(args, "net_tap0,iface=t0,mac=fixed"));
    EXPECT_TRUE(has(args, vdev_argument(s.ports[2], 2, 2)));
    auto l = std::find(args.begin(), args.end(), "-l");
    ASSERT_NE(l, args.end());
    EXPECT_EQ(*(l + 1), "0-1");
    ASSERT_GE(args.size(), 2U);
    EXPECT_EQ(args[args.size() - 2], "--log-level=*:debug");
    EXPECT_EQ(args.back(), "--no-telemetry");
    // The user's log level also precedes ours: DPDK takes the first match for
    // log types that driver plugins register later.
    auto first = std::find(args.begin(), args.end(), "--log-level=*:debug");
    auto ours = std::find(args.begin(), args.end(), "--log-level=*:error");
    EXPECT_LT(first, ours);
}

TEST(EalArguments, QuietLogLevelByDefault) {
    auto args = eal_arguments(eal_settings{}, "prog", false);
    EXPECT_TRUE(has(args, "--log-level=lib.eal:error"));
}

TEST(StartEal, DuplicatePortIsRefusedBeforeTheEal) {
    eal_settings s;
    s.ports = {parse_ok("memif:/tmp/x.sock"), parse_ok("memif:/tmp/x.sock,role=server")};
    EXPECT_TRUE(contains(start_eal(s, "prog"), "given twice"));
}

TEST(PortPrivileges, RingAndMemifNeedNothing) {
    EXPECT_EQ(check_port_privileges({parse_ok("ring:r"), parse_ok("memif:/tmp/s")}), "");
}

// Runs check_port_privileges for `spec` as user nobody in a child process.
std::string privileges_as_nobody(const port_spec& spec) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) {
        return "pipe failed";
    }
    pid_t child = ::fork();
    if (child == 0) {
        ::close(pipe_fds[0]);
        if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
            ::_exit(2);
        }
        auto error = check_port_privileges({spec});
        auto written = ::write(pipe_fds[1], error.data(), error.size());
        ::_exit(written == static_cast<ssize_t>(error.size()) ? 0 : 1);
    }
    ::close(pipe_fds[1]);
    std::string out;
    char buf[256];
    for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof(buf))) > 0;) {
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return out;
}

TEST(PortPrivileges, UnprivilegedUserGetsOneClearLine) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to switch to user nobody";
    }
    auto tap = privileges_as_nobody(parse_ok("tap:t0"));
    EXPECT_TRUE(contains(tap, "needs root (CAP_NET_ADMIN)")) << tap;
    EXPECT_TRUE(contains(privileges_as_nobody(parse_ok("af_packet:v0")), "CAP_NET_RAW"));
    EXPECT_TRUE(contains(privileges_as_nobody(parse_ok("pci:01:00.0")), "needs root"));
    EXPECT_EQ(privileges_as_nobody(parse_ok("ring:r")), "");
}

TEST(PortPrivileges, RootMayOpenEveryKind) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "not root";
    }
    EXPECT_EQ(check_port_privileges({parse_ok("tap:t"), parse_ok("af_packet:v"), parse_ok("pci:01:00.0")}), "");
}

TEST(PortTargets, WhatExistsPasses) {
    EXPECT_EQ(check_port_targets({parse_ok("af_packet:lo"), parse_ok("memif:/tmp/fptcp-memif.sock"),
                                  parse_ok("memif:relative.sock"), parse_ok("ring:r"), parse_ok("tap:fptcp-new0")}),
              "");
}

TEST(PortTargets, WhatIsMissingGetsOneLineNamingIt) {
    EXPECT_EQ(check_port_targets({parse_ok("af_packet:fptcp-nx0")}),
              "port af_packet:fptcp-nx0: no network interface 'fptcp-nx0' (ip link lists them)");
    EXPECT_EQ(check_port_targets({parse_ok("memif:/nonexistent-fptcp/s,role=server")}),
              "port memif:/nonexistent-fptcp/s,role=server: the socket's directory '/nonexistent-fptcp' does not exist");
    EXPECT_EQ(check_port_targets({parse_ok("pci:ffff:ff:1f.7")}),
              "port pci:ffff:ff:1f.7: no PCI device ffff:ff:1f.7 (lspci -D lists them)");
    EXPECT_EQ(check_port_targets({parse_ok("tap:lo")}), "port tap:lo: 'lo' exists and is not a TAP interface");
    // The first missing one, in order.
    EXPECT_TRUE(contains(check_port_targets({parse_ok("af_packet:lo"), parse_ok("af_packet:fptcp-nx1")}), "fptcp-nx1"));
}

// A TAP opened on /dev/net/tun by this process, like a running fptcp's;
// `persist` makes it outlive the descriptor, like `ip tuntap add`.
class own_tap {
public:
    own_tap(const char* name, bool persist) : _fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC)) {
        ifreq ifr{};
        std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        _ok = _fd >= 0 && ::ioctl(_fd, TUNSETIFF, &ifr) == 0 && (!persist || ::ioctl(_fd, TUNSETPERSIST, 1) == 0);
    }
    ~own_tap() {
        if (_fd >= 0) {
            ::ioctl(_fd, TUNSETPERSIST, 0);
            ::close(_fd);
        }
    }
    own_tap(const own_tap&) = delete;
    own_tap& operator=(const own_tap&) = delete;
    bool ok() const { return _ok; }

private:
    int _fd;
    bool _ok = false;
};

TEST(PortTargets, ATapAnotherProcessHoldsIsRefusedAPersistentOneIsNot) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to create a TAP";
    }
    std::string name = "fptcp-tt" + std::to_string(::getpid() % 100000);
    {
        own_tap held(name.c_str(), false);
        ASSERT_TRUE(held.ok());
        EXPECT_EQ(check_port_targets({parse_ok("tap:" + name)}),
                  "port tap:" + name + ": the TAP interface '" + name + "' is in use by another process (another fptcp-server?)");
    }
    {
        own_tap persistent(name.c_str(), true);
        ASSERT_TRUE(persistent.ok());
        EXPECT_EQ(check_port_targets({parse_ok("tap:" + name)}), "");
    }
    EXPECT_EQ(check_port_targets({parse_ok("tap:" + name)}), "") << "gone with its descriptor";
}

TEST(PortSpec, EveryKindHasItsEntry) {
    for (kind k : {kind::tap, kind::af_packet, kind::memif, kind::ring, kind::pci}) {
        const port_kind& entry = kind_of(k);
        EXPECT_EQ(entry.type, k);
        EXPECT_EQ(kind_named(entry.prefix), &entry) << entry.prefix;
    }
    EXPECT_EQ(kind_named("foo"), nullptr);
}

}  // namespace
}  // namespace fptcp::port
