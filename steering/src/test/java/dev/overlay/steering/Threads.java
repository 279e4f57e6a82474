package dev.overlay.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

/** Test helper: the live threads whose name starts with a pool's prefix. */
final class Threads {
    private Threads() {}

    static List<String> alive(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(prefix))
                .map(Thread::getName)
                .toList();
    }

    /** The state of the live thread with this exact name, or TERMINATED if there is none. */
    static Thread.State state(String name) {
        return thread(name) == null ? Thread.State.TERMINATED : thread(name).getState();
    }

    static Thread thread(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals(name)).findFirst().orElse(null);
    }

    static void assertNoneAlive(String poolName) {
        assertEquals(List.of(), alive(poolName + "-worker-"), "worker threads alive after close()");
    }
}
