package dev.overlay.gateway.port;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Netty event loops for UDP ports: NIO by preference. Not epoll, for two reasons found with Netty
 * 4.2: its EpollDatagramChannel.recvmsg sets the writer index to the datagram length, ignoring where
 * the receive allocator put it, which breaks the headroom layout (HeadroomRecvAllocator); and Maven
 * Central has no linux-x86_64 native library for 4.2.19 or 4.2.20. NIO reads at the writer index,
 * so frames arrive with their headroom and no copy. An epoll group passed in still works: its
 * channels receive at index 0 and each frame is copied once into a buffer with headroom.
 */
final class EventLoopGroups {

    private EventLoopGroups() {
    }

    /** A group whose threads the port can join on close, so none outlives it. */
    record Owned(IoEventLoopGroup group, List<Thread> threads) {
        void shutdown() {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
            for (Thread thread : threads) {
                boolean interrupted = false;
                while (thread.isAlive()) {
                    try {
                        thread.join();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    static IoEventLoopGroup create(int threads, ThreadFactory factory) {
        return new MultiThreadIoEventLoopGroup(threads, factory, NioIoHandler.newFactory());
    }

    static Owned owned(int threadCount, String threadName) {
        List<Thread> threads = new CopyOnWriteArrayList<>();
        ThreadFactory factory = runnable -> {
            Thread thread = PacketThreads.daemon(threads.isEmpty() ? threadName : threadName + "/" + threads.size(),
                    runnable);
            threads.add(thread);
            return thread;
        };
        return new Owned(create(threadCount, factory), threads);
    }

    /** Datagram channels of the kind {@code group} drives, of the address family of {@code local}. */
    static ChannelFactory<DatagramChannel> datagramChannels(EventLoopGroup group, InetAddress local) {
        SocketProtocolFamily family = local instanceof Inet4Address ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        if (isEpoll(group)) {
            return () -> new EpollDatagramChannel(family);
        }
        if (group instanceof IoEventLoopGroup io && io.isIoType(NioIoHandler.class)) {
            return () -> new NioDatagramChannel(family);
        }
        throw new IllegalArgumentException("group: " + group.getClass().getName()
                + " (expected: a NIO or epoll IoEventLoopGroup)");
    }

    static boolean isEpoll(EventLoopGroup group) {
        return group instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class);
    }

    /** Same port and same address, an IPv4-mapped IPv6 source matching its IPv4 form. */
    static boolean sameEndpoint(InetSocketAddress sender, InetSocketAddress expected) {
        if (sender == null || sender.getPort() != expected.getPort()) {
            return false;
        }
        return sender.getAddress().equals(expected.getAddress())
                || java.util.Arrays.equals(unmapped(sender.getAddress()), unmapped(expected.getAddress()));
    }

    private static byte[] unmapped(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 16) {
            for (int i = 0; i < 10; i++) {
                if (bytes[i] != 0) {
                    return bytes;
                }
            }
            if (bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff) {
                return java.util.Arrays.copyOfRange(bytes, 12, 16);
            }
        }
        return bytes;
    }

    static String hostPort(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    static String describeBindFailure(Throwable cause) {
        String message = cause == null || cause.getMessage() == null ? String.valueOf(cause) : cause.getMessage();
        String lower = message.toLowerCase(Locale.ROOT);
        if (lower.contains("address already in use")) {
            return "address in use";
        }
        if (lower.contains("cannot assign requested address")) {
            return "address not available on this host";
        }
        if (lower.contains("permission denied")) {
            return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)";
        }
        return cause instanceof BindException ? message : cause.getClass().getSimpleName() + ": " + message;
    }
}
