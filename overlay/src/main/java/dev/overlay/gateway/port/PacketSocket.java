package dev.overlay.gateway.port;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The AF_PACKET socket of a {@link PcapPort} (packet(7)), opened through FFM: SOCK_RAW with every
 * EtherType (ETH_P_ALL), bound to the one interface, non-blocking, and set up as libpcap sets up a
 * capture plus what a port that forwards needs:
 * <ul>
 * <li>PACKET_VNET_HDR (Linux 2.6.35): each frame read comes after a {@link VirtioNetHeader} that
 *     says whether its checksum is partial and whether it is a GSO super-frame, and each frame
 *     written starts with one, so the port can hand the kernel coalesced TCP trains. Refused, the
 *     port reads without it (one log line) and finishes checksums and segments by itself.
 * <li>PACKET_AUXDATA: the 802.1Q tag the kernel moved out of a received frame
 *     (skb_vlan_untag runs before any packet socket sees the frame), put back by the reader, and
 *     TP_STATUS_CSUMNOTREADY, for reading without PACKET_VNET_HDR.
 * <li>PACKET_IGNORE_OUTGOING (Linux 4.20): frames this host sends out of the interface are never
 *     read (the reader also skips sll_pkttype PACKET_OUTGOING, for older kernels); the socket's
 *     own sends never come back to it in any case.
 * <li>PACKET_MR_PROMISC membership: frames to any MAC address, as a bridge port gets them.
 * <li>Receive and send buffers of {@link #BUFFER} bytes (SO_RCVBUFFORCE with CAP_NET_ADMIN, else
 *     SO_RCVBUF up to net.core.rmem_max): room for a burst of 64 KB super-frames.
 * </ul>
 * Every failure to open is one sentence naming the interface and what would fix it.
 *
 * <p>Not used: PACKET_QDISC_BYPASS (veth and most tenant-facing interfaces have no qdisc to skip;
 * measured no lower send cost per frame); recvmmsg(2) of 16 messages (measured: the reader's CPU
 * per 64-byte frame 1.29-1.58 us against 0.93-1.53 with one recvmsg(2) per frame, 300,000 frames
 * a round, alternated: no gain, and a 67 KB buffer per message); and a PACKET_MMAP ring
 * (TPACKET_V3 hands a block over only when full or timed out, which adds its timeout to every
 * quiet flow's latency; with TSO the reads are one per 64 KB already).
 */
final class PacketSocket {
    private static final Logger LOG = Logger.getLogger(PcapPort.class.getName());

    static final int SOL_PACKET = 263;
    static final int PACKET_ADD_MEMBERSHIP = 1;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_AUXDATA = 8;
    static final int PACKET_VNET_HDR = 15;
    static final int PACKET_IGNORE_OUTGOING = 23;
    static final int PACKET_MR_PROMISC = 1;
    /** sll_pkttype of a frame this host sent. */
    static final int PACKET_OUTGOING = 4;
    static final int ETH_P_ALL = 0x0003;
    /** tpacket_auxdata.tp_status bits. */
    static final int TP_STATUS_CSUMNOTREADY = 1 << 3;
    static final int TP_STATUS_VLAN_VALID = 1 << 4;
    static final int TP_STATUS_VLAN_TPID_VALID = 1 << 6;
    /** {@code struct sockaddr_ll}: family, protocol (big-endian), ifindex, hatype, pkttype, halen, addr[8]. */
    static final int SOCKADDR_LL_SIZE = 20;
    static final int SOCKADDR_LL_PKTTYPE = 10;
    /** Socket buffers asked for: a few dozen 64 KB super-frames. */
    static final int BUFFER = 4 << 20;

    /**
     * {@code -Doverlay.pcap.vnet-hdr=false} reads without PACKET_VNET_HDR, as on a kernel that
     * refuses it: to check that fallback, and as a way out.
     */
    private static final boolean VNET_HDR = !"false".equals(System.getProperty("overlay.pcap.vnet-hdr"));

    final int fd;
    final int ifindex;
    /** The interface's MTU when opened: where the fallback reader cuts TCP super-frames. */
    final int mtu;
    /** Frames are read and written after a virtio header. */
    final boolean vnetHeader;
    /** What the kernel does for this port, for the port-opened log line. */
    final String path;

    private PacketSocket(int fd, int ifindex, int mtu, boolean vnetHeader, String path) {
        this.fd = fd;
        this.ifindex = ifindex;
        this.mtu = mtu;
        this.vnetHeader = vnetHeader;
        this.path = path;
    }

    static PacketSocket open(String interfaceName) throws PortException {
        return open(interfaceName, VNET_HDR);
    }

    /** Opens and binds the socket of {@code interfaceName}; {@code vnetHeader} false reads without PACKET_VNET_HDR. */
    static PacketSocket open(String interfaceName, boolean vnetHeader) throws PortException {
        String prefix = "pcap " + interfaceName + ": ";
        byte[] name = interfaceName.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length >= Libc.IFNAMSIZ || interfaceName.contains("/")) {
            throw new PortException(prefix + "no such interface");
        }
        // Protocol 0: the socket receives nothing until bind names ETH_P_ALL and the interface, so
        // no frame of another interface is ever queued on it.
        int fd = Libc.socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            int errno = Libc.errno();
            throw new PortException(prefix + (errno == Libc.EPERM || errno == Libc.EACCES
                    ? "permission denied (needs CAP_NET_RAW)" : "cannot open a packet socket: " + Libc.strerror(errno)));
        }
        boolean ok = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifreq = arena.allocate(Libc.IFREQ_SIZE, 8);
            MemorySegment.copy(name, 0, ifreq, ValueLayout.JAVA_BYTE, 0, name.length);
            int ifindex = Libc.ifNameToIndex(ifreq);
            if (ifindex == 0) {
                throw new PortException(prefix + "no such interface");
            }
            if (Libc.ioctl(fd, Libc.SIOCGIFFLAGS, ifreq) < 0) {
                throw new PortException(prefix + "cannot read the link flags: " + Libc.strerror(Libc.errno()));
            }
            if ((ifreq.get(ValueLayout.JAVA_SHORT, Libc.IFREQ_FLAGS) & Libc.IFF_UP) == 0) {
                throw new PortException(prefix + "the interface is down (ip link set dev IF up)");
            }
            if (Libc.ioctl(fd, Libc.SIOCGIFMTU, ifreq) < 0) {
                throw new PortException(prefix + "cannot read the MTU: " + Libc.strerror(Libc.errno()));
            }
            int mtu = ifreq.get(ValueLayout.JAVA_INT, Libc.IFREQ_MTU);
            List<String> path = new ArrayList<>(List.of("af-packet"));
            if (vnetHeader && Libc.setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, 1) < 0) {
                LOG.warning(prefix + "the kernel refused PACKET_VNET_HDR (" + Libc.strerror(Libc.errno())
                        + "): reading without it, partial checksums completed whole and TCP super-frames cut at the MTU ("
                        + mtu + ") in software, UDP super-frames dropped (rxErrors), one frame per write");
                vnetHeader = false;
            }
            path.add(vnetHeader ? "vnet-hdr" : "auxdata-checksums");
            option(fd, PACKET_AUXDATA, 1, prefix, "PACKET_AUXDATA");
            if (Libc.setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) == 0) {
                path.add("ignore-outgoing");
            } else {
                LOG.info(prefix + "no PACKET_IGNORE_OUTGOING (Linux 4.20+): outgoing frames are read and skipped by their packet type");
            }
            buffer(fd, Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF);
            buffer(fd, Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF);
            MemorySegment mreq = arena.allocate(16, 4); // struct packet_mreq
            mreq.set(ValueLayout.JAVA_INT, 0, ifindex);
            mreq.set(ValueLayout.JAVA_SHORT, 4, (short) PACKET_MR_PROMISC);
            if (Libc.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, 16) < 0) {
                throw new PortException(prefix + "cannot make the interface promiscuous: " + Libc.strerror(Libc.errno()));
            }
            path.add("promiscuous");
            MemorySegment sll = arena.allocate(SOCKADDR_LL_SIZE, 4);
            sll.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_PACKET);
            sll.set(ValueLayout.JAVA_BYTE, 2, (byte) (ETH_P_ALL >> 8)); // network byte order
            sll.set(ValueLayout.JAVA_BYTE, 3, (byte) ETH_P_ALL);
            sll.set(ValueLayout.JAVA_INT, 4, ifindex);
            if (Libc.bind(fd, sll, SOCKADDR_LL_SIZE) < 0) {
                int errno = Libc.errno();
                throw new PortException(prefix + (errno == Libc.ENODEV || errno == Libc.ENXIO
                        ? "no such interface" : "cannot bind to the interface: " + Libc.strerror(errno)));
            }
            ok = true;
            return new PacketSocket(fd, ifindex, mtu, vnetHeader, String.join(" ", path));
        } finally {
            if (!ok) {
                Libc.close(fd);
            }
        }
    }

    private static void option(int fd, int option, int value, String prefix, String what) throws PortException {
        if (Libc.setsockopt(fd, SOL_PACKET, option, value) < 0) {
            throw new PortException(prefix + "cannot capture: " + what + ": " + Libc.strerror(Libc.errno()));
        }
    }

    /** {@link #BUFFER} bytes: past the sysctl limit where the process may (CAP_NET_ADMIN), else up to it. */
    private static void buffer(int fd, int force, int plain) {
        if (Libc.setsockopt(fd, Libc.SOL_SOCKET, force, BUFFER) < 0) {
            Libc.setsockopt(fd, Libc.SOL_SOCKET, plain, BUFFER);
        }
    }
}
