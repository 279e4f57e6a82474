package dev.overlay.gateway;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Map;

/**
 * SPI steering in the kernel: a classic BPF program on a SO_REUSEPORT group of UDP sockets (one
 * per worker, bound to esp-port) that picks, for each ESP-in-UDP datagram, the socket of the
 * worker that owns the datagram's SA. The paper's software RPS on the SPI, done by the kernel at
 * socket lookup: the owner reads its own packets, so it decrypts and delivers them on the same
 * thread, with no hand-off and no second wake-up.
 *
 * <p>The program (Linux {@code SO_ATTACH_REUSEPORT_CBPF}, 4.5+; it runs with the packet's data
 * at the UDP payload, so the SPI is the word at offset 0, RFC 3948 2.2):
 *
 * <pre>
 *   ld  [0]                      A = SPI (a datagram under 4 bytes ends the program: socket 0)
 *   jeq #spi_1, 0, 1 ; ja owner_1   one pair per inbound SA (ja: 32-bit reach, unlike jeq's 8)
 *   ...
 *   ret #0xffffffff              not an SA of ours, IKE's zero SPI: out of range, so the
 *                                kernel falls back to its 4-tuple hash
 *   ret #0 ... ret #(workers-1)  the owners
 * </pre>
 *
 * With more inbound SAs than fit in one program (BPF_MAXINSNS, 4096 instructions) none is
 * attached and the kernel's hash spreads the datagrams; owners then receive their SAs' packets
 * through the usual hand-off, correct but slower. A program is replaced whole when the SAs
 * change (a reload); a datagram in flight across the swap may reach the former owner's socket,
 * which hands it on.
 */
final class ReuseportSteering {
    static final int MAX_INSTRUCTIONS = 4096;
    private static final int SOL_SOCKET = 1;
    private static final int SO_ATTACH_REUSEPORT_CBPF = 51;
    private static final int SO_DETACH_REUSEPORT_BPF = 68;
    private static final short LD_W_ABS = 0x20;
    private static final short JMP_JEQ_K = 0x15;
    private static final short JMP_JA = 0x05;
    private static final short RET_K = 0x06;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SETSOCKOPT = LINKER.downcallHandle(
            LINKER.defaultLookup().find("setsockopt").orElseThrow(() -> new IllegalStateException("libc has no setsockopt")),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));

    private ReuseportSteering() {
    }

    /** One cBPF instruction, {@code struct sock_filter}. */
    record Instruction(short code, int jt, int jf, int k) {
    }

    /**
     * The program for {@code owners} (SPI to worker) over {@code workers} sockets, or null when
     * it would not fit in {@link #MAX_INSTRUCTIONS}.
     */
    static Instruction[] program(Map<Integer, Integer> owners, int workers) {
        int m = owners.size();
        int length = 2 + 2 * m + workers;
        if (length > MAX_INSTRUCTIONS) {
            return null;
        }
        Instruction[] p = new Instruction[length];
        p[0] = new Instruction(LD_W_ABS, 0, 0, 0);
        int j = 0;
        for (Map.Entry<Integer, Integer> e : owners.entrySet()) {
            int owner = e.getValue();
            if (owner < 0 || owner >= workers) {
                throw new IllegalArgumentException("owner: " + owner + " (expected: 0 to " + (workers - 1) + ")");
            }
            int at = 1 + 2 * j;
            p[at] = new Instruction(JMP_JEQ_K, 0, 1, e.getKey());
            int target = 2 + 2 * m + owner;
            p[at + 1] = new Instruction(JMP_JA, 0, 0, target - (at + 1) - 1);
            j++;
        }
        p[1 + 2 * m] = new Instruction(RET_K, 0, 0, -1);
        for (int w = 0; w < workers; w++) {
            p[2 + 2 * m + w] = new Instruction(RET_K, 0, 0, w);
        }
        return p;
    }

    /**
     * Attaches {@code program} to the reuseport group of socket {@code fd} (any member), or, for
     * null, detaches the group's program. Returns null, or the reason it failed in a few words.
     */
    static String attach(int fd, Instruction[] program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc;
            if (program == null) {
                // The value is unused, but the kernel wants an int's worth of it (else EINVAL).
                rc = (int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF,
                        arena.allocate(ValueLayout.JAVA_INT), 4);
                int errno = (int) ERRNO.get(state, 0L);
                return rc == 0 || errno == 2 /* ENOENT: none attached */ ? null : "errno " + errno;
            }
            MemorySegment filter = arena.allocate(8L * program.length, 8);
            for (int i = 0; i < program.length; i++) {
                Instruction in = program[i];
                long o = 8L * i;
                filter.set(ValueLayout.JAVA_SHORT, o, in.code());
                filter.set(ValueLayout.JAVA_BYTE, o + 2, (byte) in.jt());
                filter.set(ValueLayout.JAVA_BYTE, o + 3, (byte) in.jf());
                filter.set(ValueLayout.JAVA_INT, o + 4, in.k());
            }
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: 16 bytes on LP64.
            MemorySegment fprog = arena.allocate(16, 8);
            fprog.set(ValueLayout.JAVA_SHORT, 0, (short) program.length);
            fprog.set(ValueLayout.ADDRESS, 8, filter);
            rc = (int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog, 16);
            return rc == 0 ? null : "errno " + (int) ERRNO.get(state, 0L);
        } catch (Throwable t) {
            return t.toString();
        }
    }
}
