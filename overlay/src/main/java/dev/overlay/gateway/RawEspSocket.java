package dev.overlay.gateway;

import dev.overlay.gateway.port.PacketThreads;
import dev.overlay.gateway.port.PortException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * ESP as IP protocol 50 (RFC 4303, {@code esp-transport: ip}) through a raw socket opened with
 * FFM: {@code socket(AF_INET[6], SOCK_RAW, IPPROTO_ESP)}, bound to the gateway's address so it
 * only sees ESP addressed to it. Needs CAP_NET_RAW.
 *
 * <p>Without IP_HDRINCL the kernel writes the IP header on send, DF included as
 * {@code underlay-fragmentation} asks ({@link FragmentationOptions}), and reassembles fragments
 * before the socket sees them. On receive an IPv4 raw socket
 * delivers the IP header in front of ESP (raw(7)), which is skipped here by its IHL; an IPv6 one
 * delivers the payload alone (RFC 3542 section 3). One reader thread blocks in recvfrom with a
 * 200 ms timeout so that it notices a stop; the workers send with sendto, which is thread-safe.
 */
final class RawEspSocket implements AutoCloseable {
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_RAW = 3;
    private static final int IPPROTO_ESP = 50;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_RCVBUF = 8;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int EPERM = 1;
    private static final int EACCES = 13;
    private static final int SOCKADDR_IN6 = 28;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKET = downcall("socket",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = downcall("bind",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETSOCKOPT = downcall("setsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle RECVFROM = downcall("recvfrom", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.ADDRESS));
    private static final MethodHandle SENDTO = downcall("sendto", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final int fd;
    private final boolean ipv6;
    private final ByteBufAllocator alloc;
    private final int maxDatagram;
    private final Pipeline pipeline;
    private final Thread reader;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    private volatile boolean reading = true;
    private volatile boolean closed;

    /** Per sending thread: a sockaddr and the errno slot, so a send allocates nothing native. */
    private static final class Scratch {
        final MemorySegment sockaddr = Arena.ofAuto().allocate(SOCKADDR_IN6, 4);
        final MemorySegment state = Arena.ofAuto().allocate(CALL_STATE);
    }

    private RawEspSocket(int fd, boolean ipv6, ByteBufAllocator alloc, int maxDatagram, Pipeline pipeline, String threadName) {
        this.fd = fd;
        this.ipv6 = ipv6;
        this.alloc = alloc;
        this.maxDatagram = maxDatagram;
        this.pipeline = pipeline;
        this.reader = PacketThreads.of(threadName, this::readLoop);
    }

    /** Opens, binds and starts reading; a failure is one sentence naming the cause. */
    static RawEspSocket open(InetAddress local, ByteBufAllocator alloc, int maxDatagram, Pipeline pipeline,
                             String threadName, List<FragmentationOptions.Option> fragmentation) throws PortException {
        boolean v6 = local instanceof Inet6Address;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) SOCKET.invokeExact(state, v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_ESP);
            if (fd < 0) {
                int errno = (int) ERRNO.get(state, 0L);
                throw new PortException("esp-transport ip: cannot open a raw IP protocol 50 socket: "
                        + (errno == EPERM || errno == EACCES ? "permission denied (needs CAP_NET_RAW; run as root)"
                        : "errno " + errno));
            }
            MemorySegment addr = arena.allocate(SOCKADDR_IN6, 4);
            int len = sockaddr(addr, local.getAddress());
            if ((int) BIND.invokeExact(state, fd, addr, len) < 0) {
                int errno = (int) ERRNO.get(state, 0L);
                int ignored = (int) CLOSE.invokeExact(state, fd);
                throw new PortException("esp-transport ip: cannot bind the raw ESP socket to "
                        + local.getHostAddress() + ": errno " + errno + (errno == 99 ? " (address not on this host)" : ""));
            }
            MemorySegment timeout = arena.allocate(16, 8);
            timeout.set(ValueLayout.JAVA_LONG, 0, 0);
            timeout.set(ValueLayout.JAVA_LONG, 8, 200_000);
            int ignored = (int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16);
            MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
            size.set(ValueLayout.JAVA_INT, 0, 4 << 20);
            ignored = (int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_RCVBUF, size, 4);
            for (FragmentationOptions.Option o : fragmentation) {
                size.set(ValueLayout.JAVA_INT, 0, o.value());
                if ((int) SETSOCKOPT.invokeExact(state, fd, o.level(), o.name(), size, 4) < 0) {
                    int errno = (int) ERRNO.get(state, 0L);
                    ignored = (int) CLOSE.invokeExact(state, fd);
                    throw new PortException("esp-transport ip: cannot set underlay-fragmentation on the raw ESP socket"
                            + " (setsockopt " + o.level() + "/" + o.name() + "): errno " + errno);
                }
            }
            RawEspSocket s = new RawEspSocket(fd, v6, alloc, maxDatagram, pipeline, threadName);
            s.reader.start();
            return s;
        } catch (PortException e) {
            throw e;
        } catch (Throwable t) {
            throw new PortException("esp-transport ip: cannot open a raw IP protocol 50 socket: " + t, t);
        }
    }

    /** Writes sockaddr_in or sockaddr_in6 for {@code address} (port 0: raw sockets have none); returns its length. */
    private static int sockaddr(MemorySegment s, byte[] address) {
        s.fill((byte) 0);
        if (address.length == 4) {
            s.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            MemorySegment.copy(address, 0, s, ValueLayout.JAVA_BYTE, 4, 4);
            return 16;
        }
        s.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET6);
        MemorySegment.copy(address, 0, s, ValueLayout.JAVA_BYTE, 8, 16);
        return SOCKADDR_IN6;
    }

    /** Worker: sends one ESP packet (its readable bytes) to {@code to}; takes ownership. */
    boolean send(ByteBuf packet, InetAddress to) {
        try {
            if (closed) {
                return false;
            }
            if (!packet.isDirect()) {
                // Native calls take native memory only; port frames normally are pooled direct buffers.
                ByteBuf direct = alloc.directBuffer(packet.readableBytes()).writeBytes(packet);
                packet.release();
                packet = direct;
            }
            Scratch s = scratch.get();
            int len = sockaddr(s.sockaddr, to.getAddress());
            int n = packet.readableBytes();
            MemorySegment data = segment(packet, packet.readerIndex(), n);
            long sent = (long) SENDTO.invokeExact(s.state, fd, data, (long) n, 0, s.sockaddr, len);
            return sent == n;
        } catch (Throwable t) {
            return false;
        } finally {
            packet.release();
        }
    }

    private void readLoop() {
        MemorySegment from = Arena.ofAuto().allocate(SOCKADDR_IN6, 4);
        MemorySegment fromLen = Arena.ofAuto().allocate(ValueLayout.JAVA_INT);
        MemorySegment state = Arena.ofAuto().allocate(CALL_STATE);
        while (reading && !closed) {
            ByteBuf buf = alloc.directBuffer(maxDatagram);
            boolean handed = false;
            try {
                fromLen.set(ValueLayout.JAVA_INT, 0, SOCKADDR_IN6);
                MemorySegment data = segment(buf, 0, maxDatagram);
                long n = (long) RECVFROM.invokeExact(state, fd, data, (long) maxDatagram, 0, from, fromLen);
                if (n < 0) {
                    int errno = (int) ERRNO.get(state, 0L);
                    if (errno != EAGAIN && errno != EINTR && !closed) {
                        Thread.sleep(10); // a persistent error must not spin a core
                    }
                    continue;
                }
                buf.writerIndex((int) n);
                if (!ipv6) {
                    // raw(7): an IPv4 raw socket receives the IP header too.
                    if (n < 20) {
                        continue;
                    }
                    int ihl = (buf.getUnsignedByte(0) & 0x0F) * 4;
                    if (ihl < 20 || ihl > n) {
                        continue;
                    }
                    buf.readerIndex(ihl);
                }
                InetSocketAddress sender = sender(from);
                handed = true;
                pipeline.receiveEsp(buf, sender, 0);
            } catch (InterruptedException e) {
                return;
            } catch (Throwable t) {
                if (!closed) {
                    EventLog.LOGGER.warning("raw ESP socket reader: " + t);
                }
            } finally {
                if (!handed) {
                    buf.release();
                }
            }
        }
    }

    private static InetSocketAddress sender(MemorySegment from) throws UnknownHostException {
        short family = from.get(ValueLayout.JAVA_SHORT, 0);
        byte[] a = family == AF_INET6 ? new byte[16] : new byte[4];
        MemorySegment.copy(from, ValueLayout.JAVA_BYTE, family == AF_INET6 ? 8 : 4, a, 0, a.length);
        return new InetSocketAddress(InetAddress.getByAddress(a), 0);
    }

    /** The native memory of {@code buf} from {@code index}: direct buffers only (the allocator's pooled direct ones). */
    @SuppressWarnings("restricted") // the buffer owns that memory and outlives the call
    private static MemorySegment segment(ByteBuf buf, int index, int length) {
        if (buf.hasMemoryAddress()) {
            return MemorySegment.ofAddress(buf.memoryAddress() + index).reinterpret(length);
        }
        return MemorySegment.ofBuffer(buf.nioBuffer(index, length));
    }

    void stopReading() {
        reading = false;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        reading = false;
        closed = true;
        try {
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(arena.allocate(CALL_STATE), fd);
        } catch (Throwable t) {
            EventLog.LOGGER.warning("raw ESP socket close: " + t);
        }
    }

    @SuppressWarnings("restricted") // native access is enabled (bin/overlay, the shaded jar's manifest)
    private static MethodHandle downcall(String name, FunctionDescriptor fd) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(symbol, fd, Linker.Option.captureCallState("errno"));
    }
}
