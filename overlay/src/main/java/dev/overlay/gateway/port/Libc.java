package dev.overlay.gateway.port;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * The few libc calls the TAP and pcap ports make, through FFM (java.lang.foreign), each returning
 * its result with errno captured by the linker (errno read after a Java call could belong to the
 * JVM).
 *
 * <p>Constants are Linux x86_64 and aarch64 ({@code <fcntl.h>}, {@code <linux/if_tun.h>},
 * {@code <linux/sockios.h>}, {@code <asm-generic/errno-base.h>}, {@code <asm-generic/errno.h>},
 * {@code <asm-generic/socket.h>}); both share these values.
 */
final class Libc {
    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    static final int AF_INET = 2;
    static final int AF_PACKET = 17;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_RAW = 3;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    /** As SO_SNDBUF and SO_RCVBUF, past net.core.wmem_max and rmem_max; needs CAP_NET_ADMIN. */
    static final int SO_SNDBUFFORCE = 32;
    static final int SO_RCVBUFFORCE = 33;
    /** recvmsg(2) flags: the datagram was longer than the buffer; and don't block. */
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;
    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;

    static final short POLLIN = 0x1;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int EBADFD = 77;
    static final int EMSGSIZE = 90;
    static final int ENOPROTOOPT = 92;
    static final int ENETDOWN = 100;
    static final int ENOBUFS = 105;

    /** {@code _IOW('T', 202, int)}: attach this fd to the TUN/TAP device named in the ifreq. */
    static final long TUNSETIFF = 0x400454caL;
    /** {@code _IOW('T', 208, unsigned int)}: the offloads (TUN_F_*) the reader of this device handles. */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final int TUN_F_TSO6 = 0x04;
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCGIFMTU = 0x8921;

    static final short IFF_UP = 0x1;
    static final short IFF_TAP = 0x0002;
    static final short IFF_MULTI_QUEUE = 0x0100;
    static final short IFF_NO_PI = 0x1000;
    /** Each read and write starts with a {@code struct virtio_net_hdr} (10 bytes): see {@link VirtioNetHeader}. */
    static final short IFF_VNET_HDR = 0x4000;

    /** {@code struct ifreq}: char ifr_name[IFNAMSIZ] then a 24-byte union whose first member is short flags. */
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;
    static final int IFREQ_FLAGS = 16;
    /** Where SIOCGIFMTU leaves the MTU (int ifru_mtu, the same union). */
    static final int IFREQ_MTU = 16;

    /** {@code struct pollfd}: int fd; short events; short revents. */
    static final int POLLFD_SIZE = 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = errnoCall("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = errnoCall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = errnoCall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = errnoCall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITEV = errnoCall("writev", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle IOCTL = errnoCall("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SOCKET = errnoCall("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle POLL = errnoCall("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EVENTFD = errnoCall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = errnoCall("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = errnoCall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = errnoCall("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle RECVMSG = errnoCall("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle IF_NAMETOINDEX = errnoCall("if_nametoindex", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    @SuppressWarnings("restricted") // as every downcall here: native access is enabled (bin/overlay, the shaded jar's manifest)
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LIBC.find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    /** One capture segment per thread: the linker writes errno there during each call. */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private Libc() {
    }

    @SuppressWarnings("restricted")
    private static MethodHandle errnoCall(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = ERRNO_OPTION;
        System.arraycopy(extra, 0, options, 1, extra.length);
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** errno of this thread's last call through this class. */
    static int errno() {
        return (int) ERRNO.get(STATE.get(), 0L);
    }

    /** libc's message, lower-cased as Linux tools print it after a colon ("device or resource busy"). */
    @SuppressWarnings("restricted") // strerror returns a NUL-terminated string of unknown length
    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            String message = text.reinterpret(256).getString(0);
            return message.isEmpty() ? "errno " + errno
                    : message.substring(0, 1).toLowerCase(Locale.ROOT) + message.substring(1);
        } catch (Throwable e) {
            return "errno " + errno;
        }
    }

    static int open(MemorySegment path, int flags) {
        try {
            return (int) OPEN.invokeExact(STATE.get(), path, flags);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(STATE.get(), fd);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code read(2)} into native memory at {@code address}; the caller keeps that memory alive. */
    static long read(int fd, long address, long count) {
        try {
            return (long) READ.invokeExact(STATE.get(), fd, MemorySegment.ofAddress(address), count);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** writev(2) of {@code count} {@code struct iovec} (base, length: 16 bytes each) at {@code iov}. */
    static long writev(int fd, long iov, int count) {
        try {
            return (long) WRITEV.invokeExact(STATE.get(), fd, MemorySegment.ofAddress(iov), count);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static long write(int fd, long address, long count) {
        try {
            return (long) WRITE.invokeExact(STATE.get(), fd, MemorySegment.ofAddress(address), count);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static int ioctl(int fd, long request, MemorySegment argument) {
        try {
            return (int) IOCTL.invokeExact(STATE.get(), fd, request, argument);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code ioctl(fd, request, value)} for requests whose argument is a number, not a pointer. */
    static int ioctl(int fd, long request, long value) {
        return ioctl(fd, request, MemorySegment.ofAddress(value));
    }

    static int socket(int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(STATE.get(), domain, type, protocol);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static int poll(MemorySegment fds, long count, int timeoutMillis) {
        try {
            return (int) POLL.invokeExact(STATE.get(), fds, count, timeoutMillis);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static int eventfd(int initial, int flags) {
        try {
            return (int) EVENTFD.invokeExact(STATE.get(), initial, flags);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Adds 1 to eventfd {@code fd}, waking whoever polls it. */
    static void eventfdSignal(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            write(fd, one.address(), 8);
        }
    }

    static int bind(int fd, MemorySegment address, int length) {
        try {
            return (int) BIND.invokeExact(STATE.get(), fd, address, length);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static int setsockopt(int fd, int level, int name, MemorySegment value, int length) {
        try {
            return (int) SETSOCKOPT.invokeExact(STATE.get(), fd, level, name, value, length);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code setsockopt} of an int option. */
    static int setsockopt(int fd, int level, int name, int value) {
        try (Arena arena = Arena.ofConfined()) {
            return setsockopt(fd, level, name, arena.allocateFrom(JAVA_INT, value), 4);
        }
    }

    /** {@code getsockopt} into {@code value}; {@code length} holds its size (an int) and gets the length written. */
    static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment length) {
        try {
            return (int) GETSOCKOPT.invokeExact(STATE.get(), fd, level, name, value, length);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** recvmsg(2) with a {@code struct msghdr} at {@code msghdr}. */
    static long recvmsg(int fd, MemorySegment msghdr, int flags) {
        try {
            return (long) RECVMSG.invokeExact(STATE.get(), fd, msghdr, flags);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** The index of interface {@code name} in this network namespace, 0 (errno ENODEV) when there is none. */
    static int ifNameToIndex(MemorySegment name) {
        try {
            return (int) IF_NAMETOINDEX.invokeExact(STATE.get(), name);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
