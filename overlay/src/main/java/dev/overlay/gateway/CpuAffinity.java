package dev.overlay.gateway;

import dev.overlay.gateway.port.PacketThreads;
import dev.overlay.steering.WorkerThreadFactory;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.IntStream;

/**
 * {@code gateway.pin-workers}: each worker thread bound to one core with
 * {@code sched_setaffinity(2)} on itself, worker i to the i-th CPU the process may run on
 * (its affinity mask at start, so taskset, cgroups' cpusets and systemd's CPUAffinity are
 * respected), wrapping round when there are more workers than CPUs. As VPP's
 * {@code corelist-workers}: a worker keeps its caches, its socket's softirq and its SAs' state on
 * one core, and the scheduler never moves it. A CPU that cannot be taken is logged and the worker
 * runs unpinned.
 */
final class CpuAffinity {
    /** Bits in the kernel's cpu_set_t as glibc sizes it (CPU_SETSIZE). */
    private static final int SET_BYTES = 128;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle GET = call("sched_getaffinity");
    private static final MethodHandle SET = call("sched_setaffinity");

    private CpuAffinity() {
    }

    private static MethodHandle call(String name) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(
                        () -> new IllegalStateException("libc has no " + name)),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
                Linker.Option.captureCallState("errno"));
    }

    /** The CPUs the calling thread may run on, ascending; empty if the kernel would not say. */
    static int[] allowed() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(SET_BYTES, 8);
            int rc = (int) GET.invokeExact(arena.allocate(CALL_STATE), 0, (long) SET_BYTES, set);
            if (rc != 0) {
                return new int[0];
            }
            return bits(set);
        } catch (Throwable t) {
            return new int[0];
        }
    }

    /** Binds the calling thread to {@code cpu}; null, or why it could not in a few words. */
    static String pinCurrentThread(int cpu) {
        if (cpu < 0 || cpu >= SET_BYTES * 8) {
            return "cpu " + cpu + " is out of range";
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(SET_BYTES, 8);
            set.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) SET.invokeExact(state, 0, (long) SET_BYTES, set);
            return rc == 0 ? null : "sched_setaffinity: errno " + (int) ERRNO.get(state, 0L);
        } catch (Throwable t) {
            return t.toString();
        }
    }

    /**
     * Worker threads ({@link PacketThreads}, as every datapath thread) that pin themselves
     * first thing: worker i to {@code cpus[i % cpus.length]}. {@code pinned[i]} becomes the CPU
     * worker i runs on, or -1 if it could not be pinned (logged).
     */
    static WorkerThreadFactory pinningThreads(int[] cpus, EventLog log, AtomicIntegerArray pinned) {
        return (name, index, body) -> PacketThreads.of(name, () -> {
            int cpu = cpus.length == 0 ? -1 : cpus[index % cpus.length];
            String failed = cpu < 0 ? "the kernel did not say which CPUs the process may use" : pinCurrentThread(cpu);
            if (failed == null && Arrays.equals(allowed(), new int[] {cpu})) {
                pinned.set(index, cpu);
                log.info("worker-pinned", "worker", index, "cpu", cpu);
            } else {
                pinned.set(index, -1);
                log.info("worker-not-pinned", "worker", index, "why", failed == null ? "the mask did not hold" : failed);
            }
            body.run();
        });
    }

    private static int[] bits(MemorySegment set) {
        return IntStream.range(0, SET_BYTES * 8)
                .filter(cpu -> (set.get(ValueLayout.JAVA_BYTE, cpu / 8) & (1 << (cpu % 8))) != 0).toArray();
    }
}
