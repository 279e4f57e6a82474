package dev.overlay.gateway;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/** How addresses and failures read in logs and messages. */
final class Addresses {
    private Addresses() {}

    /** {@code 127.0.0.1:4500}, {@code [2001:db8::1]:4500}. */
    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** The innermost message, lower-cased at the start: "address already in use". */
    static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int colon = m.lastIndexOf(": ");
        if (m.startsWith("bind(..) failed") && colon >= 0) {
            m = m.substring(colon + 2);
        }
        return m.isEmpty() ? m : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }
}
