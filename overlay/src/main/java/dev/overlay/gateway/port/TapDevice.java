package dev.overlay.gateway.port;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Making a TAP device: open /dev/net/tun, TUNSETIFF with a {@code struct ifreq} (IFF_VNET_HDR: each
 * frame preceded by a {@link VirtioNetHeader}), TUNSETOFFLOAD (checksum and TCP segmentation
 * offloads: the device takes 64 KB TCP sends whole), and the link set up
 * with SIOCSIFFLAGS on an AF_INET socket (ip link set dev X up). Addresses, bridges and MTU stay
 * the operator's. Every failure becomes one sentence naming the device and what would fix it.
 */
final class TapDevice {
    private static final String TUN = "/dev/net/tun";
    /**
     * {@code -Doverlay.tap.offload=false} offers the kernel no offload, so it segments and
     * checksums every frame itself before the read, as before offloads: for measuring what they
     * bring (bin/bench-e2e with OVERLAY_JAVA_OPTS) and as a way out should a kernel misbehave.
     */
    static final boolean OFFLOADS = !"false".equals(System.getProperty("overlay.tap.offload"));

    private TapDevice() {
    }

    /** The kernel's dev_valid_name: 1 to 15 bytes, not "." or "..", no '/', ':' or whitespace. */
    static void checkName(String device) throws PortException {
        int bytes = device.getBytes(StandardCharsets.UTF_8).length;
        if (bytes >= Libc.IFNAMSIZ) {
            throw new PortException("tap " + device + ": interface name is too long (" + bytes
                    + " bytes, at most " + (Libc.IFNAMSIZ - 1) + ")");
        }
        if (device.isEmpty() || device.equals(".") || device.equals("..")
                || device.chars().anyMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c) || c == 0)) {
            throw new PortException("tap '" + device + "': not a valid interface name");
        }
    }

    /** Opens a queue of {@code device}, creating the device on the first one. Returns the descriptor. */
    static int attach(String device, boolean multiQueue) throws PortException {
        try (Arena arena = Arena.ofConfined()) {
            int fd = Libc.open(arena.allocateFrom(TUN), Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
            if (fd < 0) {
                int errno = Libc.errno();
                throw new PortException("tap " + device + ": cannot open " + TUN + ": " + switch (errno) {
                    case Libc.ENOENT, Libc.ENODEV -> "no such device (load the tun module: modprobe tun)";
                    case Libc.EACCES, Libc.EPERM -> "permission denied (needs CAP_NET_ADMIN)";
                    default -> Libc.strerror(errno);
                });
            }
            short flags = (short) (Libc.IFF_TAP | Libc.IFF_NO_PI | Libc.IFF_VNET_HDR
                    | (multiQueue ? Libc.IFF_MULTI_QUEUE : 0));
            MemorySegment ifreq = ifreq(arena, device);
            ifreq.set(ValueLayout.JAVA_SHORT, Libc.IFREQ_FLAGS, flags);
            if (Libc.ioctl(fd, Libc.TUNSETIFF, ifreq) < 0) {
                int errno = Libc.errno();
                Libc.close(fd);
                throw new PortException("tap " + device + ": " + switch (errno) {
                    case Libc.EPERM, Libc.EACCES -> "permission denied creating the device (needs CAP_NET_ADMIN)";
                    case Libc.EBUSY -> "device busy: another process has it open";
                    case Libc.EINVAL -> "an interface of that name exists and is not a "
                            + (multiQueue ? "multi-queue " : "single-queue ") + "TAP device";
                    default -> "TUNSETIFF: " + Libc.strerror(errno);
                });
            }
            // The kernel may now hand us TCP super-frames (TSO) and partial checksums: the reader
            // segments and completes them (TcpSegmenter), as the paper's software GSO does.
            int offloads = OFFLOADS ? Libc.TUN_F_CSUM | Libc.TUN_F_TSO4 | Libc.TUN_F_TSO6 : 0;
            if (Libc.ioctl(fd, Libc.TUNSETOFFLOAD, offloads) < 0) {
                int errno = Libc.errno();
                Libc.close(fd);
                throw new PortException("tap " + device + ": TUNSETOFFLOAD: " + Libc.strerror(errno));
            }
            return fd;
        }
    }

    /** {@code ip link set dev DEVICE up}: read the flags, add IFF_UP, write them back. */
    static void linkUp(String device) throws PortException {
        int sock = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (sock < 0) {
            throw new PortException("tap " + device + ": cannot bring the link up: socket: " + Libc.strerror(Libc.errno()));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifreq = ifreq(arena, device);
            if (Libc.ioctl(sock, Libc.SIOCGIFFLAGS, ifreq) < 0) {
                throw new PortException("tap " + device + ": cannot read the link flags: " + Libc.strerror(Libc.errno()));
            }
            short flags = ifreq.get(ValueLayout.JAVA_SHORT, Libc.IFREQ_FLAGS);
            ifreq.set(ValueLayout.JAVA_SHORT, Libc.IFREQ_FLAGS, (short) (flags | Libc.IFF_UP));
            if (Libc.ioctl(sock, Libc.SIOCSIFFLAGS, ifreq) < 0) {
                int errno = Libc.errno();
                throw new PortException("tap " + device + ": cannot bring the link up: " + (errno == Libc.EPERM
                        ? "permission denied (needs CAP_NET_ADMIN)" : Libc.strerror(errno)));
            }
        } finally {
            Libc.close(sock);
        }
    }

    private static MemorySegment ifreq(Arena arena, String device) {
        MemorySegment ifreq = arena.allocate(Libc.IFREQ_SIZE, 8); // zeroed: the name is NUL-terminated
        byte[] name = device.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(name, 0, ifreq, ValueLayout.JAVA_BYTE, 0, name.length);
        return ifreq;
    }
}
